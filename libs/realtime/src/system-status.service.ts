import { Injectable } from '@nestjs/common';
import { AiService } from '@gad/ai';
import { HealthService } from '@gad/health';
import type { HttpSummary } from '@gad/observability';
import { ConnectionSlotsRepository } from './connection-slots.repository.js';
import type { SystemStatusDto } from './dto/server-events.dto.js';

/** The health summary admins see live: the readiness pings (each bounded), never throws. */
@Injectable()
export class SystemStatusService {
  constructor(
    private readonly health: HealthService,
    private readonly ai: AiService,
    private readonly slots: ConnectionSlotsRepository,
  ) {}

  /** `http`: the cluster's figures, from TrafficHistoryService. */
  async snapshot(http: HttpSummary): Promise<SystemStatusDto> {
    const [{ database, redis }, connections] = await Promise.all([this.health.dependencies(), this.slots.total()]);
    return {
      database,
      redis,
      ai: this.aiState(),
      connections,
      http,
      timestamp: new Date().toISOString(),
    };
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
