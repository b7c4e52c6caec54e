import { HttpStatus, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import type { Response } from 'express';
import { Observable } from 'rxjs';
import { ProblemException } from '@gad/observability';

/**
 * A handler still running after REQUEST_TIMEOUT_SECONDS answers 503 problem+json. A response that has
 * already started (a stream) is left to finish: cutting it would corrupt what the client has.
 */
export class RequestTimeoutInterceptor implements NestInterceptor {
  constructor(private readonly timeoutMs: number) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http') return next.handle();
    const res = context.switchToHttp().getResponse<Response>();
    return new Observable((subscriber) => {
      const timer = setTimeout(() => {
        if (res.headersSent) return;
        subscription.unsubscribe(); // assigned below; the timer fires later
        subscriber.error(
          new ProblemException(HttpStatus.SERVICE_UNAVAILABLE, {
            title: 'Request timed out',
            detail: `The request did not complete within ${this.timeoutMs / 1000} seconds. Retry shortly.`,
          }),
        );
      }, this.timeoutMs);
      const subscription = next.handle().subscribe({
        next: (value) => subscriber.next(value),
        error: (error: unknown) => {
          clearTimeout(timer);
          subscriber.error(error);
        },
        complete: () => {
          clearTimeout(timer);
          subscriber.complete();
        },
      });
      return () => {
        clearTimeout(timer);
        subscription.unsubscribe();
      };
    });
  }
}
