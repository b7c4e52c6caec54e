import { HttpStatus, Injectable, type CanActivate, type ExecutionContext, type OnModuleInit } from '@nestjs/common';
import {
  InjectThrottlerOptions,
  InjectThrottlerStorage,
  ThrottlerGuard,
  type ThrottlerLimitDetail,
  type ThrottlerModuleOptions,
  type ThrottlerRequest,
  type ThrottlerStorage,
} from '@nestjs/throttler';
import {
  THROTTLER_BLOCK_DURATION,
  THROTTLER_KEY_GENERATOR,
  THROTTLER_LIMIT,
  THROTTLER_SKIP,
  THROTTLER_TRACKER,
  THROTTLER_TTL,
} from '@nestjs/throttler/dist/throttler.constants.js';
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

type Step = Omit<ThrottlerRequest, 'context'>;

/**
 * The library's guard, with what it reads from a route's decorators (skip, limit, ttl, block, tracker,
 * key) resolved once per route instead of on every request. A route whose options depend on the
 * request (functions, skipIf) keeps the library's own per-request path; counting, headers and
 * refusals are always the library's handleRequest.
 */
class Throttler extends ThrottlerGuard {
  private readonly plans = new Map<object, { classRef: object; steps: Step[] | undefined }>();

  constructor(
    options: ThrottlerModuleOptions,
    storage: ThrottlerStorage,
    reflector: CachedReflector,
    private readonly rejections: Counter<'limiter'>,
  ) {
    super(options, storage, reflector);
  }

  override async canActivate(context: ExecutionContext): Promise<boolean> {
    const steps = this.stepsFor(context);
    if (!steps) return super.canActivate(context);
    for (const step of steps) if (!(await this.handleRequest({ context, ...step }))) return false;
    return true;
  }

  private stepsFor(context: ExecutionContext): Step[] | undefined {
    const handler = context.getHandler();
    const classRef = context.getClass();
    let plan = this.plans.get(handler);
    if (!plan) this.plans.set(handler, (plan = { classRef, steps: this.plan(handler, classRef) }));
    return plan.classRef === classRef ? plan.steps : undefined;
  }

  private plan(handler: object, classRef: object): Step[] | undefined {
    const steps: Step[] = [];
    for (const throttler of this.throttlers) {
      const read = (key: string): unknown =>
        this.reflector.getAllAndOverride(key + throttler.name, [handler as never, classRef as never]);
      if (read(THROTTLER_SKIP)) continue;
      if (throttler.skipIf || this.commonOptions.skipIf) return undefined;
      const limit = read(THROTTLER_LIMIT) ?? throttler.limit;
      const ttl = read(THROTTLER_TTL) ?? throttler.ttl;
      const blockDuration = read(THROTTLER_BLOCK_DURATION) ?? throttler.blockDuration ?? ttl;
      if (typeof limit !== 'number' || typeof ttl !== 'number' || typeof blockDuration !== 'number') return undefined;
      steps.push({
        throttler,
        limit,
        ttl,
        blockDuration,
        getTracker: (read(THROTTLER_TRACKER) as Step['getTracker']) || throttler.getTracker || this.commonOptions.getTracker!,
        generateKey:
          (read(THROTTLER_KEY_GENERATOR) as Step['generateKey']) || throttler.generateKey || this.commonOptions.generateKey!,
      });
    }
    return steps;
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
