import { ApiProperty } from '@nestjs/swagger';

export class ChatResponseDto {
  @ApiProperty({ description: "The provider's answer, or one of the fallback sentences." })
  response!: string;

  @ApiProperty({
    enum: ['ai', 'fallback'],
    description: '`fallback` when the provider was not configured, limited, slow or failing.',
  })
  source!: 'ai' | 'fallback';

  @ApiProperty({ format: 'date-time', maxLength: 30, example: '2026-01-01T12:00:00.000Z' })
  timestamp!: string;

  @ApiProperty({ description: 'The X-Request-Id of the call.', maxLength: 128 })
  request_id!: string;
}

export function toChatResponse(answer: {
  response: string;
  source: 'ai' | 'fallback';
  timestamp: string;
  requestId: string;
}): ChatResponseDto {
  return { response: answer.response, source: answer.source, timestamp: answer.timestamp, request_id: answer.requestId };
}
