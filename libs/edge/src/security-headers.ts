import fastifyHelmet from '@fastify/helmet';
import type { FastifyInstance } from 'fastify';
import type { Configuration } from '@gad/config';
import { assetOrigin } from './asset-url.js';
import { normalizePath } from './probe-paths.js';

type Directives = Record<string, string[]>;

// A strict policy without 'unsafe-inline' (the API serves no inline script or style), plus the
// anti-framing and plugin rules.
const API_DIRECTIVES: Directives = {
  'default-src': ["'self'"],
  'script-src': ["'self'"],
  'style-src': ["'self'"],
  'img-src': ["'self'", 'data:', 'https:'],
  'font-src': ["'self'"],
  'object-src': ["'none'"],
  'base-uri': ["'self'"],
  'form-action': ["'self'"],
  'frame-ancestors': ["'none'"],
};
// Swagger UI's page carries inline <style> blocks; its scripts are files, so scripts stay strict.
const SWAGGER_DIRECTIVES: Directives = { ...API_DIRECTIVES, 'style-src': ["'self'", "'unsafe-inline'"] };
// The dashboard talks to its own Socket.IO endpoint ('self' covers ws: and wss: on the same host).
const DASHBOARD_DIRECTIVES: Directives = {
  'default-src': ["'self'"],
  'script-src': ["'self'"],
  'style-src': ["'self'"],
  'img-src': ["'self'", 'data:'],
  'connect-src': ["'self'"],
  'font-src': ["'self'"],
  'frame-ancestors': ["'none'"],
};

/** The dashboard's policy; with a CDN (CDN_BASE_URL), its origin may serve the scripts, styles, images and fonts. */
export function dashboardDirectives(config: Pick<Configuration, 'app' | 'http'>): Directives {
  const cdn = assetOrigin(config);
  if (!cdn) return DASHBOARD_DIRECTIVES;
  // right after 'self': the CDN is the page's other origin
  const withCdn = (sources: string[]) => [sources[0], cdn, ...sources.slice(1)];
  return {
    ...DASHBOARD_DIRECTIVES,
    'script-src': withCdn(DASHBOARD_DIRECTIVES['script-src']),
    'style-src': withCdn(DASHBOARD_DIRECTIVES['style-src']),
    'img-src': withCdn(DASHBOARD_DIRECTIVES['img-src']),
    'font-src': withCdn(DASHBOARD_DIRECTIVES['font-src']),
  };
}

/** A policy as helmet writes the header (what browsers and tests read). */
export function cspHeader(directives: Directives): string {
  return Object.entries(directives)
    .map(([name, sources]) => (sources.length > 0 ? `${name} ${sources.join(' ')}` : name))
    .join(';');
}

/**
 * @fastify/helmet with the production header list: HSTS only in production or behind FORCE_HTTPS, frames
 * denied, X-XSS-Protection: 0 (the old filter is itself an XSS vector), no X-Powered-By; and the CSP per
 * route: strict for the API, relaxed styles for Swagger UI's page, the dashboard's own for the dashboard
 * and its assets (which a CDN may also serve to the dashboard's origin).
 */
export async function registerSecurityHeaders(
  fastify: FastifyInstance,
  config: Configuration,
  swaggerUiPath: string,
): Promise<void> {
  const hsts = config.app.isProduction || config.http.forceHttps;
  const csp = (directives: Directives) => ({
    useDefaults: false,
    directives: hsts ? { ...directives, 'upgrade-insecure-requests': [] } : directives,
  });
  const dashboard = dashboardDirectives(config);
  const swagger = normalizePath(swaggerUiPath);
  // read by @fastify/helmet's own onRoute hook, which runs after this one
  fastify.addHook('onRoute', (route) => {
    const path = normalizePath(route.url);
    if (path === swagger || path.startsWith(`${swagger}/`)) route.helmet = { contentSecurityPolicy: csp(SWAGGER_DIRECTIVES) };
    else if (path === '/dashboard') route.helmet = { contentSecurityPolicy: csp(dashboard) };
    else if (path.startsWith('/static/')) {
      route.helmet = { contentSecurityPolicy: csp(dashboard), crossOriginResourcePolicy: { policy: 'cross-origin' } };
    }
  });
  await fastify.register(fastifyHelmet, {
    global: true,
    contentSecurityPolicy: csp(API_DIRECTIVES),
    strictTransportSecurity: hsts ? { maxAge: config.http.hstsMaxAge, includeSubDomains: true, preload: false } : false,
    xFrameOptions: { action: 'deny' },
    referrerPolicy: { policy: 'strict-origin-when-cross-origin' },
    crossOriginResourcePolicy: { policy: 'same-origin' },
  });
}

/** The dashboard's policy without a CDN, as the header carries it. */
export const DASHBOARD_CSP = cspHeader(DASHBOARD_DIRECTIVES);

/** The dashboard's policy for this configuration, as the header carries it. */
export function dashboardCsp(config: Pick<Configuration, 'app' | 'http'>): string {
  return cspHeader(dashboardDirectives(config));
}
