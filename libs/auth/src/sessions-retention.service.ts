import { Injectable, Logger, Optional } from '@nestjs/common';
import { Cron, CronExpression } from '@nestjs/schedule';
import type { Counter } from 'prom-client';
import { MetricsService, retentionDeletions } from '@gad/observability';
import { SessionsRepository } from './sessions.repository.js';

/** Ended sessions are kept a day (for reuse detection and support questions), then deleted with their tokens. */
const KEEP_ENDED_MS = 24 * 3600 * 1000;

@Injectable()
export class SessionsRetentionService {
  private readonly logger = new Logger('SessionsRetention');

  private readonly deletions?: Counter<'table'>;

  constructor(
    private readonly sessions: SessionsRepository,
    @Optional() metrics?: MetricsService,
  ) {
    this.deletions = metrics && retentionDeletions(metrics);
  }

  @Cron(CronExpression.EVERY_HOUR, { name: 'sessions-retention' })
  async purge(): Promise<number> {
    try {
      const deleted = await this.sessions.purgeEnded(new Date(Date.now() - KEEP_ENDED_MS));
      this.deletions?.inc({ table: 'sessions' }, deleted);
      if (deleted > 0) this.logger.log(`deleted ${deleted} ended session(s)`);
      return deleted;
    } catch (error) {
      this.logger.warn({ err: (error as Error).message }, 'session purge failed; will retry next hour');
      return 0;
    }
  }
}
