import { Module } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import type { FastifyInstance } from 'fastify';
import { LoggerModule, PinoLogger } from 'nestjs-pino';
import pino from 'pino';
import { appConfig } from '@gad/config';

const REDACTED_PATHS = [
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

/**
 * Structured JSON logs (pretty in development) through nestjs-pino's logger; secrets redacted. The
 * per-request line is written by `logRequests` from a Fastify hook, not by pino-http's middleware:
 * that middleware built two child loggers and a request-scoped store for every request, even at
 * levels where nothing is written (a tenth of a /health request's CPU and much of its garbage).
 * Error lines carry the request id themselves.
 */
@Module({
  imports: [
    LoggerModule.forRootAsync({
      inject: [appConfig.KEY],
      useFactory: (config: ConfigType<typeof appConfig>) => ({
        forRoutes: [], // no pino-http middleware on any route: see logRequests
        pinoHttp: [
          {
            level: config.logLevel,
            base: { app: config.name, env: config.environment, pid: process.pid },
            redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
            // logRequests writes `req` and `res` already shaped: no raw-object serializers
            wrapSerializers: false,
            serializers: { req: (req: unknown) => req, res: (res: unknown) => res },
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

/**
 * One line per request at DEBUG/INFO (warn for 4xx, error for 5xx); above that, no hook at all, and
 * 5xx are still logged, with the error, by the problem-details filter.
 */
export function logRequests(fastify: FastifyInstance, config: Pick<ConfigType<typeof appConfig>, 'logLevel'>): void {
  if (config.logLevel !== 'debug' && config.logLevel !== 'info') return;
  fastify.addHook('onResponse', (request, reply, done) => {
    const status = reply.statusCode;
    const level = status >= 500 ? 'error' : status >= 400 ? 'warn' : 'info';
    const route = request.routeOptions.url ?? request.url.split('?')[0];
    PinoLogger.root[level](
      {
        req: {
          id: request.id,
          method: request.method,
          path: request.url.split('?')[0],
          ip: request.ip, // the client behind a trusted proxy, not the proxy
          user_agent: request.headers['user-agent'],
        },
        res: { status },
        responseTime: Math.round(reply.elapsedTime),
      },
      `${request.method} ${route} ${status}`,
    );
    done();
  });
}
