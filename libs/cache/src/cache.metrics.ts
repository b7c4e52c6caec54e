import { Injectable } from '@nestjs/common';
import { MetricsService } from '@gad/observability';
import { CacheService } from './cache.service.js';

/** The cache's counters for Prometheus, read at scrape time (no cost per request). */
@Injectable()
export class CacheMetrics {
  constructor(metrics: MetricsService, cache: CacheService) {
    for (const field of ['hits', 'misses', 'errors'] as const) {
      metrics.counter(`cache_${field}_total`, `Cache ${field} on this process`, [], function () {
        this.reset();
        this.inc(cache.stats()[field]);
      });
    }
  }
}
