import { HttpException, HttpStatus } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { OUTAGE_RETRY_AFTER, PROBLEM_CONTENT_TYPE, ProblemException, statusTitle, type Problem } from './problem.js';
import { requestIdOf } from './request-id.js';

const GENERIC_DETAIL: Record<number, string> = {
  400: 'The request is malformed.',
  401: 'Authentication is required.',
  403: 'You do not have permission to do this.',
  404: 'The requested resource was not found.',
  405: 'This method is not allowed on this resource.',
  408: 'The request took too long to arrive.',
  413: 'The request body is too large.',
  415: 'The request content type is not supported.',
  429: 'Too many requests: slow down and retry later.',
  500: 'An unexpected error occurred. It has been logged; quote the request id when reporting it.',
  503: 'The service is temporarily unavailable. Retry shortly.',
  504: 'The request timed out.',
};

export interface MappedProblem {
  problem: Problem;
  headers: Record<string, string>;
  /** True when the error is ours (a bug or an outage), worth an error log with its stack. */
  unexpected: boolean;
}

export interface MapOptions {
  exposeStack: boolean;
}

/** A Fastify request, or the raw request under it (the edge hooks and the client-error path). */
export type AnyRequest = Pick<FastifyRequest, 'url' | 'id'> | IncomingMessage;

/** The one mapper from any thrown value to problem details. Only ProblemException and 4xx texts reach the client. */
export function toProblem(error: unknown, req: AnyRequest, options: MapOptions): MappedProblem {
  error = unwrapFrameworkError(error);
  if (isDatabaseUnavailable(error)) {
    error = new ProblemException(HttpStatus.SERVICE_UNAVAILABLE, {
      detail: 'The database is unavailable. Retry shortly.',
      headers: OUTAGE_RETRY_AFTER,
    });
  }
  if (isHttpError(error) && error.code === 'FST_ERR_HANDLER_TIMEOUT') {
    // Fastify's handlerTimeout (REQUEST_TIMEOUT_SECONDS): an answer, not a bug. A body still arriving gets
    // Node's own answer to that (408) and the connection closes: its unread rest cannot be left on it.
    error = stillArriving(req)
      ? new ProblemException(HttpStatus.REQUEST_TIMEOUT, { detail: GENERIC_DETAIL[408], headers: { Connection: 'close' } })
      : new ProblemException(HttpStatus.SERVICE_UNAVAILABLE, {
          title: 'Request timed out',
          detail: 'The request did not complete in time. Retry shortly.',
          headers: OUTAGE_RETRY_AFTER,
        });
  }
  const status = statusOf(error);
  const unexpected = status >= 500 && !(error instanceof ProblemException);
  let detail = GENERIC_DETAIL[status] ?? statusTitle(status);
  let type = 'about:blank';
  let title = statusTitle(status);
  let headers: Record<string, string> = {};
  let errors: Problem['errors'];

  if (error instanceof ProblemException) {
    ({ detail } = error.problem);
    type = error.problem.type ?? type;
    title = error.problem.title ?? title;
    errors = error.problem.errors;
    headers = error.problem.headers ?? {};
  } else if (error instanceof HttpException && status < 500) {
    detail = clientMessage(error) ?? detail;
  } else if (isHttpError(error) && status < 500 && error.expose !== false) {
    // Fastify's own client errors (body parsing, the router): described in our words
    detail = FRAMEWORK_DETAIL[error.code ?? ''] ?? detail;
  }

  const problem: Problem = {
    type,
    title,
    status,
    detail,
    instance: (req.url ?? '').split('?')[0],
    request_id: requestIdOf(req as { id?: unknown }),
  };
  if (errors) problem.errors = errors;
  if (options.exposeStack && error instanceof Error && error.stack) problem.stack = error.stack;
  return { problem, headers, unexpected };
}

