import { Injectable, Logger } from '@nestjs/common';
import { Cron, CronExpression } from '@nestjs/schedule';
import { SessionsRepository } from './sessions.repository.js';

/** Ended sessions are kept a day (for reuse detection and support questions), then deleted with their tokens. */
const KEEP_ENDED_MS = 24 * 3600 * 1000;

@Injectable()
export class SessionsRetentionService {
  private readonly logger = new Logger('SessionsRetention');

  constructor(private readonly sessions: SessionsRepository) {}

  @Cron(CronExpression.EVERY_HOUR, { name: 'sessions-retention' })
  async purge(): Promise<number> {
    try {
      const deleted = await this.sessions.purgeEnded(new Date(Date.now() - KEEP_ENDED_MS));
      if (deleted > 0) this.logger.log(`deleted ${deleted} ended session(s)`);
      return deleted;
    } catch (error) {
      this.logger.warn({ err: (error as Error).message }, 'session purge failed; will retry next hour');
      return 0;
    }
  }
}
