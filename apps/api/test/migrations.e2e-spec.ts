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
