import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyReply, FastifyRequest } from 'fastify';
import helmet from 'helmet';
import type { Configuration } from '@gad/config';
import { assetOrigin } from './asset-url.js';
import { normalizePath } from './probe-paths.js';

// A strict policy without 'unsafe-inline' (the API serves no inline script or style), plus the
// anti-framing and plugin rules helmet would add.
const API_DIRECTIVES = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: https:",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
];
// Swagger UI's page carries inline <style> blocks; its scripts are files, so scripts stay strict.
const SWAGGER_DIRECTIVES = API_DIRECTIVES.map((d) => (d.startsWith('style-src') ? "style-src 'self' 'unsafe-inline'" : d));

export const DASHBOARD_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; frame-ancestors 'none'";

/** The dashboard's policy; with a CDN (CDN_BASE_URL), its origin may serve the scripts, styles, images and fonts. */
export function dashboardCsp(config: Pick<Configuration, 'app' | 'http'>): string {
  const cdn = assetOrigin(config);
  if (!cdn) return DASHBOARD_CSP;
  return DASHBOARD_CSP.replace(/(script-src|style-src|img-src|font-src) 'self'/g, `$1 'self' ${cdn}`);
}

export interface SecurityHeaderPaths {
  /** Swagger UI, e.g. /api/docs */
  swaggerUi: string;
}

/**
 * helmet with the production header list: HSTS only in production or behind FORCE_HTTPS, frames denied,
 * X-XSS-Protection: 0 (the old filter is itself an XSS vector), no X-Powered-By; the CSP chosen per
 * route. helmet's headers depend on the configuration only, so they are computed once per CSP variant
 * at boot, and each request copies one ready list.
 */
export function securityHeaders(config: Configuration, paths: SecurityHeaderPaths) {
  const hsts = config.app.isProduction || config.http.forceHttps;
  const upgrade = hsts ? ['upgrade-insecure-requests'] : [];
  const base = helmetHeaders(
    helmet({
      contentSecurityPolicy: false,
      strictTransportSecurity: hsts ? { maxAge: config.http.hstsMaxAge, includeSubDomains: true, preload: false } : false,
      xFrameOptions: { action: 'deny' },
      referrerPolicy: { policy: 'strict-origin-when-cross-origin' },
      crossOriginResourcePolicy: { policy: 'same-origin' },
    }),
  );
  const variant = (csp: string, extra: HeaderList = []): HeaderList =>
    [...base, ['Content-Security-Policy', csp] as const, ...extra].map(([name, value]) => [name.toLowerCase(), value] as const);
  const api = variant([...API_DIRECTIVES, ...upgrade].join('; '));
  const swaggerPage = variant([...SWAGGER_DIRECTIVES, ...upgrade].join('; '));
  const dashboard = variant(dashboardCsp(config));
  // a CDN in front of /static serves these files to pages on another origin
  const assets = variant(dashboardCsp(config), [['Cross-Origin-Resource-Policy', 'cross-origin']]);
  const swagger = normalizePath(paths.swaggerUi);

  const forPath = (path: string): HeaderList => {
    if (path.startsWith('/static/')) return assets;
    if (path === '/dashboard') return dashboard;
    return path === swagger || path.startsWith(`${swagger}/`) ? swaggerPage : api;
  };
  // chosen once per matched route (every path a route matches gets the same list), else by the path
  const byRoute = new Map<string, HeaderList>();
  const forRequest = (request: FastifyRequest): HeaderList => {
    const route = request.routeOptions.url;
    if (route === undefined) return forPath(normalizePath(request.url.split('?')[0]));
    let list = byRoute.get(route);
    if (!list) byRoute.set(route, (list = forPath(normalizePath(route))));
    return list;
  };
  // on Fastify's reply, not the raw response: a header set on the raw response sends Node down its slow
  // path for every header of the answer (a response that bypasses the reply copies them, see sendSse)
  return (request: FastifyRequest, reply: FastifyReply, done: () => void): void => {
    for (const [name, value] of forRequest(request)) reply.header(name, value);
    done();
  };
}

type HeaderList = ReadonlyArray<readonly [string, string]>;

/** The headers a helmet middleware sets, read once from a stand-in response. */
function helmetHeaders(middleware: ReturnType<typeof helmet>): HeaderList {
  const headers = new Map<string, string>();
  const res = {
    setHeader: (name: string, value: string) => headers.set(name, String(value)),
    removeHeader: (name: string) => headers.delete(name),
  };
  let finished = false;
  middleware({} as IncomingMessage, res as unknown as ServerResponse, () => (finished = true));
  if (!finished) throw new Error('helmet did not finish synchronously');
  return [...headers];
}
