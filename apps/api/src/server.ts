import cluster from 'node:cluster';
import type { Server } from 'node:http';
import { WORKER_MESSAGES } from '@gad/cluster';
import type { Configuration } from '@gad/config';
import { releaseBootMemory } from './boot-memory.js';
import { createApp, SWAGGER_UI_PATH } from './create-app.js';
import { gracefulShutdown } from './shutdown.js';

/** One server process: the whole app (a single process, or one of the cluster's workers). */
export async function serve(config: Configuration): Promise<void> {
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

/** MAX_REQUESTS (+ jitter), like gunicorn: the primary starts a replacement, then stops this worker gracefully. */
function recycleAfter(server: Server, config: Configuration): void {
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
