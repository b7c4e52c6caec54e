import 'reflect-metadata';
import cluster from 'node:cluster';
import { ConfigError, readConfiguration, type Configuration } from '@gad/config';
import { WORKER_MESSAGES } from '@gad/observability';
import { runPrimary } from './cluster.js';
import { createApp, SWAGGER_UI_PATH } from './create-app.js';
import { nodeVersionWarning } from './node-version.js';
import { gracefulShutdown } from './shutdown.js';

async function serve(config: Configuration): Promise<void> {
  const app = await createApp(config);
  releaseBootMemory();
  const server = await app.listen(config.app.port, config.app.host);
  if (cluster.isWorker && config.cluster.maxRequests > 0) recycleAfter(server, config);

  const shutdown = gracefulShutdown(app, config);
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));

  if (cluster.isWorker) {
    console.log(`worker ${process.pid} ready`);
    return;
  }
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.app.port;
  printBanner(config, port);
}

/**
 * Booting leaves garbage and the bytecode of code that ran once (module bodies, decorators, wiring). With
 * --expose-gc (start.sh and npm start pass it) one memory-reducing collection before listening hands that
 * back: idle RSS ~155 → ~127 MB (bench/README.md). Without the flag, nothing happens.
 */
function releaseBootMemory(): void {
  globalThis.gc?.({ type: 'major', execution: 'sync', flavor: 'last-resort' });
}

/** MAX_REQUESTS (+ jitter), like gunicorn: the primary starts a replacement, then stops this worker gracefully. */
function recycleAfter(server: import('node:http').Server, config: Configuration): void {
  const limit = config.cluster.maxRequests + Math.floor(Math.random() * (config.cluster.maxRequestsJitter + 1));
  let served = 0;
  server.on('request', () => {
    served += 1;
    if (served === limit) process.send?.({ type: WORKER_MESSAGES.recycle, requests: served });
  });
}

function printBanner(config: Configuration, port: number): void {
  const base = `http://${config.app.host === '0.0.0.0' ? 'localhost' : config.app.host}:${port}`;
  console.log(
    [
      `${config.app.name} ${config.app.version} (${config.app.environment}) listening on ${config.app.host}:${port}`,
      `  API      ${base}${config.app.apiPrefix}`,
      `  Swagger  ${config.app.docsEnabled ? `${base}/${SWAGGER_UI_PATH}` : 'off (DOCS_ENABLED=false)'}`,
      `  Health   ${base}${config.app.apiPrefix}/health  (ready: ${config.app.apiPrefix}/health/ready)`,
      `  Database ${config.database.embedded ? `embedded PGlite in ${config.database.dataDir}/pglite` : 'PostgreSQL'}`,
    ].join('\n'),
  );
}

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
  await serve(config).catch(failedToBoot);
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
