import { MonthlyPartitions } from '@gad/database';
import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { auditConfig } from '@gad/config';

/** The audit trail's monthly partitions, kept AUDIT_RETENTION_DAYS by the scheduler (MonthlyPartitions). */
@Injectable()
export class AuditRetention implements OnModuleInit {
  constructor(
    private readonly partitions: MonthlyPartitions,
    @Inject(auditConfig.KEY) private readonly config: ConfigType<typeof auditConfig>,
  ) {}

  onModuleInit(): void {
    this.partitions.register({ table: 'audit_logs', retentionDays: this.config.retentionDays });
  }
}
