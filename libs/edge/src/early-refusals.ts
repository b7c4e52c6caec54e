import type { FastifyReply, FastifyRequest } from 'fastify';
import { hasBody } from '@gad/observability';
import { routeFlags } from './body-limits.js';
import { refuse } from './edge-problem.js';

/** What the edge asks of the throttler: seconds until this client may send again (0 = now). */
export interface ThrottleView {
  retryAfter(tracker: string): number;
}

/**
 * Requests with a body that are certain to be refused are answered before the body is read or parsed:
 * a client the throttler has just answered 429 (it stays throttled until its window resets), and a
 * request without any credential (no Bearer header, no access cookie) to a route that needs a token.
 * Whether a token is valid is still for the guard to say; this only looks for one.
 */
export function refuseEarly(throttle: ThrottleView, accessCookie: string) {
  const cookie = new RegExp(`(?:^|;)\\s*${accessCookie}=[^;\\s]`);
  return (request: FastifyRequest, reply: FastifyReply, done: () => void): void => {
    if (!hasBody(request.raw)) return done();
    const wait = throttle.retryAfter(request.ip);
    if (wait > 0) {
      return void refuse(request, reply, 429, `Too many requests. Retry in ${wait} s.`, { 'Retry-After': String(wait) });
    }
    if (request.routeOptions.url !== undefined && !routeFlags(request).public && !hasCredential(request, cookie)) {
      return void refuse(request, reply, 401, 'Authentication is required: send a bearer token.', {
        'WWW-Authenticate': 'Bearer',
      });
    }
    done();
  };
}

function hasCredential(request: FastifyRequest, cookie: RegExp): boolean {
  const { authorization, cookie: cookies } = request.headers;
  return /^bearer\s+\S/i.test(authorization ?? '') || cookie.test(cookies ?? '');
}
