import { HttpStatus, Injectable, type CanActivate, type ExecutionContext, type OnModuleInit } from '@nestjs/common';
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
import { CachedReflector } from './cached-reflector.js';
import { isProbePath } from './probe-paths.js';

/**
 * @nestjs/throttler's guard, per client address (req.ip, after trusted-proxy resolution), answering
 * 429 as problem+json with Retry-After and the X-RateLimit-* headers. Probes and metrics are exempt
 * by path as well as by @SkipThrottle, so a probe can never be starved by a noisy client; they are
 * let through here, at once, without the throttler's asynchronous machinery.
 */
@Injectable()
export class RateLimitGuard implements CanActivate, OnModuleInit {
  private readonly throttler: Throttler;
  private readonly probeRoutes = new Map<string, boolean>();

  constructor(
    @InjectThrottlerOptions() options: ThrottlerModuleOptions,
    @InjectThrottlerStorage() storage: ThrottlerStorage,
    private readonly config: AppConfig,
    metrics: MetricsService,
  ) {
    this.throttler = new Throttler(options, storage, new CachedReflector(), rateLimitRejections(metrics));
  }

  onModuleInit(): Promise<void> {
    return this.throttler.onModuleInit();
  }

  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    if (context.getType() !== 'http' || this.isProbe(context.switchToHttp().getRequest<FastifyRequest>())) return true;
    return this.throttler.canActivate(context);
  }

  /** By the matched route's path (a handful of strings, so remembered), else by the request's own. */
  private isProbe(request: FastifyRequest): boolean {
    const route = request.routeOptions.url;
    if (route === undefined) return isProbePath(this.config, request.url.split('?')[0]);
    let probe = this.probeRoutes.get(route);
    if (probe === undefined) this.probeRoutes.set(route, (probe = isProbePath(this.config, route)));
    return probe;
  }
}

class Throttler extends ThrottlerGuard {
  constructor(
    options: ThrottlerModuleOptions,
    storage: ThrottlerStorage,
    reflector: CachedReflector,
    private readonly rejections: Counter<'limiter'>,
  ) {
    super(options, storage, reflector);
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
