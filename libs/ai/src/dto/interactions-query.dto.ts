import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsUUID } from 'class-validator';
import { PageQueryDto } from '@gad/database';

export class InteractionsQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ enum: ['ai', 'fallback'], description: 'Only answers from this source.' })
  @IsOptional()
  @IsIn(['ai', 'fallback'], { message: 'source must be "ai" or "fallback"' })
  source?: 'ai' | 'fallback';

  @ApiPropertyOptional({ format: 'uuid', maxLength: 36, description: 'Only chats by this user.' })
  @IsOptional()
  @IsUUID('all', { message: 'user_id must be a UUID' })
  user_id?: string;
}