/** Answers through Fastify's reply (so its hooks run) or, where there is none, on the raw response. */
export function sendProblem(res: FastifyReply | ServerResponse, mapped: MappedProblem): void {
  const body = JSON.stringify(mapped.problem);
  if (isReply(res)) {
    if (res.sent || res.raw.headersSent) return void res.raw.end();
    res
      .code(mapped.problem.status)
      .headers({ ...mapped.headers, 'content-type': PROBLEM_CONTENT_TYPE, 'cache-control': 'no-store' })
      .send(body);
    return;
  }
  if (res.headersSent) return void res.end();
  res.statusCode = mapped.problem.status;
  for (const [name, value] of Object.entries(mapped.headers)) res.setHeader(name, value);
  res.setHeader('Content-Type', PROBLEM_CONTENT_TYPE);
  res.setHeader('Cache-Control', 'no-store');
  res.end(body);
}

function isReply(res: FastifyReply | ServerResponse): res is FastifyReply {
  return 'raw' in res && typeof (res as FastifyReply).code === 'function';
}

/** Nest wraps Fastify's client errors in an HttpException; the original says what went wrong. */
function unwrapFrameworkError(error: unknown): unknown {
  if (error instanceof HttpException && !(error instanceof ProblemException)) {
    const cause = (error as { cause?: unknown }).cause;
    if (isHttpError(cause) && typeof cause.code === 'string' && cause.code.startsWith('FST_')) return cause;
  }
  return error;
}

function statusOf(error: unknown): number {
  if (error instanceof HttpException) return error.getStatus();
  if (isHttpError(error)) {
    const status = error.status ?? error.statusCode;
    if (typeof status === 'number' && status >= 400 && status < 600) return status;
  }
  return HttpStatus.INTERNAL_SERVER_ERROR;
}

function clientMessage(error: HttpException): string | undefined {
  const response = error.getResponse();
  if (typeof response === 'string') return response;
  const message = (response as { message?: unknown }).message;
  if (typeof message === 'string') return message;
  if (Array.isArray(message)) return message.join('; ');
  return undefined;
}

interface HttpLikeError {
  status?: number;
  statusCode?: number;
  expose?: boolean;
  code?: string;
  message?: string;
}

function isHttpError(error: unknown): error is HttpLikeError {
  return typeof error === 'object' && error !== null && ('status' in error || 'statusCode' in error);
}

const FRAMEWORK_DETAIL: Record<string, string> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'The request body is too large.',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'The request body does not match its Content-Length.',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'The request content type is not supported.',
  FST_ERR_CTP_EMPTY_TYPE: 'The request content type is not supported.',
  FST_ERR_BAD_URL: 'The request URL is malformed.',
  FST_ERR_ASYNC_CONSTRAINT: 'The request is malformed.',
};

/** Whether the request's body is still on its way (IncomingMessage.complete is false until its end is read). */
function stillArriving(req: AnyRequest): boolean {
  const raw = 'raw' in req ? (req as { raw: IncomingMessage }).raw : (req as IncomingMessage);
  return raw.complete === false;
}

// Connection-level failures (server down, restarting, pool exhausted): an outage, so 503, not a bug.
const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EHOSTUNREACH',
  '57P01',
  '57P02',
  '57P03',
  '53300',
]);
const UNAVAILABLE_MESSAGES =
  /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Connection refused|the database system is (starting up|shutting down)|is not currently accepting connections|terminating connection due to administrator command|Query read timeout/i;

function isDatabaseUnavailable(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e && typeof e === 'object' && depth < 4; depth++) {
    const { code, message, driverError, cause } = e as {
      code?: unknown;
      message?: unknown;
      driverError?: unknown;
      cause?: unknown;
    };
    if (typeof code === 'string' && (UNAVAILABLE_CODES.has(code) || code.startsWith('08'))) return true;
    if (typeof message === 'string' && UNAVAILABLE_MESSAGES.test(message)) return true;
    e = driverError ?? cause;
  }
  return false;
}
