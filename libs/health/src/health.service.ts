import { Inject, Injectable, ServiceUnavailableException } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { HealthCheckService, HealthIndicatorService, type HealthCheckResult, type HealthIndicatorResult } from '@nestjs/terminus';
import { appConfig, redisConfig } from '@gad/config';
import { HealthRepository } from './health.repository.js';
import { LifecycleService } from './lifecycle.service.js';

const DATABASE_PING_TIMEOUT_MS = 1500;
const REDIS_PING_TIMEOUT_MS = 1000;

export interface Liveness extends HealthCheckResult {
  version: string;
  environment: string;
  uptime_seconds: number;
}

export interface Readiness {
  healthy: boolean;
  result: HealthCheckResult;
}

/** Liveness and readiness, both as Terminus health checks. */
@Injectable()
export class HealthService {
  constructor(
    @Inject(appConfig.KEY) private readonly app: ConfigType<typeof appConfig>,
    @Inject(redisConfig.KEY) private readonly redisSettings: ConfigType<typeof redisConfig>,
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    private readonly pings: HealthRepository,
    private readonly lifecycle: LifecycleService,
  ) {}

  /** The process serves requests; no dependency is touched. */
  async live(): Promise<Liveness> {
    const result = await this.health.check([() => this.indicators.check('process').up()]);
    return {
      ...result,
      version: this.app.version,
      environment: this.app.environment,
      uptime_seconds: Math.round((Date.now() - this.lifecycle.startedAt) / 1000),
    };
  }

  /**
   * The database (and Redis, when configured) answer within a bound. Redis down is `degraded` and still
   * healthy, since the cache and limits fall back to memory, unless REDIS_REQUIRED=true.
   */
  async ready(): Promise<Readiness> {
    const checks = this.lifecycle.isShuttingDown
      ? [() => this.indicators.check('process').down({ message: 'shutting down' })]
      : [() => this.database(), () => this.redis()];
    try {
      return { healthy: true, result: await this.health.check(checks) };
    } catch (error) {
      if (!(error instanceof ServiceUnavailableException)) throw error;
      return { healthy: false, result: error.getResponse() as HealthCheckResult };
    }
  }

  /** For the dashboard's live status: the same pings, as plain states. */
  async dependencies(): Promise<{ database: 'up' | 'down'; redis: 'up' | 'down' | 'disabled' }> {
    const [database, redis] = await Promise.all([
      this.pings.pingDatabase(DATABASE_PING_TIMEOUT_MS),
      this.pings.pingRedis(REDIS_PING_TIMEOUT_MS),
    ]);
    return { database: database ? 'up' : 'down', redis };
  }

  private async database(): Promise<HealthIndicatorResult> {
    const indicator = this.indicators.check('database');
    return (await this.pings.pingDatabase(DATABASE_PING_TIMEOUT_MS))
      ? indicator.up()
      : indicator.down({ message: `no answer within ${DATABASE_PING_TIMEOUT_MS} ms` });
  }

  private async redis(): Promise<HealthIndicatorResult> {
    const state = await this.pings.pingRedis(REDIS_PING_TIMEOUT_MS);
    if (state === 'disabled') return {};
    if (state === 'up') return this.indicators.check('redis').up();
    if (this.redisSettings.required)
      return this.indicators.check('redis').down({ message: 'Redis is unreachable (REDIS_REQUIRED=true)' });
    return {
      redis: { status: 'degraded', message: 'Redis is unreachable: cache and rate limits run in memory' },
    } as unknown as HealthIndicatorResult;
  }
}
