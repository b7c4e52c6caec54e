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
import type { FastifyRequest } from 'fastify';
import { AppConfig } from '@gad/config';
import { MetricsService, ProblemException } from '@gad/observability';
import type { Counter } from 'prom-client';
import { isProbePath } from './probe-paths.js';

/**
 * @nestjs/throttler's guard, per client address (req.ip, after trusted-proxy resolution), answering
 * 429 as problem+json with Retry-After and the X-RateLimit-* headers. Probes and metrics are exempt
 * by path as well as by @SkipThrottle, so a probe can never be starved by a noisy client.
 */
@Injectable()
export class RateLimitGuard extends ThrottlerGuard {
  constructor(
    @InjectThrottlerOptions() options: ThrottlerModuleOptions,
    @InjectThrottlerStorage() storage: ThrottlerStorage,
    reflector: Reflector,
    private readonly config: AppConfig,
    metrics: MetricsService,
  ) {
    super(options, storage, reflector);
    this.rejections = rateLimitRejections(metrics);
  }

  private readonly rejections: Counter<'limiter'>;

  protected override async shouldSkip(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    return isProbePath(this.config, context.switchToHttp().getRequest<FastifyRequest>().url.split('?')[0]);
  }

  protected override async throwThrottlingException(_context: ExecutionContext, detail: ThrottlerLimitDetail): Promise<void> {
    this.rejections.inc({ limiter: 'default' });
    const retryAfter = String(Math.max(1, detail.timeToBlockExpire));
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

/** Requests refused with 429, by limiter (`default`, `login`). */
export function rateLimitRejections(metrics: MetricsService): Counter<'limiter'> {
  return metrics.counter('rate_limit_rejections_total', 'Requests refused with 429, by limiter', ['limiter']);
}
