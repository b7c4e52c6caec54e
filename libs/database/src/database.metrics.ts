import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { ConfigType } from '@nestjs/config';
import { databaseConfig } from '@gad/config';
import { MetricsService } from '@gad/observability';
import { queryCounter } from './query-counter.js';

interface PgPoolCounts {
  totalCount?: number;
  idleCount?: number;
  waitingCount?: number;
}

/** Pool usage and query count, read at scrape time. */
@Injectable()
export class DatabaseMetrics {
  constructor(
    dataSource: DataSource,
    metrics: MetricsService,
    @Inject(databaseConfig.KEY) database: ConfigType<typeof databaseConfig>,
  ) {
    const pool = (): PgPoolCounts => (dataSource.driver as unknown as { master?: PgPoolCounts }).master ?? {};
    metrics.gauge('db_pool_connections', 'Database pool connections by state (PostgreSQL only)', ['state'], function () {
      const { totalCount = 0, idleCount = 0, waitingCount = 0 } = pool();
      this.set({ state: 'total' }, totalCount);
      this.set({ state: 'idle' }, idleCount);
      this.set({ state: 'in_use' }, totalCount - idleCount);
      this.set({ state: 'waiting_clients' }, waitingCount);
    });
    const { embedded, poolSize, maxOverflow } = database;
    metrics.gauge(
      'db_pool_configured_connections',
      'DB_POOL_SIZE (kept open) and the most with overflow',
      ['limit'],
      function () {
        this.set({ limit: 'size' }, embedded ? 1 : poolSize);
        this.set({ limit: 'max' }, embedded ? 1 : poolSize + maxOverflow);
      },
    );
    metrics.counter('db_queries_total', 'Queries sent to the database by this process', [], function () {
      this.reset();
      this.inc(queryCounter.total);
    });
  }
}
