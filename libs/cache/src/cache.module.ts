import { CacheModule as NestCacheModule } from '@nestjs/cache-manager';
import { Global, Module } from '@nestjs/common';
import { AppConfig } from '@gad/config';
import { READINESS_CHECKS, type ReadinessCheck } from '@gad/health';
import { CacheController } from './cache.controller.js';
import { NearCache } from './near-cache.service.js';
import { CacheMetrics } from './cache.metrics.js';
import { CacheService } from './cache.service.js';
import { CACHE_BACKEND, CacheCounters, createCacheBackend, type CacheBackend } from './cache.store.js';
import { keyNamespace, RedisService } from '@gad/redis';
import { RedisReadinessCheck } from './redis.readiness.js';

/** Backend and counters, shared by the cache manager and CacheService. */
@Module({
  providers: [
    CacheCounters,
    {
      provide: CACHE_BACKEND,
      inject: [RedisService, CacheCounters, AppConfig],
      useFactory: (redis: RedisService, counters: CacheCounters, config: AppConfig): CacheBackend =>
        createCacheBackend(redis, counters, `${keyNamespace(config)}cache:`),
    },
  ],
  exports: [CacheCounters, CACHE_BACKEND],
})
class CacheBackendModule {}

/**
 * The JSON cache (Redis through @keyv/redis when REDIS_URL is set, memory otherwise), its admin
 * endpoints and Redis in readiness.
 * Use CacheService; the cache manager stays private to it.
 */
@Global()
@Module({
  imports: [
    CacheBackendModule,
    NestCacheModule.registerAsync({
      imports: [CacheBackendModule],
      inject: [CACHE_BACKEND],
      useFactory: (backend: CacheBackend) => ({ stores: [backend.keyv] }),
    }),
  ],
  controllers: [CacheController],
  providers: [
    CacheService,
    NearCache,
    CacheMetrics,
    {
      provide: READINESS_CHECKS,
      inject: [RedisService, AppConfig],
      useFactory: (redis: RedisService, config: AppConfig): ReadinessCheck[] =>
        redis.enabled ? [new RedisReadinessCheck(redis, config)] : [],
    },
  ],
  exports: [CacheService, NearCache, READINESS_CHECKS],
})
export class CacheModule {}
