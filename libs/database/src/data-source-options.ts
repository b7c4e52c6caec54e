import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { DataSourceOptions, MixedList, EntitySchema } from 'typeorm';
import { createRequire } from 'node:module';
import type * as TypeormPglite from 'typeorm-pglite';
import type { Configuration } from '@gad/config';
import { CountingTypeOrmLogger } from './query-counter.js';
import { checkedPgDriver } from './checked-pool.js';

export interface SchemaParts {
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  entities: MixedList<Function | string | EntitySchema>;
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  migrations: MixedList<Function | string>;
}

/** PGlite only when it is used: on PostgreSQL, loading it cost ~7 MB of RSS for nothing. */
function loadPglite(): typeof TypeormPglite {
  return createRequire(import.meta.url)('typeorm-pglite') as typeof TypeormPglite;
}

/** One options function for the app, the tests and the migration CLI. */
export function buildDataSourceOptions(config: Pick<Configuration, 'app' | 'database'>, schema: SchemaParts): DataSourceOptions {
  const db = config.database;
  const common = {
    type: 'postgres' as const,
    entities: schema.entities,
    migrations: schema.migrations,
    migrationsTableName: 'migrations',
    synchronize: false,
    migrationsRun: false, // run by runPendingMigrations under an advisory lock
    logger: new CountingTypeOrmLogger(),
    logging: ['query', 'error', 'warn', 'migration'] as const,
    maxQueryExecutionTime: 1000,
  };
  if (db.embedded) {
    const dir = resolve(join(db.dataDir, 'pglite'));
    mkdirSync(dir, { recursive: true });
    return {
      ...common,
      logging: [...common.logging],
      driver: new (loadPglite().PGliteDriver)({ dataDir: dir }).driver,
      installExtensions: false,
    } as DataSourceOptions;
  }
  return {
    ...common,
    logging: [...common.logging],
    url: db.url,
    ssl: db.ssl ? { rejectUnauthorized: false } : false,
    applicationName: config.app.name,
    installExtensions: false,
    // SQLAlchemy's pool: poolSize connections stay open once opened (`min`), up to maxOverflow more
    // under load that close after poolIdleTimeoutMs idle; every one is replaced after poolRecycleSeconds,
    // and one idle for a while is checked before use (CheckedPool, pool_pre_ping)
    driver: checkedPgDriver,
    extra: {
      min: db.poolSize,
      max: db.poolSize + db.maxOverflow,
      connectionTimeoutMillis: db.poolTimeoutMs,
      idleTimeoutMillis: db.poolIdleTimeoutMs,
      maxLifetimeSeconds: db.poolRecycleSeconds,
      statement_timeout: db.commandTimeoutMs,
      query_timeout: db.commandTimeoutMs + 1000,
      keepAlive: true,
      options: '-c jit=off',
    },
  } as DataSourceOptions;
}
