import { Global, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { ThrottlerModule, type ThrottlerModuleOptions } from '@nestjs/throttler';
import { AppConfig } from '@gad/config';
import { RateLimitGuard } from './rate-limit.guard.js';
import { RateLimitStorage } from './rate-limit.storage.js';

/** The throttler every route gets: RATE_LIMIT_CALLS per RATE_LIMIT_PERIOD per client. */
export const DEFAULT_THROTTLER = 'default';

export function throttlerOptions(config: AppConfig, storage: RateLimitStorage): ThrottlerModuleOptions {
  return {
    throttlers: [
      {
        name: DEFAULT_THROTTLER,
        limit: config.http.rateLimitCalls,
        ttl: config.http.rateLimitPeriodSeconds * 1000,
        // refuse until the window ends, as a fixed-window limiter does, rather than adding a penalty
        blockDuration: 0,
      },
    ],
    storage,
    // one budget per client across all routes (the default key is per route)
    generateKey: (_context, tracker, name) => `${name}:${tracker}`,
  };
}

@Module({ providers: [RateLimitStorage], exports: [RateLimitStorage] })
class RateLimitStorageModule {}

/**
 * Global rate limiting. Routes may override with @Throttle({ default: { limit, ttl } }) or opt out
 * with @SkipThrottle(); RateLimitStorage is exported for other counters that must be shared.
 */
@Global()
@Module({
  imports: [
    RateLimitStorageModule,
    ThrottlerModule.forRootAsync({
      imports: [RateLimitStorageModule],
      inject: [AppConfig, RateLimitStorage],
      useFactory: throttlerOptions,
    }),
  ],
  providers: [{ provide: APP_GUARD, useClass: RateLimitGuard }],
  exports: [RateLimitStorageModule],
})
export class RateLimitModule {}
