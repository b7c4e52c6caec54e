import 'reflect-metadata';
import { ConfigError, readEnvironment, type AppConfig } from '@gad/config';
import { createApp, SWAGGER_UI_PATH } from './create-app.js';
import { gracefulShutdown } from './shutdown.js';

async function serve(config: AppConfig): Promise<void> {
  const app = await createApp(config);
  const server = await app.listen(config.app.port, config.app.host);
  server.keepAliveTimeout = config.http.keepAliveTimeoutMs;
  server.headersTimeout = config.http.keepAliveTimeoutMs + 1000;
  server.maxConnections = config.http.maxConnections;

  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.app.port;
  const base = `http://${config.app.host === '0.0.0.0' ? 'localhost' : config.app.host}:${port}`;
  console.log(
    [
      `${config.app.name} ${config.app.version} (${config.environment}) listening on ${config.app.host}:${port}`,
      `  API      ${base}${config.app.apiPrefix}`,
      `  Swagger  ${base}/${SWAGGER_UI_PATH}`,
      `  Health   ${base}${config.app.apiPrefix}/health  (ready: ${config.app.apiPrefix}/health/ready)`,
      `  Database ${config.database.embedded ? `embedded PGlite in ${config.database.dataDir}/pglite` : 'PostgreSQL'}`,
    ].join('\n'),
  );

  const shutdown = gracefulShutdown(app, config);
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));
}

const { config, problems, warnings } = readEnvironment();
if (problems.length > 0) {
  console.error(new ConfigError(problems).message);
  process.exit(1);
}
for (const warning of warnings) console.warn(`config warning: ${warning}`);
await serve(config);
