import { DataSource } from 'typeorm';
import { configurationFrom } from '@gad/config';
import { buildDataSourceOptions, runPendingMigrations } from '@gad/database';
import { SCHEMA } from '../src/schema.js';
import { MIGRATIONS } from '../../../migrations/index.js';
import { createThrowawayDatabase, type ThrowawayDatabase } from './support/databases.js';
import { baseEnv, tempDir } from './support/test-env.js';

const TABLES = ['users', 'roles', 'user_roles', 'sessions', 'refresh_tokens', 'audit_logs'];

async function tables(ds: DataSource): Promise<string[]> {
  const rows: { table_name: string }[] = await ds.query(
    `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_name <> 'migrations'`,
  );
  return rows.map((r) => r.table_name).sort();
}

async function upAndDown(ds: DataSource): Promise<void> {
  const applied = await runPendingMigrations(ds);
  expect(applied.map((m) => m.name)).toEqual(MIGRATIONS.map((m) => m.name));
  expect(await tables(ds)).toEqual(expect.arrayContaining(TABLES));
  const roles: { name: string }[] = await ds.query('SELECT name FROM roles ORDER BY name');
  expect(roles.map((r) => r.name)).toEqual(['admin', 'operator', 'supervisor']);
  // running again is a no-op
  expect(await runPendingMigrations(ds)).toEqual([]);
  for (let i = 0; i < MIGRATIONS.length; i++) await ds.undoLastMigration({ transaction: 'each' });
  expect(await tables(ds)).toEqual([]);
  // and the history replays cleanly
  expect((await runPendingMigrations(ds)).length).toBe(MIGRATIONS.length);
}

interface LogRow {
  id: string;
  created_at: string;
}

const LOG_TABLES = ['audit_logs', 'ai_interactions'];

/** Rows of each log spread over five months, some older than a year (ISO created_at, by id). */
async function insertLogRows(ds: DataSource): Promise<void> {
  const ages = ['0 days', '1 day', '40 days', '95 days', '400 days', '430 days'];
  for (const age of ages) {
    await ds.query(`INSERT INTO audit_logs (action, created_at) VALUES ('auth.login', now() - interval '${age}')`);
    await ds.query(
      `INSERT INTO ai_interactions (message_excerpt, source, latency_ms, created_at) VALUES ('', 'ai', 1, now() - interval '${age}')`,
    );
  }
}

async function logRows(ds: DataSource, table: string): Promise<string[]> {
  const rows: LogRow[] = await ds.query(`SELECT id, created_at FROM ${table} ORDER BY id`);
  return rows.map((r) => `${r.id}|${new Date(r.created_at).toISOString()}`);
}

/** The partitions of a table (relname), oldest first; none for a plain table. */
async function partitionsOf(ds: DataSource, table: string): Promise<string[]> {
  const rows: { name: string }[] = await ds.query(
    `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
     WHERE i.inhparent = $1::regclass ORDER BY c.relname`,
    [table],
  );
  return rows.map((r) => r.name);
}

async function relkind(ds: DataSource, table: string): Promise<string> {
  const [row]: { relkind: string }[] = await ds.query(`SELECT relkind FROM pg_class WHERE oid = $1::regclass`, [table]);
  return row.relkind;
}

const monthName = (table: string, date: Date) =>
  `${table}_p${date.getUTCFullYear()}_${String(date.getUTCMonth() + 1).padStart(2, '0')}`;

