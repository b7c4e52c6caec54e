import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { AppConfig } from '@gad/config';
import { hasBody, refuse } from './edge-problem.js';
import { isProbePath } from './probe-paths.js';

/**
 * FORCE_HTTPS: plain-HTTP requests are redirected to https. req.secure reads X-Forwarded-Proto only
 * from a trusted proxy (Express `trust proxy`). Probes stay reachable over HTTP inside the cluster.
 */
export function httpsRedirect(config: AppConfig): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    if (!config.security.forceHttps || req.secure || isProbePath(config, req.path)) return next();
    const host = req.host;
    if (!host) return refuse(req, res, 400, 'The Host header is required.');
    if (!req.complete && hasBody(req)) res.setHeader('Connection', 'close'); // the body is resent to https
    // 308 keeps the method and body; GET and HEAD may use the widely cached 301
    res.redirect(req.method === 'GET' || req.method === 'HEAD' ? 301 : 308, `https://${host}${req.originalUrl}`);
  };
}
