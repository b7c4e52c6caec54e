import { Controller, Get, Header, Inject, Optional, Res, ServiceUnavailableException } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { HealthCheckService, TypeOrmHealthIndicator, type HealthCheckResult } from '@nestjs/terminus';
import { SkipThrottle } from '@nestjs/throttler';
import type { FastifyReply } from 'fastify';
import { AppConfig } from '@gad/config';
import { LifecycleService } from './lifecycle.service.js';
import { READINESS_CHECKS, type ReadinessCheck } from './readiness.js';
import { Public } from '@gad/access';

const DATABASE_PING_TIMEOUT_MS = 1500;
const SHUTTING_DOWN: HealthCheckResult = {
  status: 'shutting_down',
  info: {},
  error: { process: { status: 'down', message: 'shutting down' } },
  details: { process: { status: 'down', message: 'shutting down' } },
};

export interface Liveness {
  status: 'ok';
  version: string;
  environment: string;
  uptime_seconds: number;
}

/** The liveness answer: touches no dependency. Also served at HEALTH_CHECK_PATH when that differs. */
export function liveness(config: AppConfig, lifecycle: LifecycleService): Liveness {
  return {
    status: 'ok',
    version: config.app.version,
    environment: config.environment,
    uptime_seconds: Math.round((Date.now() - lifecycle.startedAt) / 1000),
  };
}

@ApiTags('health')
@Public()
@SkipThrottle()
@Controller('health')
export class HealthController {
  constructor(
    private readonly config: AppConfig,
    private readonly health: HealthCheckService,
    private readonly database: TypeOrmHealthIndicator,
    private readonly lifecycle: LifecycleService,
    @Optional() @Inject(READINESS_CHECKS) private readonly extraChecks: ReadinessCheck[] = [],
  ) {}

  @Get()
  @Header('Cache-Control', 'no-store')
  @ApiOperation({ summary: 'Liveness: the process serves requests. Touches no dependency.' })
  @ApiOkResponse({ schema: { example: { status: 'ok', version: '1.0.0', environment: 'production', uptime_seconds: 12 } } })
  live(): Liveness {
    return liveness(this.config, this.lifecycle);
  }

  @Get('ready')
  @Header('Cache-Control', 'no-store')
  @ApiOperation({ summary: 'Readiness: the database (and Redis when configured) answer within a bound. Terminus format.' })
  @ApiOkResponse({
    schema: {
      example: { status: 'ok', info: { database: { status: 'up' } }, error: {}, details: { database: { status: 'up' } } },
    },
  })
  @ApiServiceUnavailableResponse({ description: 'A dependency is down, or the process is shutting down (Terminus format).' })
  async ready(@Res({ passthrough: true }) res: FastifyReply): Promise<HealthCheckResult> {
    if (this.lifecycle.isShuttingDown) {
      res.code(503);
      return SHUTTING_DOWN;
    }
    try {
      return await this.health.check([
        () => this.database.pingCheck('database', { timeout: DATABASE_PING_TIMEOUT_MS }),
        ...this.extraChecks.map((c) => () => c.check()),
      ]);
    } catch (error) {
      if (!(error instanceof ServiceUnavailableException)) throw error;
      res.code(503);
      return error.getResponse() as HealthCheckResult;
    }
  }
}
