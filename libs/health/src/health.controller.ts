import { Controller, Get, Header, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import type { HealthCheckResult } from '@nestjs/terminus';
import { SkipThrottle } from '@nestjs/throttler';
import type { FastifyReply } from 'fastify';
import { Public } from '@gad/access';
import { OUTAGE_RETRY_AFTER } from '@gad/observability';
import { HealthCheckDto, LivenessDto } from './dto/health.dto.js';
import { HealthService, type Liveness } from './health.service.js';

@ApiTags('health')
@Public()
@SkipThrottle()
@Controller('health')
export class HealthController {
  constructor(private readonly health: HealthService) {}

  @Get()
  @Header('Cache-Control', 'no-store')
  @ApiOperation({ summary: 'Liveness: the process serves requests. Touches no dependency. Terminus format.' })
  @ApiOkResponse({ type: LivenessDto })
  live(): Promise<Liveness> {
    return this.health.live();
  }

  @Get('ready')
  @Header('Cache-Control', 'no-store')
  @ApiOperation({ summary: 'Readiness: the database (and Redis when configured) answer within a bound. Terminus format.' })
  @ApiOkResponse({ type: HealthCheckDto })
  @ApiServiceUnavailableResponse({
    description: 'A dependency is down, or the process is shutting down (Terminus format).',
    type: HealthCheckDto,
  })
  async ready(@Res({ passthrough: true }) reply: FastifyReply): Promise<HealthCheckResult> {
    const { healthy, result } = await this.health.ready();
    if (!healthy) reply.code(503).headers(OUTAGE_RETRY_AFTER);
    return result;
  }
}
