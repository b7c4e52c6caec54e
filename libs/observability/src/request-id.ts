import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export const MAX_REQUEST_ID_LENGTH = 128;
const VALID_REQUEST_ID = new RegExp(`^[A-Za-z0-9._-]{1,${MAX_REQUEST_ID_LENGTH}}$`);
const REQUEST_ID_HEADER = 'x-request-id';

/** The client's X-Request-Id when well-formed, else a fresh one; kept on the raw request (Fastify's genReqId). */
export function assignRequestId(req: IncomingMessage): string {
  const existing = (req as { id?: unknown }).id;
  if (typeof existing === 'string') return existing;
  const offered = req.headers[REQUEST_ID_HEADER];
  const id = typeof offered === 'string' && VALID_REQUEST_ID.test(offered) ? offered : randomUUID();
  (req as { id?: string }).id = id;
  return id;
}

/** The request id of a raw request or a Fastify request (both carry `id`). */
export function requestIdOf(req: { id?: unknown }): string {
  return typeof req.id === 'string' ? req.id : '';
}
