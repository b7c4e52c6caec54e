import type { CorsOptions } from '@nestjs/common/interfaces/external/cors-options.interface.js';
import type { AppConfig } from '@gad/config';

export const EXPOSED_HEADERS = [
  'X-Request-Id',
  'Retry-After',
  'X-RateLimit-Limit',
  'X-RateLimit-Remaining',
  'X-RateLimit-Reset',
  'Content-Disposition',
];

/**
 * CORS from CORS_ALLOWED_ORIGINS (development adds the seed's localhost origins in AppConfig).
 * Only a listed origin is echoed back; any other gets no Access-Control-Allow-Origin at all.
 */
export function corsOptions(config: AppConfig): CorsOptions {
  const allowed = new Set(config.security.corsAllowedOrigins.map(normalizeOrigin));
  return {
    origin: (origin, callback) => callback(null, origin !== undefined && allowed.has(normalizeOrigin(origin))),
    credentials: config.security.corsAllowCredentials,
    methods: 'GET,POST,PUT,DELETE,PATCH,OPTIONS',
    exposedHeaders: EXPOSED_HEADERS,
    maxAge: 600,
    optionsSuccessStatus: 204,
  };
}

function normalizeOrigin(origin: string): string {
  return origin.trim().replace(/\/+$/, '').toLowerCase();
}
