import { Catch, Logger, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { appConfig } from '@gad/config';
import { sendProblem, toProblem } from './problem-mapper.js';
import { closeAfterAnswer, isRefusedUpload } from './refused-body.js';

/** Every exception that reaches Nest leaves as problem+json. */
@Catch()
export class ProblemDetailsFilter implements ExceptionFilter {
  private readonly logger = new Logger('Errors');

  constructor(private readonly app: ConfigType<typeof appConfig>) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    if (host.getType() !== 'http') throw exception;
    const http = host.switchToHttp();
    const req = http.getRequest<FastifyRequest>();
    const res = http.getResponse<FastifyReply>();
    const mapped = toProblem(exception, req, { exposeStack: this.exposeStack() });
    if (mapped.unexpected) {
      this.logger.error({ err: exception, request_id: mapped.problem.request_id }, 'unhandled error');
    }
    // e.g. a chunked body Fastify's parser cut off at the limit: it may still be arriving
    const rawReq = (req as Partial<FastifyRequest>).raw ?? (req as unknown as IncomingMessage);
    const rawRes = (res as Partial<FastifyReply>).raw ?? (res as unknown as ServerResponse);
    if (isRefusedUpload(rawReq, mapped.problem.status)) closeAfterAnswer(rawReq, rawRes);
    sendProblem(res, mapped);
  }

  private exposeStack(): boolean {
    return this.app.environment === 'development' && this.app.debug;
  }
}
