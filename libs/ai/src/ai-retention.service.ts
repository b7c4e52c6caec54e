import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import type { Counter } from 'prom-client';
import { MetricsService, retentionDeletions } from '@gad/observability';
import type { ConfigType } from '@nestjs/config';
import { Cron, CronExpression } from '@nestjs/schedule';
import { aiConfig } from '@gad/config';
import { AiInteractionRepository } from './ai-interaction.repository.js';

const DAY_MS = 24 * 60 * 60 * 1000;

/** Deletes interaction records older than AI_LOG_RETENTION_DAYS, hourly. Idempotent, so every replica may run it. */
@Injectable()
export class AiRetentionService {
  private readonly logger = new Logger('AI');

  constructor(
    @Inject(aiConfig.KEY) private readonly config: ConfigType<typeof aiConfig>,
    private readonly interactions: AiInteractionRepository,
    @Optional() metrics?: MetricsService,
  ) {
    this.deletions = metrics && retentionDeletions(metrics);
  }

  private readonly deletions?: Counter<'table'>;

  @Cron(CronExpression.EVERY_HOUR, { name: 'ai-interactions-retention' })
  async scheduledPurge(): Promise<void> {
    try {
      await this.purge();
    } catch (error) {
      this.logger.error({ err: error instanceof Error ? error.message : String(error) }, 'AI interaction purge failed');
    }
  }

  /** Returns how many records were deleted. */
  async purge(now = new Date()): Promise<number> {
    const cutoff = new Date(now.getTime() - this.config.logRetentionDays * DAY_MS);
    const deleted = await this.interactions.deleteOlderThan(cutoff);
    this.deletions?.inc({ table: 'ai_interactions' }, deleted);
    if (deleted > 0) this.logger.log({ deleted, cutoff: cutoff.toISOString() }, 'purged old AI interactions');
    return deleted;
  }
}
