import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, IsUUID, Matches, MaxLength } from 'class-validator';
import { PageQueryDto } from '@gad/database';
import type { AuditLogEntity } from '../entities/audit-log.entity.js';

export class AuditEntryDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ example: 'auth.login' }) action!: string;
  @ApiProperty({ format: 'uuid', nullable: true, type: String }) actor_id!: string | null;
  @ApiProperty({ format: 'uuid', nullable: true, type: String }) target_id!: string | null;
  @ApiProperty({ nullable: true, type: String }) ip!: string | null;
  @ApiProperty({ nullable: true, type: String }) user_agent!: string | null;
  @ApiProperty({ nullable: true, type: String }) request_id!: string | null;
  @ApiProperty({ nullable: true, type: Object }) changes!: Record<string, unknown> | null;
  @ApiProperty({ format: 'date-time' }) created_at!: string;

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

export class AuditPageDto {
  @ApiProperty({ type: [AuditEntryDto] }) items!: AuditEntryDto[];
  @ApiProperty() total!: number;
  @ApiProperty() skip!: number;
  @ApiProperty() limit!: number;
}

export class AuditQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ format: 'uuid', description: 'Only entries by this actor.' })
  @IsOptional()
  @IsUUID('all', { message: 'actor must be a UUID' })
  actor?: string;

  @ApiPropertyOptional({ example: 'auth.login' })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  @Matches(/^[a-z_]+\.[a-z_]+$/, { message: 'action must look like "auth.login"' })
  action?: string;
}
