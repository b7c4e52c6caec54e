import { Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { aiConfig } from '@gad/config';
import { Counters } from '@gad/limits';

const WINDOW_MS = 60_000;

export type WindowScope = 'global' | 'user';

export type WindowDecision = { allowed: true; release(): void } | { allowed: false; scope: WindowScope };

/**
 * The AI call budgets: AI_MAX_REQUESTS_PER_MINUTE for everyone and AI_USER_MAX_REQUESTS_PER_MINUTE per
 * user, as one-minute windows of the shared counters (every worker and replica through Redis).
 */
@Injectable()
export class RateWindowRepository {
  /** Which store counted the last call: Redis, or this process's memory (no Redis, or while it fails). */
  backend: 'redis' | 'memory';

  constructor(
    @Inject(aiConfig.KEY) private readonly config: ConfigType<typeof aiConfig>,
    private readonly counters: Counters,
  ) {
    this.backend = counters.shared ? 'redis' : 'memory';
  }

  async acquire(userId: string | null): Promise<WindowDecision> {
    const claims = [{ key: 'ai:global', limit: this.config.maxRequestsPerMinute }];
    if (userId) claims.push({ key: `ai:user:${userId}`, limit: this.config.userMaxRequestsPerMinute });
    const taken = await this.counters.take('ai', claims, WINDOW_MS);
    this.backend = taken.store;
    if (!taken.ok) return { allowed: false, scope: taken.full === 0 ? 'global' : 'user' };
    let released = false;
    return {
      allowed: true,
      // gives the call back when it never reached the provider
      release: () => {
        if (released) return;
        released = true;
        void this.counters.give(
          'ai',
          claims.map((c) => c.key),
        );
      },
    };
  }
}
