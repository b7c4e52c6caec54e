import fastifyCors from '@fastify/cors';
import type { FastifyInstance } from 'fastify';
import { TrustedOrigins } from '@gad/access';
import type { Configuration } from '@gad/config';

const EXPOSED_HEADERS = [
  'X-Request-Id',
  'Retry-After',
  'X-RateLimit-Limit',
  'X-RateLimit-Remaining',
  'X-RateLimit-Reset',
  'Content-Disposition',
];

/** The options @fastify/cors and Socket.IO's `cors` both take. */
export interface CorsPolicy {
  origin(origin: string | undefined, callback: (error: Error | null, allow: boolean) => void): void;
  credentials: boolean;
  methods: string;
  exposedHeaders: string[];
  maxAge: number;
  optionsSuccessStatus: number;
}

/**
 * CORS from CORS_ALLOWED_ORIGINS (development adds three localhost origins). Only a listed origin is
 * echoed back; any other gets no Access-Control-Allow-Origin at all. HTTP and Socket.IO share it.
 */
export function corsOptions(http: Configuration['http']): CorsPolicy {
  const origins = new TrustedOrigins(http.corsAllowedOrigins);
  return {
    origin: (origin, callback) => callback(null, origin !== undefined && origins.isListed(origin)),
    credentials: http.corsAllowCredentials,
    methods: 'GET,POST,PUT,DELETE,PATCH,OPTIONS',
    exposedHeaders: EXPOSED_HEADERS,
    maxAge: 600,
    optionsSuccessStatus: 204,
  };
}

export async function registerCors(fastify: FastifyInstance, http: Configuration['http']): Promise<void> {
  const policy = corsOptions(http);
  await fastify.register(fastifyCors, {
    ...policy,
    origin: (origin: string | undefined, callback: (error: Error | null, allow: boolean) => void) =>
      policy.origin(origin, callback),
  });
}
