import type { Logger as TypeOrmLogger } from 'typeorm';
import { Logger } from '@nestjs/common';

/** Counts every query TypeORM sends; benchmarks and N+1 tests read it. */
export class QueryCounter {
  private count = 0;
  increment(): void {
    this.count += 1;
  }
  get total(): number {
    return this.count;
  }
}

export const queryCounter = new QueryCounter();

/** TypeORM logger: counts queries, logs errors and slow queries, never parameters (they may hold secrets). */
export class CountingTypeOrmLogger implements TypeOrmLogger {
  private readonly logger = new Logger('Database');

  constructor(private readonly counter: QueryCounter = queryCounter) {}

  logQuery(): void {
    this.counter.increment();
  }
  logQueryError(error: string | Error, query: string): void {
    this.counter.increment();
    this.logger.warn({ err: typeof error === 'string' ? error : error.message, query: query.slice(0, 200) }, 'query failed');
  }
  logQuerySlow(time: number, query: string): void {
    this.logger.warn({ ms: time, query: query.slice(0, 200) }, 'slow query');
  }
  logSchemaBuild(): void {}
  logMigration(message: string): void {
    this.logger.log(message);
  }
  log(level: 'log' | 'info' | 'warn', message: unknown): void {
    if (level === 'warn') this.logger.warn(String(message));
  }
}
