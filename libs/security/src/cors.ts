import fastifyCors, { type FastifyCorsOptions } from '@fastify/cors';
import type { CorsOptions } from '@nestjs/common/interfaces/external/cors-options.interface.js';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Configuration } from '@gad/config';

export const EXPOSED_HEADERS = [
  'X-Request-Id',
  'Retry-After',
  'X-RateLimit-Limit',
  'X-RateLimit-Remaining',
  'X-RateLimit-Reset',
  'Content-Disposition',
];

/**
 * CORS from CORS_ALLOWED_ORIGINS (development adds three localhost origins).
 * Only a listed origin is echoed back; any other gets no Access-Control-Allow-Origin at all.
 */
export function corsOptions(config: Configuration['http']): CorsOptions {
  const allowed = new Set(config.corsAllowedOrigins.map(normalizeOrigin));
  return {
    origin: (origin, callback) => callback(null, origin !== undefined && allowed.has(normalizeOrigin(origin))),
    credentials: config.corsAllowCredentials,
    methods: 'GET,POST,PUT,DELETE,PATCH,OPTIONS',
    exposedHeaders: EXPOSED_HEADERS,
    maxAge: 600,
    optionsSuccessStatus: 204,
  };
}

function normalizeOrigin(origin: string): string {
  return origin.trim().replace(/\/+$/, '').toLowerCase();
}

type Hook = (request: FastifyRequest, reply: FastifyReply, done: (error?: Error) => void) => void;

/**
 * @fastify/cors with the options above, run only for requests that carry an Origin header (browsers'
 * cross-origin requests and every preflight). Others, the bulk of API and probe traffic, only get
 * `Vary: Origin`, which is all the library would add for them, at a tenth of the cost (~12% of a
 * /health request went to the full hook). As with Nest's enableCors, the headers are also put on the
 * raw response, so refusals answered early and streams written to the socket carry them.
 */
export async function registerCors(fastify: FastifyInstance, config: Configuration['http']): Promise<void> {
  let corsHook: Hook | undefined;
  // @fastify/cors adds its request hook to the instance it is given: keep it instead, to call it ourselves
  const capturing: FastifyInstance = new Proxy(fastify, {
    get: (target, property) => {
      if (property === 'addHook') {
        return (name: string, hook: Hook) => {
          if (name === 'onRequest' && !corsHook) corsHook = hook;
          else target.addHook(name as 'onRequest', hook);
          return capturing;
        };
      }
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
  await new Promise<void>((resolve, reject) =>
    fastifyCors(capturing, corsOptions(config) as FastifyCorsOptions, (error?: Error) => (error ? reject(error) : resolve())),
  );
  const hook = corsHook;
  if (!hook) throw new Error('@fastify/cors registered no request hook');
  fastify.addHook('onRequest', (request, reply, done) => {
    if (request.headers.origin === undefined) {
      void reply.header('vary', 'Origin');
      return done();
    }
    hook.call(fastify, request, reply, (error?: Error) => {
      copyCorsHeadersToRaw(reply);
      done(error);
    });
  });
}

function copyCorsHeadersToRaw(reply: FastifyReply): void {
  if (reply.raw.headersSent) return;
  for (const [name, value] of Object.entries(reply.getHeaders())) {
    if (value !== undefined && (name === 'vary' || name.startsWith('access-control-'))) reply.raw.setHeader(name, value);
  }
}
