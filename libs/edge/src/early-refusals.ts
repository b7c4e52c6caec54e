import type { FastifyReply, FastifyRequest } from 'fastify';
import { AUTHENTICATION_REQUIRED } from '@gad/access';
import { hasBody } from '@gad/observability';
import { routeFlags } from './body-limits.js';
import { refuse } from './edge-problem.js';

/** What the edge asks of the throttler: seconds until this client may send again (0 = now), and to count a refusal. */
export interface ThrottleView {
  retryAfter(tracker: string): number;
  /** Counts against the client's budget a request refused after its body was read (the guard never sees it). */
  charge(tracker: string): Promise<void>;
}

/** Whether a request carries an access token at all (a Bearer header or the access cookie). */
export type CredentialCheck = (request: Pick<FastifyRequest, 'headers'>) => boolean;

/**
 * Requests with a body that are certain to be refused are answered before the body is read or parsed:
 * a client the throttler has just answered 429 (it stays throttled until its window resets), and a
 * request without any credential (no Bearer header, no access cookie) to a route that needs a token.
 * Whether a token is valid is still for the guard to say; this only looks for one.
 */
export function refuseEarly(throttle: ThrottleView, hasCredential: CredentialCheck) {
  return (request: FastifyRequest, reply: FastifyReply, done: () => void): void => {
    if (!hasBody(request.raw)) return done();
    const wait = throttle.retryAfter(request.ip);
    if (wait > 0) {
      return void refuse(request, reply, 429, `Too many requests. Retry in ${wait} s.`, { 'Retry-After': String(wait) });
    }
    if (request.routeOptions.url !== undefined && !routeFlags(request).public && !hasCredential(request)) {
      return void refuse(request, reply, 401, AUTHENTICATION_REQUIRED, {
        'WWW-Authenticate': 'Bearer',
      });
    }
    done();
  };
}
