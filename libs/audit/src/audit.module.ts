import { PageCursors, PartitionsModule } from '@gad/database';
import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuditRetention } from './audit-retention.js';
import { AuditController } from './audit.controller.js';
import { AuditRepository } from './audit.repository.js';
import { AuditService } from './audit.service.js';
import { AuditLogEntity } from './entities/audit-log.entity.js';

@Module({
  imports: [TypeOrmModule.forFeature([AuditLogEntity]), PartitionsModule],
  controllers: [AuditController],
  providers: [AuditRepository, AuditService, AuditRetention, PageCursors],
  exports: [AuditService],
})
export class AuditModule {}
