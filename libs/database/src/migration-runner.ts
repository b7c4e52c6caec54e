import type { DataSource, Migration } from 'typeorm';

// Arbitrary but fixed: every replica takes the same lock before migrating.
const MIGRATION_LOCK_KEY = 720_514_2024;

/** Applies pending migrations while holding a session advisory lock, so replicas starting together never race. */
export async function runPendingMigrations(dataSource: DataSource): Promise<Migration[]> {
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  try {
    await runner.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    try {
      return await dataSource.runMigrations({ transaction: 'each' });
    } finally {
      await runner.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
    }
  } finally {
    await runner.release();
  }
}
