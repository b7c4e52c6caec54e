import { Catch, Logger, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { Request, Response } from 'express';
import { AppConfig } from '@gad/config';
import { sendProblem, toProblem } from './problem-mapper.js';

/** Every exception that reaches Nest leaves as problem+json. */
@Catch()
export class ProblemDetailsFilter implements ExceptionFilter {
  private readonly logger = new Logger('Errors');

  constructor(private readonly config: AppConfig) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    if (host.getType() !== 'http') throw exception;
    const http = host.switchToHttp();
    const req = http.getRequest<Request>();
    const res = http.getResponse<Response>();
    const mapped = toProblem(exception, req, { exposeStack: this.exposeStack() });
    if (mapped.unexpected) {
      this.logger.error({ err: exception, request_id: mapped.problem.request_id }, 'unhandled error');
    }
    sendProblem(res, mapped);
  }

  private exposeStack(): boolean {
    return this.config.environment === 'development' && this.config.debug;
  }
}
