import { Module } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import type { IncomingMessage, ServerResponse } from 'node:http';
import pino from 'pino';
import { AppConfig } from '@gad/config';
import { assignRequestId } from './request-id.js';

export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'res.headers["set-cookie"]',
  '*.password',
  '*.new_password',
  '*.current_password',
  '*.access_token',
  '*.refresh_token',
  '*.token',
  '*.secret',
  '*.hashed_password',
];

/** Structured JSON logs (pretty in development); one line per request; secrets redacted. */
@Module({
  imports: [
    LoggerModule.forRootAsync({
      inject: [AppConfig],
      useFactory: (config: AppConfig) => ({
        pinoHttp: [
          {
            level: config.logLevel,
            base: { app: config.app.name, env: config.environment, pid: process.pid },
            redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
            genReqId: (req: IncomingMessage, res: ServerResponse) => assignRequestId(req, res),
            // one line per request at DEBUG/INFO; above that, building and dropping them costs ~6% of a
            // request, and 5xx are still logged (with the error) by the problem-details filter
            autoLogging: config.logLevel === 'debug' || config.logLevel === 'info',
            customLogLevel: (_req: IncomingMessage, res: ServerResponse, err?: Error) =>
              err || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info',
            customSuccessMessage: (req: IncomingMessage, res: ServerResponse) =>
              `${req.method} ${routeOf(req)} ${res.statusCode}`,
            customErrorMessage: (req: IncomingMessage, res: ServerResponse) => `${req.method} ${routeOf(req)} ${res.statusCode}`,
            serializers: {
              req: (req: {
                id: string;
                method: string;
                url: string;
                headers: Record<string, unknown>;
                remoteAddress?: string;
                raw?: { ip?: string };
              }) => ({
                id: req.id,
                method: req.method,
                path: req.url?.split('?')[0],
                ip: req.raw?.ip ?? req.remoteAddress, // req.ip: the client behind a trusted proxy, not the proxy
                user_agent: req.headers['user-agent'],
              }),
              res: (res: { statusCode: number }) => ({ status: res.statusCode }),
            },
            transport:
              config.environment === 'development' && process.stdout.isTTY
                ? { target: 'pino-pretty', options: { singleLine: true, translateTime: 'SYS:HH:MM:ss.l' } }
                : undefined,
          },
          config.environment === 'development' && process.stdout.isTTY ? undefined : pino.destination({ sync: false }),
        ] as never,
      }),
    }),
  ],
})
export class LoggingModule {}

function routeOf(req: IncomingMessage): string {
  const route = (req as { route?: { path?: string } }).route?.path;
  return route ?? (req.url ?? '').split('?')[0];
}
