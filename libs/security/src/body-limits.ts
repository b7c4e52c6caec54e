import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { AppConfig } from '@gad/config';
import { hasBody, refuse } from './edge-problem.js';
import { normalizePath } from './probe-paths.js';

export const JSON_TYPES = ['application/json', 'application/*+json'];
const FORM_TYPE = 'application/x-www-form-urlencoded';

/** The one route that also takes a form: the OAuth2 password flow. */
export function loginPath(config: Pick<AppConfig, 'app'>): string {
  return `${config.app.apiPrefix}/auth/login`;
}

/**
 * Bodies over MAX_REQUEST_BODY_SIZE get 413 without the body being read: a declared Content-Length
 * is refused at once; a chunked body is counted as it arrives and refused the moment it passes the
 * limit, and the connection is closed after the answer. (body-parser alone would read the rest of a
 * chunked body before answering, so a client could keep streaming for as long as it liked.)
 */
export function rejectOversizedBodies(config: AppConfig): RequestHandler {
  const limit = config.http.maxRequestBodySize;
  const detail = `The request body is larger than the ${limit}-byte limit.`;
  return (req: Request, res: Response, next: NextFunction) => {
    const declared = req.headers['content-length'];
    if (declared !== undefined) {
      if (Number(declared) > limit) return refuse(req, res, 413, detail);
      return next();
    }
    if (req.headers['transfer-encoding'] === undefined) return next();
    let received = 0;
    const count = (chunk: Buffer): void => {
      received += chunk.length;
      if (received <= limit) return;
      req.off('data', count);
      // already answered (say 415) yet still streaming: just hang up
      if (res.headersSent) return void req.socket.destroy();
      refuse(req, res, 413, detail); // closes the connection once the client has the answer
    };
    // a second 'data' listener sees the same chunks as the parser's; it does not take them away
    req.on('data', count);
    next();
  };
}

/** Every body is JSON, except the login form; anything else is 415 before it is read. */
export function requireJsonBodies(config: AppConfig): RequestHandler {
  const login = normalizePath(loginPath(config));
  return (req: Request, res: Response, next: NextFunction) => {
    if (!hasBody(req) || req.is(JSON_TYPES)) return next();
    const isLogin = req.method === 'POST' && normalizePath(req.path) === login;
    if (isLogin && req.is(FORM_TYPE)) return next();
    refuse(
      req,
      res,
      415,
      isLogin ? `Send the request body as application/json or ${FORM_TYPE}.` : 'Send the request body as application/json.',
    );
  };
}
