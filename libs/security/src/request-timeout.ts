import { HttpStatus } from '@nestjs/common';
import type { FastifyInstance } from 'fastify';
import { ProblemException, sendProblem, toProblem } from '@gad/observability';

/**
 * A request still unanswered after REQUEST_TIMEOUT_SECONDS gets 503 problem+json. A response that has
 * already started (a stream) is left to finish: cutting it would corrupt what the client has.
 * A Fastify hook rather than a Nest interceptor: one timer per request, and no RxJS on the hot path.
 */
export function limitRequestTime(fastify: FastifyInstance, timeoutMs: number): void {
  const timedOut = new ProblemException(HttpStatus.SERVICE_UNAVAILABLE, {
    title: 'Request timed out',
    detail: `The request did not complete within ${timeoutMs / 1000} seconds. Retry shortly.`,
  });
  const timers = new WeakMap<object, NodeJS.Timeout>();
  fastify.addHook('onRequest', (request, reply, done) => {
    const timer = setTimeout(() => {
      if (reply.sent || reply.raw.headersSent || reply.raw.destroyed) return;
      sendProblem(reply, toProblem(timedOut, request, { exposeStack: false }));
    }, timeoutMs);
    timers.set(request, timer);
    done();
  });
  fastify.addHook('onResponse', (request, _reply, done) => {
    clearTimeout(timers.get(request));
    done();
  });
}
