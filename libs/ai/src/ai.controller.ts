import { Body, Controller, Get, Header, HttpCode, HttpStatus, Post, Query, Req, Res } from '@nestjs/common';
import { ApiBody, ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { FastifyReply as Response, FastifyRequest as Request } from 'fastify';
import { ApiProblems, requestIdOf } from '@gad/observability';
import { AiService, toChatInput, type ChatContext, type ChatStreamEvent } from './ai.service.js';
import { ChatLimitsPipe } from './chat-limits.pipe.js';
import { ChatRequestDto } from './dto/chat-request.dto.js';
import { ChatResponseDto, toChatResponse } from './dto/chat-response.dto.js';
import { InteractionPageDto } from './dto/interaction.dto.js';
import { InteractionsQueryDto } from './dto/interactions-query.dto.js';
import { sendSse, type SseEvent } from './sse.js';
import { Authenticated, CurrentUser, LargeBody, answerClosedSignal, type AuthenticatedUser } from '@gad/access';

@ApiTags('ai')
@Controller('ai')
export class AiController {
  constructor(private readonly ai: AiService) {}

  @Post('chat')
  @LargeBody()
  @HttpCode(HttpStatus.OK)
  @Header('Cache-Control', 'no-store')
  @Authenticated()
  @ApiOperation({ summary: 'Ask the AI; answers 200 with a fallback sentence when the provider cannot.' })
  @ApiBody({ type: ChatRequestDto })
  @ApiOkResponse({ type: ChatResponseDto })
  @ApiProblems({ 400: 'Invalid body (problem+json with `errors`).' })
  async chat(
    @Body(ChatLimitsPipe) body: ChatRequestDto,
    @CurrentUser() user: AuthenticatedUser | undefined,
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
  ): Promise<ChatResponseDto> {
    return toChatResponse(await this.ai.chat(toChatInput(body), chatContext(user, req, res)));
  }

  @Post('chat/stream')
  @LargeBody()
  @Authenticated()
  @ApiOperation({
    summary: 'The same chat as Server-Sent Events.',
    description:
      '`event: chunk` with `{"delta"}` for each piece of the answer, then one `event: done` with the full answer object. ' +
      '`done` is authoritative: with `source: fallback` its sentence replaces any chunks. Closing the connection cancels the provider call.',
  })
  @ApiBody({ type: ChatRequestDto })
  @ApiProduces('text/event-stream')
  @ApiOkResponse({
    description: 'An event stream: `chunk` events, then `done`.',
    content: {
      'text/event-stream': {
        schema: {
          type: 'string',
          description: '`chunk` data: `{"delta": string}`; `done` data: a ChatResponseDto.',
          example:
            'event: chunk\ndata: {"delta":"Hola"}\n\nevent: done\ndata: {"response":"Hola","source":"ai","timestamp":"…","request_id":"…"}\n\n',
        },
      },
    },
  })
  @ApiProblems({ 400: 'Invalid body (problem+json with `errors`), before the stream starts.' })
  async chatStream(
    @Body(ChatLimitsPipe) body: ChatRequestDto,
    @CurrentUser() user: AuthenticatedUser | undefined,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    await sendSse(res, asSse(this.ai.chatStream(toChatInput(body), chatContext(user, req, res))));
  }

  @Get('interactions')
  @Authenticated('admin')
  @ApiOperation({ summary: 'Recorded chats, newest first.' })
  @ApiOkResponse({ type: InteractionPageDto })
  @ApiProblems({ 400: 'Invalid query (problem+json with `errors`).' })
  interactions(@Query() query: InteractionsQueryDto): Promise<InteractionPageDto> {
    return this.ai.listInteractions(query);
  }
}

function chatContext(user: AuthenticatedUser | undefined, req: Request, res: Response): ChatContext {
  return { userId: user?.id ?? null, requestId: requestIdOf(req), signal: answerClosedSignal(res.raw) };
}

async function* asSse(events: AsyncIterable<ChatStreamEvent>): AsyncGenerator<SseEvent, void, undefined> {
  for await (const event of events) {
    yield event.type === 'chunk'
      ? { event: 'chunk', data: { delta: event.delta } }
      : { event: 'done', data: toChatResponse(event.answer) };
  }
}
