import { API_COUNT } from '@gad/observability';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

/** One check's state, as Terminus writes it. */
export class HealthIndicatorStateDto {
  @ApiProperty({
    description: "'up' or 'down'; Redis unreachable without REDIS_REQUIRED is 'degraded' (still ready).",
    enum: ['up', 'down', 'degraded'],
  })
  status!: 'up' | 'down' | 'degraded';

  @ApiPropertyOptional({ description: 'Why it is down or degraded.', maxLength: 200 })
  message?: string;
}

/** The checks by name: liveness has `process`, readiness `database` and, when configured, `redis`. */
export class HealthChecksDto {
  @ApiPropertyOptional({ type: HealthIndicatorStateDto }) process?: HealthIndicatorStateDto;
  @ApiPropertyOptional({ type: HealthIndicatorStateDto }) database?: HealthIndicatorStateDto;
  @ApiPropertyOptional({ type: HealthIndicatorStateDto }) redis?: HealthIndicatorStateDto;
}

/** Terminus' health check result: every check under `details`, split into `info` (up) and `error` (down). */
export class HealthCheckDto {
  @ApiProperty({
    enum: ['ok', 'degraded', 'error'],
    description: "'degraded' when Redis is unreachable but not required (still 200); 'error' when a check is down (503).",
  })
  status!: 'ok' | 'degraded' | 'error';

  @ApiProperty({ description: 'The checks that are up (or degraded).' })
  info!: HealthChecksDto;

  @ApiProperty({ description: 'The checks that are down.' })
  error!: HealthChecksDto;

  @ApiProperty({ description: 'Every check.' })
  details!: HealthChecksDto;
}

export class LivenessDto extends HealthCheckDto {
  @ApiProperty({ example: '1.0.0', maxLength: 50 })
  version!: string;

  @ApiProperty({ enum: ['development', 'test', 'staging', 'production'] })
  environment!: string;

  @ApiProperty({ ...API_COUNT, description: 'Seconds since this process started.', example: 12 })
  uptime_seconds!: number;
}
