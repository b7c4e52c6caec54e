import type { FastifyReply, FastifyRequest } from 'fastify';
import { ProblemException, closeAfterAnswer, hasBody, sendProblem, toProblem } from '@gad/observability';

/** Answers from an edge hook (before Nest's pipeline) with problem+json. */
export function refuse(
  request: FastifyRequest,
  reply: FastifyReply,
  status: number,
  detail: string,
  headers?: Record<string, string>,
): FastifyReply {
  // a refused body may still be arriving: close the connection rather than read it all
  if (!request.raw.complete && hasBody(request.raw)) closeAfterAnswer(request.raw, reply.raw);
  sendProblem(reply, toProblem(new ProblemException(status, { detail, headers }), request, { exposeStack: false }));
  return reply;
}
