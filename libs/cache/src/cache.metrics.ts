import { Injectable } from '@nestjs/common';
import { MetricsService } from '@gad/observability';
import { CacheCounters } from './cache.store.js';

/** Exposes the cache's own counters to Prometheus, read at scrape time (no cost per request). */
@Injectable()
export class CacheMetrics {
  constructor(metrics: MetricsService, counters: CacheCounters) {
    for (const field of ['hits', 'misses', 'errors'] as const) {
      metrics.counter(`cache_${field}_total`, `Cache ${field} on this process`, [], function () {
        this.reset();
        this.inc(counters[field]);
      });
    }
  }
}
