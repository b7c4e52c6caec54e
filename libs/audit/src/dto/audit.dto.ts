import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, IsUUID, Matches, MaxLength } from 'class-validator';
import { MAX_PAGE_SIZE, PageMetaDto, PageQueryDto } from '@gad/database';
import type { AuditLogEntity } from '../entities/audit-log.entity.js';

const ACTION_PATTERN = /^[a-z_]+\.[a-z_]+$/;

export class AuditEntryDto {
  @ApiProperty({ format: 'uuid', maxLength: 36 }) id!: string;
  @ApiProperty({ example: 'auth.login', maxLength: 64, pattern: ACTION_PATTERN.source }) action!: string;
  @ApiProperty({ format: 'uuid', maxLength: 36, nullable: true, type: String }) actor_id!: string | null;
  @ApiProperty({ format: 'uuid', maxLength: 36, nullable: true, type: String }) target_id!: string | null;
  @ApiProperty({ nullable: true, type: String, maxLength: 64, description: 'The client address.' }) ip!: string | null;
  @ApiProperty({ nullable: true, type: String, maxLength: 512 }) user_agent!: string | null;
  @ApiProperty({ nullable: true, type: String, maxLength: 128 }) request_id!: string | null;
  @ApiProperty({
    nullable: true,
    type: 'object',
    additionalProperties: true,
    description: 'What changed (never a password or a hash): field names and values, or a reason and field names.',
  })
  changes!: Record<string, unknown> | null;
  @ApiProperty({ format: 'date-time', maxLength: 30 }) created_at!: string;

  static from(row: AuditLogEntity): AuditEntryDto {
    return {
      id: row.id,
      action: row.action,
      actor_id: row.actorId,
      target_id: row.targetId,
      ip: row.ip,
      user_agent: row.userAgent,
      request_id: row.requestId,
      changes: row.changes,
      created_at: row.createdAt.toISOString(),
    };
  }
}

export class AuditPageDto extends PageMetaDto {
  @ApiProperty({ type: [AuditEntryDto], maxItems: MAX_PAGE_SIZE }) items!: AuditEntryDto[];
}

export class AuditQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ format: 'uuid', maxLength: 36, description: 'Only entries by this actor.' })
  @IsOptional()
  @IsUUID('all', { message: 'actor must be a UUID' })
  actor?: string;

  @ApiPropertyOptional({ example: 'auth.login', maxLength: 64, pattern: ACTION_PATTERN.source })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  @Matches(ACTION_PATTERN, { message: 'action must look like "auth.login"' })
  action?: string;
}
