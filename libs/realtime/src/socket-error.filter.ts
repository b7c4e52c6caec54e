import { Catch, HttpException, Logger, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import { WsException } from '@nestjs/websockets';
import type { Socket } from 'socket.io';
import { ProblemException } from '@gad/observability';
import type { SocketErrorDto } from './dto/server-events.dto.js';
import { SERVER_EVENTS } from './realtime.constants.js';
import { errorText } from './error-text.js';

const logger = new Logger('Realtime');

/**
 * Whatever a handler or pipe throws becomes an `error` event `{event, message}` to that socket
 * only: the socket stays open and the process never sees an unhandled exception.
 */
@Catch()
export class SocketErrorFilter implements ExceptionFilter {
  catch(exception: unknown, host: ArgumentsHost): void {
    const ws = host.switchToWs();
    const payload: SocketErrorDto = { event: String(ws.getPattern()), message: socketErrorMessage(exception) };
    ws.getClient<Socket>().emit(SERVER_EVENTS.error, payload);
    // a client awaiting the acknowledgement must not hang: it gets the same error
    const ack = host.getArgs().find((arg: unknown) => typeof arg === 'function') as ((reply: unknown) => void) | undefined;
    ack?.({ error: payload });
  }
}

/** A sentence safe to show: validation errors field by field, problem details as written, nothing internal. */
export function socketErrorMessage(exception: unknown): string {
  if (exception instanceof ProblemException) {
    const errors = exception.problem.errors ?? [];
    return errors.length > 0 ? errors.map((e) => e.message).join('; ') : exception.problem.detail;
  }
  if (exception instanceof WsException) {
    const error = exception.getError();
    return typeof error === 'string' ? error : 'The event was refused.';
  }
  if (exception instanceof HttpException && exception.getStatus() < 500) return exception.message;
  logger.error({ err: errorText(exception) }, 'socket event failed');
  return 'The server could not handle this event.';
}
