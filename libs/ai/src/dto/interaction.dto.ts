import { API_COUNT } from '@gad/observability';
import { ApiProperty } from '@nestjs/swagger';
import { MAX_PAGE_SIZE, PageMetaDto } from '@gad/database';
import type { AiInteractionEntity } from '../entities/ai-interaction.entity.js';
import { FALLBACK_CAUSES } from '../fallbacks.js';

export class InteractionDto {
  @ApiProperty({ format: 'uuid', maxLength: 36 })
  id!: string;

  @ApiProperty({ format: 'uuid', maxLength: 36, nullable: true, type: String })
  user_id!: string | null;

  @ApiProperty({
    description: 'Empty unless AI_STORE_EXCERPTS=true: then the first 100 characters, obvious secrets redacted.',
    maxLength: 100,
  })
  message_excerpt!: string;

  @ApiProperty({ enum: ['ai', 'fallback'] })
  source!: 'ai' | 'fallback';

  @ApiProperty({ enum: FALLBACK_CAUSES, nullable: true, type: String })
  fallback_cause!: string | null;

  @ApiProperty({ nullable: true, type: String, maxLength: 200, description: 'Model asked; null when no provider call was made.' })
  model!: string | null;

  @ApiProperty(API_COUNT)
  latency_ms!: number;

  @ApiProperty({ ...API_COUNT, nullable: true, description: 'As reported by the provider.' })
  prompt_tokens!: number | null;

  @ApiProperty({ ...API_COUNT, nullable: true, description: 'As reported by the provider.' })
  completion_tokens!: number | null;

  @ApiProperty({ nullable: true, type: String, maxLength: 128 })
  request_id!: string | null;

  @ApiProperty({ format: 'date-time', maxLength: 30 })
  created_at!: string;

  static from(row: AiInteractionEntity): InteractionDto {
    return {
      id: row.id,
      user_id: row.userId,
      message_excerpt: row.messageExcerpt,
      source: row.source,
      fallback_cause: row.fallbackCause,
      model: row.model,
      latency_ms: row.latencyMs,
      prompt_tokens: row.promptTokens,
      completion_tokens: row.completionTokens,
      request_id: row.requestId,
      created_at: row.createdAt.toISOString(),
    };
  }
}

export class InteractionPageDto extends PageMetaDto {
  @ApiProperty({ type: [InteractionDto], maxItems: MAX_PAGE_SIZE })
  items!: InteractionDto[];
}
