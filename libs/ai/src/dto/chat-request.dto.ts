import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, IsNumber, IsOptional, IsString, Max, Min, MinLength } from 'class-validator';

/**
 * Body of POST /ai/chat and /ai/chat/stream, and of the `ai:chat` socket event. The upper bounds
 * that come from configuration (AI_MAX_MESSAGE_LENGTH, OPENAI_MAX_TOKENS) are checked by ChatLimitsPipe.
 */
export class ChatRequestDto {
  @ApiProperty({
    description: 'The question; 1..AI_MAX_MESSAGE_LENGTH (default 4000) characters, not only whitespace.',
    minLength: 1,
    maxLength: 4000,
    pattern: '\\S', // not only whitespace
    example: '¿Cuál es el estado del sistema?',
  })
  @IsString()
  @MinLength(1)
  message!: string;

  @ApiPropertyOptional({
    description: 'Most tokens to generate; 1..OPENAI_MAX_TOKENS (default 2000).',
    type: 'integer',
    format: 'int32',
    minimum: 1,
    maximum: 2000,
    example: 500,
  })
  @IsOptional()
  @IsInt()
  @Min(1)
  max_tokens?: number;

  @ApiPropertyOptional({
    description: 'Sampling temperature, 0..2 (default OPENAI_TEMPERATURE).',
    minimum: 0,
    maximum: 2,
    example: 0.7,
  })
  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  @Max(2)
  temperature?: number;
}
