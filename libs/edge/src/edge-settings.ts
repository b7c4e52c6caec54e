import type { Configuration } from '@gad/config';

/** The parts of the configuration the HTTP edge reads: the app's environment and prefix, HTTP, and the probe paths. */
export type EdgeSettings = Pick<Configuration, 'app' | 'http' | 'metrics'>;
