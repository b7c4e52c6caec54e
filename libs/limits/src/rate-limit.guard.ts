import { HttpStatus, Injectable, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import {
  InjectThrottlerOptions,
  InjectThrottlerStorage,
  ThrottlerGuard,
  type ThrottlerLimitDetail,
  type ThrottlerModuleOptions,
  type ThrottlerStorage,
} from '@nestjs/throttler';
import type { Counter } from 'prom-client';
import { MetricsService, ProblemException } from '@gad/observability';
import { ThrottledClients } from './throttled-clients.js';

/** Requests refused with 429, by limiter (`default`, `login`). */
export function rateLimitRejections(metrics: MetricsService): Counter<'limiter'> {
  return metrics.counter('rate_limit_rejections_total', 'Requests refused with 429, by limiter', ['limiter']);
}

/**
 * @nestjs/throttler's guard (per client address: request.ip after trusted-proxy resolution), answering
 * 429 as problem+json with Retry-After and the X-RateLimit-* headers. Probes opt out with @SkipThrottle.
 */
@Injectable()
export class RateLimitGuard extends ThrottlerGuard {
  private readonly rejections: Counter<'limiter'>;

  constructor(
    @InjectThrottlerOptions() options: ThrottlerModuleOptions,
    @InjectThrottlerStorage() storage: ThrottlerStorage,
    reflector: Reflector,
    metrics: MetricsService,
    private readonly throttled: ThrottledClients,
  ) {
    super(options, storage, reflector);
    this.rejections = rateLimitRejections(metrics);
  }

  /** Socket events have their own per-socket budget (the realtime gateway). */
  protected override async shouldSkip(context: ExecutionContext): Promise<boolean> {
    return context.getType() !== 'http';
  }

  protected override async throwThrottlingException(_context: ExecutionContext, detail: ThrottlerLimitDetail): Promise<void> {
    this.rejections.inc({ limiter: 'default' });
    const retryAfter = String(Math.max(1, detail.timeToBlockExpire));
    this.throttled.block(detail.tracker, Number(retryAfter));
    throw new ProblemException(HttpStatus.TOO_MANY_REQUESTS, {
      detail: `Too many requests: the limit is ${detail.limit} per ${Math.round(detail.ttl / 1000)} seconds. Retry in ${retryAfter} s.`,
      headers: {
        'Retry-After': retryAfter,
        'X-RateLimit-Limit': String(detail.limit),
        'X-RateLimit-Remaining': '0',
        'X-RateLimit-Reset': retryAfter,
      },
    });
  }
}
