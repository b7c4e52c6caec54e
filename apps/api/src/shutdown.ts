import { Logger, type INestApplication } from '@nestjs/common';
import type { AppConfig } from '@gad/config';
import { LifecycleService } from '@gad/health';

export interface ShutdownHooks {
  exit(code: number): void;
}

/**
 * Graceful stop: readiness flips to 503, the server stops accepting, in-flight requests finish
 * (bounded by SHUTDOWN_TIMEOUT_SECONDS), then Nest closes the pool and we exit 0.
 */
export function gracefulShutdown(
  app: INestApplication,
  config: AppConfig,
  hooks: ShutdownHooks = { exit: (code) => process.exit(code) },
): (signal: string) => Promise<void> {
  const logger = new Logger('Shutdown');
  let stopping: Promise<void> | undefined;
  return (signal: string) => {
    stopping ??= (async () => {
      app.get(LifecycleService).beginShutdown();
      logger.log(`${signal} received: draining in-flight requests (up to ${config.http.shutdownTimeoutMs} ms)`);
      const deadline = setTimeout(() => {
        logger.error('shutdown grace period expired with requests still open');
        hooks.exit(1);
      }, config.http.shutdownTimeoutMs);
      deadline.unref();
      try {
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
