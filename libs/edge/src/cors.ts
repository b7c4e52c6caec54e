import fastifyCors from '@fastify/cors';
import type { FastifyInstance } from 'fastify';
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
 * CORS from CORS_ALLOWED_ORIGINS (development adds three localhost origins). Only a listed origin is
 * echoed back; any other gets no Access-Control-Allow-Origin at all. HTTP and Socket.IO share it.
 */
export interface CorsPolicy {
  /** Exact origins (browsers send them lower-cased, without a trailing slash). */
  origin: string[];
  credentials: boolean;
  methods: string[];
  exposedHeaders: string[];
  maxAge: number;
  optionsSuccessStatus: number;
}

export function corsOptions(http: Configuration['http']): CorsPolicy {
  return {
    origin: [...new Set(http.corsAllowedOrigins.map(normalizeOrigin))],
    credentials: http.corsAllowCredentials,
    methods: ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'],
    exposedHeaders: EXPOSED_HEADERS,
    maxAge: 600,
    optionsSuccessStatus: 204,
  };
}

export async function registerCors(fastify: FastifyInstance, http: Configuration['http']): Promise<void> {
  await fastify.register(fastifyCors, corsOptions(http));
}

export function normalizeOrigin(origin: string): string {
  return origin.trim().replace(/\/+$/, '').toLowerCase();
}
