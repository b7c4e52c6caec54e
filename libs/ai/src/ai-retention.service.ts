import { MonthlyPartitions } from '@gad/database';
import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { aiConfig } from '@gad/config';

/**
 * The interaction log's monthly partitions, kept AI_LOG_RETENTION_DAYS by the scheduler (MonthlyPartitions):
 * months past it are dropped whole, the month the cutoff falls in is trimmed.
 */
@Injectable()
export class AiRetentionService implements OnModuleInit {
  constructor(
    private readonly partitions: MonthlyPartitions,
    @Inject(aiConfig.KEY) private readonly config: ConfigType<typeof aiConfig>,
  ) {}

  onModuleInit(): void {
    this.partitions.register({ table: 'ai_interactions', retentionDays: this.config.logRetentionDays });
  }
}
