import { HttpException, HttpStatus } from '@nestjs/common';
import { STATUS_CODES } from 'node:http';

export interface FieldError {
  field: string;
  message: string;
}

/** RFC 9457 problem details, as every error leaves the API. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance: string;
  request_id: string;
  errors?: FieldError[];
  stack?: string;
}

export interface ProblemInit {
  detail: string;
  type?: string;
  title?: string;
  errors?: FieldError[];
  headers?: Record<string, string>;
}

/** Throw this for an error whose detail is safe to show to the client. */
export class ProblemException extends HttpException {
  constructor(
    status: HttpStatus | number,
    readonly problem: ProblemInit,
  ) {
    super(problem.detail, status);
  }
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** What every 503 for an outage (database, Redis, a timeout) tells the client to wait: docs/API.md, "Outages". */
export const OUTAGE_RETRY_AFTER = { 'Retry-After': '5' } as const;

export function statusTitle(status: number): string {
  return STATUS_CODES[status] ?? 'Error';
}
