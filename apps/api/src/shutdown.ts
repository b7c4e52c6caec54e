import { Logger, type INestApplication } from '@nestjs/common';
import type { Server } from 'node:http';
import { Server as NetServer } from 'node:net';
import type { Configuration } from '@gad/config';
import { LifecycleService } from '@gad/health';
import { MetricsService } from '@gad/observability';

export interface ShutdownHooks {
  exit(code: number): void;
}

/**
 * Graceful stop: readiness flips to 503, the server stops accepting, every request already accepted
 * finishes (bounded by SHUTDOWN_TIMEOUT_SECONDS), then Nest closes the pool and we exit 0.
 */
export function gracefulShutdown(
  app: INestApplication,
  config: Configuration,
  hooks: ShutdownHooks = { exit: (code) => process.exit(code) },
): (signal: string) => Promise<void> {
  const logger = new Logger('Shutdown');
  const server = app.getHttpServer() as Server;
  const metrics = app.get(MetricsService); // counts the requests in flight (its http_requests_in_flight gauge)

  let stopping: Promise<void> | undefined;
  return (signal: string) => {
    stopping ??= (async () => {
      app.get(LifecycleService).beginShutdown();
      logger.log(`${signal} received: draining in-flight requests (up to ${config.cluster.shutdownTimeoutMs} ms)`);
      const deadline = setTimeout(() => {
        logger.error('shutdown grace period expired with requests still open');
        hooks.exit(1);
      }, config.cluster.shutdownTimeoutMs);
      deadline.unref();
      try {
        await drain(server, () => metrics.httpInFlight);
        await app.close();
        clearTimeout(deadline);
        hooks.exit(0);
      } catch (error) {
        logger.error({ err: error }, 'shutdown failed');
        hooks.exit(1);
      }
    })();
    return stopping;
  };
}

/**
 * http.Server.close() also closes "idle" connections, and a connection accepted but not yet parsed
 * (a busy event loop) counts as idle: its request would be dropped. So stop listening at the net
 * level, answer what arrives with `Connection: close`, and close idle sockets once nothing is in flight.
 */
async function drain(server: Server, inFlight: () => number): Promise<void> {
  if (!server.listening) return;
  const closed = new Promise<void>((resolve) => server.once('close', () => resolve()));
  NetServer.prototype.close.call(server);
  server.on('request', (_req, res) => res.setHeader('Connection', 'close'));
  let quietTicks = 0;
  const sweeper = setInterval(() => {
    quietTicks = inFlight() === 0 ? quietTicks + 1 : 0;
    if (quietTicks >= 2) server.closeIdleConnections();
  }, 50);
  try {
    await closed;
  } finally {
    clearInterval(sweeper);
  }
}
