import type { HealthIndicatorResult } from '@nestjs/terminus';
import type { AppConfig } from '@gad/config';
import type { ReadinessCheck } from '@gad/health';
import type { RedisService } from '@gad/redis';

const PING_TIMEOUT_MS = 1000;

/**
 * Redis in readiness: `up`, or `degraded` (still 200) while it is unreachable, because the cache and
 * the rate-limit counters fall back to memory. REDIS_REQUIRED=true turns an outage into `down` (503).
 */
export class RedisReadinessCheck implements ReadinessCheck {
  constructor(
    private readonly redis: RedisService,
    private readonly config: AppConfig,
  ) {}

  async check(): Promise<HealthIndicatorResult> {
    if (await this.redis.ping(PING_TIMEOUT_MS)) return { redis: { status: 'up' } };
    if (this.config.redis.required) return { redis: { status: 'down', message: 'Redis is unreachable (REDIS_REQUIRED=true)' } };
    return { redis: { status: 'degraded', message: 'Redis is unreachable: cache and rate limits run in memory' } };
  }
}
