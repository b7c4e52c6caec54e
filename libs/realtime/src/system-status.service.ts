import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AiService } from '@gad/ai';
import { RedisService } from '@gad/cache';
import type { HttpSummary } from '@gad/observability';
import { ConnectionSlots } from './connection-slots.repository.js';
import type { SystemStatusDto } from './dto/server-events.dto.js';

const PROBE_TIMEOUT_MS = 1500;

/** The health summary admins see live: cheap probes only, each bounded, never throws. */
@Injectable()
export class SystemStatusService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly redis: RedisService,
    private readonly ai: AiService,
    private readonly slots: ConnectionSlots,
  ) {}

  /** `http`: the cluster's figures, from TrafficHistoryService. */
  async snapshot(http: HttpSummary): Promise<SystemStatusDto> {
    const [database, redis, connections] = await Promise.all([this.database(), this.redisState(), this.slots.total()]);
    return {
      database,
      redis,
      ai: this.aiState(),
      connections,
      http,
      timestamp: new Date().toISOString(),
    };
  }

  private async database(): Promise<SystemStatusDto['database']> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), PROBE_TIMEOUT_MS)));
    const ping = this.dataSource.query('SELECT 1').then(
      () => true,
      () => false,
    );
    try {
      return (await Promise.race([ping, timeout])) ? 'up' : 'down';
    } finally {
      clearTimeout(timer);
    }
  }

  private async redisState(): Promise<SystemStatusDto['redis']> {
    if (!this.redis.enabled) return 'disabled';
    return (await this.redis.ping(PROBE_TIMEOUT_MS)) ? 'up' : 'down';
  }

  /** `failing` while the provider's latest outcome is a failure (this process's view). */
  private aiState(): SystemStatusDto['ai'] {
    const status = this.ai.providerStatus();
    if (!status.configured) return 'not_configured';
    const failed =
      status.lastFailureAt !== null && (status.lastSuccessAt === null || status.lastFailureAt > status.lastSuccessAt);
    return failed ? 'failing' : 'configured';
  }
}
