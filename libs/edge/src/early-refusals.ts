import type { FastifyReply, FastifyRequest } from 'fastify';
import { hasBody, type ProblemException } from '@gad/observability';
import { routeFlags } from './body-limits.js';
import { refuse, refuseWith } from './edge-problem.js';

/** What the edge asks of the throttler: seconds until this client may send again (0 = now), and to count a refusal. */
export interface ThrottleView {
  retryAfter(tracker: string): number;
  /** Counts against the client's budget a request refused after its body was read (the guard never sees it). */
  charge(tracker: string): Promise<void>;
}

/**
 * Auth's answer to a request whose access token is certain to be refused (none at all, or one whose signature,
 * claims or expiry fail), undefined when it verifies; whether its session is still live is for the guard to say.
 */
export type CredentialRefusal = (request: Pick<FastifyRequest, 'headers'>) => ProblemException | undefined;

/**
 * Requests with a body that are certain to be refused are answered before the body is read or parsed:
 * a client the throttler has just answered 429 (it stays throttled until its window resets), and a
 * request to a route that needs a token with none, or with one that does not verify (auth's own check
 * of signature, claims and expiry, answered as the guard would). Whether its session is live is still
 * for the guard to say.
 */
export function refuseEarly(throttle: ThrottleView, credentialRefusal: CredentialRefusal) {
  return (request: FastifyRequest, reply: FastifyReply, done: () => void): void => {
    if (!hasBody(request.raw)) return done();
    const wait = throttle.retryAfter(request.ip);
    if (wait > 0) {
      return void refuse(request, reply, 429, `Too many requests. Retry in ${wait} s.`, { 'Retry-After': String(wait) });
    }
    if (request.routeOptions.url !== undefined && !routeFlags(request).public) {
      const refusal = credentialRefusal(request);
      if (refusal) return void refuseWith(request, reply, refusal);
    }
    done();
  };
}
