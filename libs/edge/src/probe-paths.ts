import type { Configuration } from '@gad/config';

/** Kubernetes probes and the metrics scrape: exempt from rate limits and the HTTPS redirect. */
export function isProbePath(config: Pick<Configuration, 'app' | 'metrics'>, path: string): boolean {
  const p = normalizePath(path);
  const health = `${config.app.apiPrefix}/health`.toLowerCase();
  return (
    p === health ||
    p === `${health}/ready` ||
    p === normalizePath(config.metrics.healthCheckPath) ||
    p === normalizePath(config.metrics.path)
  );
}

/** Routing is case-insensitive and ignores one trailing slash; path checks must agree with it. */
export function normalizePath(path: string): string {
  const lowered = path.toLowerCase();
  return lowered.length > 1 && lowered.endsWith('/') ? lowered.slice(0, -1) : lowered;
}
