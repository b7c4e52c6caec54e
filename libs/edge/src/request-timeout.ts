import { HttpStatus } from '@nestjs/common';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ProblemException, sendProblem, toProblem } from '@gad/observability';

/**
 * A request still unanswered after REQUEST_TIMEOUT_SECONDS gets 503 problem+json. A response that has
 * already started (a stream) is left to finish: cutting it would corrupt what the client has.
 * Like Node's own request timeout, one sweep checks every open request (a quarter of the timeout
 * apart, at most once a second) instead of a timer per request; the answer comes at most that late.
 */
export function limitRequestTime(fastify: FastifyInstance, timeoutMs: number): void {
  const timedOut = new ProblemException(HttpStatus.SERVICE_UNAVAILABLE, {
    title: 'Request timed out',
    detail: `The request did not complete within ${timeoutMs / 1000} seconds. Retry shortly.`,
  });
  // insertion order is deadline order: every request gets the same timeout
  const open = new Map<FastifyReply, { request: FastifyRequest; deadline: number }>();
  const sweep = (): void => {
    const now = performance.now();
    for (const [reply, { request, deadline }] of open) {
      if (reply.sent || reply.raw.headersSent || reply.raw.destroyed) open.delete(reply);
      else if (deadline > now) break;
      else {
        open.delete(reply);
        sendProblem(reply, toProblem(timedOut, request, { exposeStack: false }));
      }
    }
  };
  const sweeper = setInterval(sweep, Math.min(1000, Math.max(10, timeoutMs / 4))).unref();
  fastify.addHook('onClose', (_instance, done) => {
    clearInterval(sweeper);
    done();
  });
  fastify.addHook('onRequest', (request, reply, done) => {
    open.set(reply, { request, deadline: performance.now() + timeoutMs });
    done();
  });
  fastify.addHook('onResponse', (_request, reply, done) => {
    open.delete(reply);
    done();
  });
}
