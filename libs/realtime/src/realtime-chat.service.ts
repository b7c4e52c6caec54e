import { HttpStatus, Injectable, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { Socket } from 'socket.io';
import { AiService, toChatInput, type ChatRequestDto } from '@gad/ai';
import { ProblemException } from '@gad/observability';
import type { AiChunkDto, AiDoneDto, SocketErrorDto } from './dto/server-events.dto.js';
import { CLIENT_EVENTS, MAX_CHATS_PER_SOCKET, SERVER_EVENTS } from './realtime.constants.js';
import type { SocketSession } from './socket-session.js';
import { errorText } from './error-text.js';
import { type AuthenticatedUser } from '@gad/access';

/** `ai:chat` over the socket: AiService's stream as `ai:chunk`… then `ai:done`, cancelled when the socket goes. */
@Injectable()
export class RealtimeChatService {
  private readonly logger = new Logger('Realtime');

  constructor(private readonly ai: AiService) {}

  /** Starts the answer in the background and returns its id at once (the event's acknowledgement). */
  start(socket: Socket, session: SocketSession, user: AuthenticatedUser, body: ChatRequestDto): { id: string } {
    if (session.chats.size >= MAX_CHATS_PER_SOCKET) {
      throw new ProblemException(HttpStatus.TOO_MANY_REQUESTS, {
        detail: `At most ${MAX_CHATS_PER_SOCKET} chats at a time per connection: wait for an answer to finish.`,
      });
    }
    const id = randomUUID();
    const controller = new AbortController();
    session.chats.add(controller);
    void this.stream(socket, id, user, body, controller.signal).finally(() => session.chats.delete(controller));
    return { id };
  }

  private async stream(
    socket: Socket,
    id: string,
    user: AuthenticatedUser,
    body: ChatRequestDto,
    signal: AbortSignal,
  ): Promise<void> {
    try {
      for await (const event of this.ai.chatStream(toChatInput(body), { userId: user.id, requestId: id, signal })) {
        if (event.type === 'chunk') {
          socket.emit(SERVER_EVENTS.aiChunk, { id, delta: event.delta } satisfies AiChunkDto);
        } else {
          const { response, source, timestamp } = event.answer;
          socket.emit(SERVER_EVENTS.aiDone, { id, response, source, timestamp } satisfies AiDoneDto);
        }
      }
    } catch (error) {
      this.logger.error({ err: errorText(error), request_id: id }, 'socket AI chat failed');
      const payload: SocketErrorDto = { event: CLIENT_EVENTS.aiChat, message: 'The assistant could not answer; try again.' };
      socket.emit(SERVER_EVENTS.error, payload);
    }
  }
}
