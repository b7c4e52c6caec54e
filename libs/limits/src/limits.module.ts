import { Global, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import type { ConfigType } from '@nestjs/config';
import { ThrottlerModule } from '@nestjs/throttler';
import { httpConfig } from '@gad/config';
import { Counters } from './counters.service.js';
import { RateLimitGuard } from './rate-limit.guard.js';
import { DEFAULT_THROTTLER, ThrottledClients, throttleKey } from './throttled-clients.js';
import { ThrottlerCounterStorage } from './throttler.storage.js';

@Module({ providers: [Counters, ThrottlerCounterStorage], exports: [Counters, ThrottlerCounterStorage] })
class CountersModule {}

/**
 * The counters every limiter uses, and global rate limiting on them. Routes may override with
 * @Throttle({ default: { limit, ttl } }) or opt out with @SkipThrottle().
 */
@Global()
@Module({
  imports: [
    CountersModule,
    ThrottlerModule.forRootAsync({
      imports: [CountersModule],
      inject: [httpConfig.KEY, ThrottlerCounterStorage],
      useFactory: (http: ConfigType<typeof httpConfig>, storage: ThrottlerCounterStorage) => ({
        throttlers: [{ name: DEFAULT_THROTTLER, limit: http.rateLimitCalls, ttl: http.rateLimitPeriodSeconds * 1000 }],
        storage,
        // one budget per client across all routes (the library's default key is per route)
        generateKey: (_context, tracker, name) => throttleKey(name, tracker),
      }),
    }),
  ],
  providers: [ThrottledClients, { provide: APP_GUARD, useClass: RateLimitGuard }],
  exports: [CountersModule, ThrottledClients],
})
export class LimitsModule {}
