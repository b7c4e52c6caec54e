import type { SecurityHeadersOptions } from '@nestjs/common';
import type { FastifyInstance, onRequestHookHandler } from 'fastify';
import type { EdgeSettings } from './edge-settings.js';
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
function dashboardDirectives(config: EdgeSettings): Directives {
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
function cspHeader(directives: Directives): string {
  return Object.entries(directives)
    .map(([name, sources]) => (sources.length > 0 ? `${name} ${sources.join(' ')}` : name))
    .join(';');
}

/**
 * The header list for NestJS's own `app.useSecurityHeaders()` (helmet's options and defaults, resolved once
 * at boot): HSTS only in production or behind FORCE_HTTPS, frames denied, X-XSS-Protection: 0 (the old
 * filter is itself an XSS vector), no X-Powered-By, and the API's strict CSP.
 */
export function securityHeaders(config: EdgeSettings): SecurityHeadersOptions {
  const hsts = config.app.isProduction || config.http.forceHttps;
  return {
    contentSecurityPolicy: { useDefaults: false, directives: withUpgrade(API_DIRECTIVES, hsts) },
    strictTransportSecurity: hsts ? { maxAge: config.http.hstsMaxAge, includeSubDomains: true, preload: false } : false,
    xFrameOptions: { action: 'deny' },
    referrerPolicy: { policy: 'strict-origin-when-cross-origin' },
    crossOriginResourcePolicy: { policy: 'same-origin' },
  };
}

/**
 * The pages with a policy of their own: Swagger UI (inline styles), the dashboard and its assets (which a CDN
 * may also serve to the dashboard's origin). Each such route gets a hook that sets its CSP on the reply, which
 * takes precedence over the headers NestJS writes for every answer; every other route has no hook at all.
 */
export function routeSecurityPolicies(fastify: FastifyInstance, config: EdgeSettings, swaggerUiPath: string): void {
  const hsts = config.app.isProduction || config.http.forceHttps;
  const dashboard = cspHeader(withUpgrade(dashboardDirectives(config), hsts));
  const swaggerPolicy = cspHeader(withUpgrade(SWAGGER_DIRECTIVES, hsts));
  const swagger = normalizePath(swaggerUiPath);
  const policyOf = (path: string): Record<string, string> | undefined => {
    if (path === swagger || path.startsWith(`${swagger}/`)) return { 'content-security-policy': swaggerPolicy };
    if (path === '/dashboard') return { 'content-security-policy': dashboard };
    if (path.startsWith('/static/')) {
      return { 'content-security-policy': dashboard, 'cross-origin-resource-policy': 'cross-origin' };
    }
    return undefined;
  };
  fastify.addHook('onRoute', (route) => {
    const headers = policyOf(normalizePath(route.url));
    if (!headers) return;
    const own: onRequestHookHandler = (_request, reply, done) => {
      void reply.headers(headers);
      done();
    };
    route.onRequest = [...toList(route.onRequest), own];
  });
}

const withUpgrade = (directives: Directives, hsts: boolean): Directives =>
  hsts ? { ...directives, 'upgrade-insecure-requests': [] } : directives;

const toList = <T>(value: T | T[] | undefined): T[] => (value === undefined ? [] : Array.isArray(value) ? value : [value]);

/** The dashboard's policy without a CDN, as the header carries it. */
export const DASHBOARD_CSP = cspHeader(DASHBOARD_DIRECTIVES);

/** The dashboard's policy for this configuration, as the header carries it. */
export function dashboardCsp(config: EdgeSettings): string {
  return cspHeader(dashboardDirectives(config));
}
