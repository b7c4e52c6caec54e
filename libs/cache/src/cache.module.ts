import { Global, Module } from '@nestjs/common';
import { CacheController } from './cache.controller.js';
import { CacheMetrics } from './cache.metrics.js';
import { CacheRepository } from './cache.repository.js';
import { CacheService } from './cache.service.js';

/** The read-through cache (Redis when REDIS_URL is set, memory otherwise) and its admin endpoints. */
@Global()
@Module({
  controllers: [CacheController],
  providers: [CacheRepository, CacheService, CacheMetrics],
  exports: [CacheService],
})
export class CacheModule {}
