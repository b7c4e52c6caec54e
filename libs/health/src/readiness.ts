import type { HealthIndicatorResult } from '@nestjs/terminus';

/** A dependency readiness checks (Redis, …). Provided by the module that owns the dependency. */
export interface ReadinessCheck {
  check(): Promise<HealthIndicatorResult>;
}

export const READINESS_CHECKS = Symbol('READINESS_CHECKS');
