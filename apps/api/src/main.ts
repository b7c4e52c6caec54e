import 'reflect-metadata';
import cluster from 'node:cluster';
import { WORKER_MESSAGES } from '@gad/cluster';
import { ConfigError, readConfiguration } from '@gad/config';
import { releaseBootMemory } from './boot-memory.js';
import { runPrimary } from './cluster.js';
import { nodeVersionWarning } from './node-version.js';

const unsupported = nodeVersionWarning();
if (unsupported && cluster.isPrimary) console.warn(unsupported);

// validated here, before Nest starts (and before the primary forks): every problem is listed at once
const { configuration: config, problems, warnings } = readConfiguration();
if (problems.length > 0) {
  console.error(new ConfigError(problems).message);
  process.exit(1);
}
if (cluster.isPrimary) for (const warning of warnings) console.warn(`config warning: ${warning}`);

if (cluster.isPrimary && config.cluster.workers > 1) {
  if (config.database.embedded) {
    console.error('WORKERS > 1 needs PostgreSQL: the embedded PGlite database belongs to one process');
    process.exit(1);
  }
  runPrimary(config);
  releaseBootMemory(); // the primary only forks and aggregates: what it loaded to get here is garbage
} else {
  // the app is loaded only here: a cluster primary, which only forks and aggregates, never loads it
  await import('./server.js').then(({ serve }) => serve(config)).catch(failedToBoot);
}

/**
 * A boot failure is said once, with its cause and no stack: by a worker to the primary (which stops
 * everything and exits 1, see cluster.ts), or by a single process on stderr before exiting 1.
 */
function failedToBoot(error: unknown): void {
  const cause = causeOf(error);
  if (cluster.isWorker) {
    process.send!({ type: WORKER_MESSAGES.bootFailed, cause }, undefined, {}, () => process.exit(1));
    return;
  }
  console.error(`${config.app.name} failed to boot: ${cause}`);
  process.exit(1);
}

/** The message of an error, or of each error in an AggregateError (a refused connection to every address). */
function causeOf(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const inner = error instanceof AggregateError ? error.errors.map(causeOf) : [];
  return [error.message, ...inner].filter(Boolean).join('; ') || error.name;
}