/** The partitioning migration, down and up, with rows in several months: nothing lost either way. */
async function partitionsKeepData(ds: DataSource): Promise<void> {
  await runPendingMigrations(ds);
  await ds.undoLastMigration({ transaction: 'each' }); // back to plain tables
  for (const table of LOG_TABLES) expect(await relkind(ds, table)).toBe('r');
  await insertLogRows(ds);
  const before = Object.fromEntries(await Promise.all(LOG_TABLES.map(async (t) => [t, await logRows(ds, t)])));

  expect((await runPendingMigrations(ds)).map((m) => m.name)).toEqual(['MonthlyLogPartitions1764300003000']);
  for (const table of LOG_TABLES) {
    expect(await relkind(ds, table)).toBe('p');
    expect(await logRows(ds, table)).toEqual(before[table]);
    const [oldest] = await ds.query(`SELECT min(created_at) AS at FROM ${table}`);
    const partitions = await partitionsOf(ds, table);
    const now = new Date();
    // from the oldest row's month through two months ahead, one per month
    expect(partitions[0]).toBe(monthName(table, new Date(oldest.at)));
    expect(partitions.at(-1)).toBe(monthName(table, new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 2, 1))));
    expect(partitions.length).toBeGreaterThanOrEqual(17);
    // each row sits in its month's partition
    const misplaced: unknown[] = await ds.query(
      `SELECT id FROM ${table}
       WHERE tableoid::regclass::text <> '${table}_p' || to_char(created_at AT TIME ZONE 'UTC', 'YYYY_MM')`,
    );
    expect(misplaced).toEqual([]);
    const [pk] = await ds.query(
      `SELECT pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE conrelid = $1::regclass AND contype = 'p'`,
      [table],
    );
    expect(pk.def).toBe('PRIMARY KEY (id, created_at)');
  }

  await ds.undoLastMigration({ transaction: 'each' });
  for (const table of LOG_TABLES) {
    expect(await relkind(ds, table)).toBe('r');
    expect(await partitionsOf(ds, table)).toEqual([]);
    expect(await logRows(ds, table)).toEqual(before[table]);
  }
  const leftovers: unknown[] = await ds.query(
    `SELECT relname FROM pg_class WHERE relname ~ '^(audit_logs|ai_interactions)_(p\\d{4}_\\d{2}|unpartitioned|plain)$'`,
  );
  expect(leftovers).toEqual([]);
}

describe('migrations', () => {
  it('go up and down on PostgreSQL', async () => {
    const db: ThrowawayDatabase = await createThrowawayDatabase();
    const ds = new DataSource(buildDataSourceOptions(configurationFrom(baseEnv({ DATABASE_URL: db.url })), SCHEMA));
    try {
      await ds.initialize();
      await upAndDown(ds);
    } finally {
      await ds.destroy().catch(() => undefined);
      await db.drop();
    }
  });

  it('partition the logs by month and back on PostgreSQL, keeping every row', async () => {
    const db = await createThrowawayDatabase();
    const ds = new DataSource(buildDataSourceOptions(configurationFrom(baseEnv({ DATABASE_URL: db.url })), SCHEMA));
    try {
      await ds.initialize();
      await partitionsKeepData(ds);
    } finally {
      await ds.destroy().catch(() => undefined);
      await db.drop();
    }
  });

  it('partition the logs by month and back on embedded PGlite, keeping every row', async () => {
    const ds = new DataSource(buildDataSourceOptions(configurationFrom(baseEnv({ DATA_DIR: tempDir() })), SCHEMA));
    try {
      await ds.initialize();
      await partitionsKeepData(ds);
    } finally {
      await ds.destroy().catch(() => undefined);
    }
  });

  it('leave nothing for migration:generate to do: the entities describe exactly the migrated schema', async () => {
    const db = await createThrowawayDatabase();
    const ds = new DataSource(buildDataSourceOptions(configurationFrom(baseEnv({ DATABASE_URL: db.url })), SCHEMA));
    try {
      await ds.initialize();
      await runPendingMigrations(ds);
      const pending = await ds.driver.createSchemaBuilder().log();
      expect(pending.upQueries.map((q) => q.query)).toEqual([]);
    } finally {
      await ds.destroy().catch(() => undefined);
      await db.drop();
    }
  });

  it('go up and down on embedded PGlite', async () => {
    const ds = new DataSource(buildDataSourceOptions(configurationFrom(baseEnv({ DATA_DIR: tempDir() })), SCHEMA));
    try {
      await ds.initialize();
      await upAndDown(ds);
    } finally {
      await ds.destroy().catch(() => undefined);
    }
  });

  it('serialise replicas that migrate at the same time', async () => {
    const db = await createThrowawayDatabase();
    const options = buildDataSourceOptions(configurationFrom(baseEnv({ DATABASE_URL: db.url })), SCHEMA);
    const replicas = [new DataSource(options), new DataSource(options), new DataSource(options)];
    try {
      await Promise.all(replicas.map((r) => r.initialize()));
      const results = await Promise.all(replicas.map((r) => runPendingMigrations(r)));
      expect(results.map((r) => r.length).sort()).toEqual([0, 0, MIGRATIONS.length]);
    } finally {
      await Promise.all(replicas.map((r) => r.destroy().catch(() => undefined)));
      await db.drop();
    }
  });
});
