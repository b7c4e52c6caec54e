import type { Request, Response } from 'express';
import { ProblemException, sendProblem, toProblem } from '@gad/observability';

/** Answers from an Express middleware (before Nest's filters) with problem+json. */
export function refuse(req: Request, res: Response, status: number, detail: string): void {
  // a refused body may still be arriving: close the connection instead of draining it
  if (!req.complete && hasBody(req)) res.setHeader('Connection', 'close');
  sendProblem(res, toProblem(new ProblemException(status, { detail }), req, { exposeStack: false }));
}

export function hasBody(req: Request): boolean {
  return req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length']) > 0;
}
