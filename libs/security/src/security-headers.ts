import type { NextFunction, Request, RequestHandler, Response } from 'express';
import helmet from 'helmet';
import type { AppConfig } from '@gad/config';
import { normalizePath } from './probe-paths.js';

// The seed's policy without 'unsafe-inline' (the API serves no inline script or style), plus the
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

export interface SecurityHeaderPaths {
  /** Swagger UI, e.g. /api/docs */
  swaggerUi: string;
}

/**
 * helmet with the seed's header list: HSTS only in production or behind FORCE_HTTPS, frames denied,
 * X-XSS-Protection: 0 (the old filter is itself an XSS vector), no X-Powered-By; the CSP chosen per route.
 */
export function securityHeaders(config: AppConfig, paths: SecurityHeaderPaths): RequestHandler {
  const hsts = config.isProduction || config.security.forceHttps;
  const upgrade = hsts ? ['upgrade-insecure-requests'] : [];
  const apiCsp = [...API_DIRECTIVES, ...upgrade].join('; ');
  const swaggerCsp = [...SWAGGER_DIRECTIVES, ...upgrade].join('; ');
  const swagger = normalizePath(paths.swaggerUi);
  const base = helmet({
    contentSecurityPolicy: false,
    strictTransportSecurity: hsts ? { maxAge: config.security.hstsMaxAge, includeSubDomains: true, preload: false } : false,
    xFrameOptions: { action: 'deny' },
    referrerPolicy: { policy: 'strict-origin-when-cross-origin' },
    crossOriginResourcePolicy: { policy: 'same-origin' },
  });

  return (req: Request, res: Response, next: NextFunction) => {
    const path = normalizePath(req.path);
    const isStatic = path.startsWith('/static/');
    const csp =
      isStatic || path === '/dashboard'
        ? DASHBOARD_CSP
        : path === swagger || path.startsWith(`${swagger}/`)
          ? swaggerCsp
          : apiCsp;
    base(req, res, (error?: unknown) => {
      res.setHeader('Content-Security-Policy', csp);
      // a CDN in front of /static serves these files to pages on another origin
      if (isStatic) res.setHeader('Cross-Origin-Resource-Policy', 'cross-origin');
      res.removeHeader('Server');
      next(error);
    });
  };
}
