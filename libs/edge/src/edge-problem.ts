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
  return refuseWith(request, reply, new ProblemException(status, { detail, headers }));
}

/** The same, with a problem made elsewhere (auth's refusal of a token). */
export function refuseWith(request: FastifyRequest, reply: FastifyReply, problem: ProblemException): FastifyReply {
  // a refused body may still be arriving: close the connection rather than read it all
  if (!request.raw.complete && hasBody(request.raw)) closeAfterAnswer(request.raw, reply.raw);
  sendProblem(reply, toProblem(problem, request, { exposeStack: false }));
  return reply;
}
