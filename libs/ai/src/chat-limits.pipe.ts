import { HttpStatus, Injectable, type PipeTransform } from '@nestjs/common';
import { ProblemException } from '@gad/observability';
import { AiService } from './ai.service.js';
import type { ChatRequestDto } from './dto/chat-request.dto.js';

/** Runs after the global ValidationPipe: the bounds that depend on configuration, as the same 400 problem. */
@Injectable()
export class ChatLimitsPipe implements PipeTransform<ChatRequestDto, ChatRequestDto> {
  constructor(private readonly ai: AiService) {}

  transform(body: ChatRequestDto): ChatRequestDto {
    const errors = this.ai.inputErrors(body);
    if (errors.length === 0) return body;
    throw new ProblemException(HttpStatus.BAD_REQUEST, {
      title: 'Validation failed',
      detail: errors.length === 1 ? errors[0].message : `${errors.length} fields are invalid.`,
      errors,
    });
  }
}
