import { DataSource } from 'typeorm';
import { addMonths, monthStart, MonthlyPartitions, partitionName } from '@gad/database';
import { attachedPartitions, ensurePartitions, orphanPartitions } from './support/partitions.js';
import { startApp, suiteApps, type TestApp } from './support/test-app.js';
import { tempDir } from './support/test-env.js';

const DAY = 86_400_000;
const now = new Date();
const current = monthStart(now);
/** The month the retention cutoff falls in: four months back, the cutoff half-way through it. */
const boundary = addMonths(current, -4);
const retentionDays = Math.floor((now.getTime() - (boundary.getTime() + 15 * DAY)) / DAY);
const cutoff = new Date(now.getTime() - retentionDays * DAY);
const at = (month: Date, day: number) => new Date(month.getTime() + (day - 1) * DAY + 3_600_000);

/** Rows per month: three whole months past the retention, the boundary month on both sides of the cutoff, newer ones. */
const STAMPS = [
  ...[-7, -6, -5].flatMap((m) => [at(addMonths(current, m), 3), at(addMonths(current, m), 20)]),
  at(boundary, 2),
  at(boundary, 5),
  at(boundary, 27),
  at(boundary, 28),
  ...[-3, -2, -1].map((m) => at(addMonths(current, m), 10)),
  new Date(now.getTime() - 60_000),
];

const insert: Record<string, string> = {
  audit_logs: `INSERT INTO audit_logs (action, created_at) VALUES ('auth.login', $1) RETURNING id`,
  ai_interactions: `INSERT INTO ai_interactions (message_excerpt, source, latency_ms, created_at) VALUES ('', 'ai', 1, $1) RETURNING id`,
};

describe.each([
  ['PostgreSQL', false],
  ['PGlite', true],
])('monthly partitions and retention on %s', (_name, embedded) => {
  const suite = suiteApps();
  let t: TestApp;
  let data: DataSource;
  const kept: Record<string, string[]> = {};

  beforeAll(async () => {
    expect(cutoff.getTime()).toBeGreaterThan(at(boundary, 5).getTime());
    expect(cutoff.getTime()).toBeLessThan(at(boundary, 27).getTime());
    const env = { AUDIT_RETENTION_DAYS: String(retentionDays), AI_LOG_RETENTION_DAYS: String(retentionDays) };
    t = embedded ? await startApp({ ...env, DATABASE_URL: undefined, DATA_DIR: tempDir() }) : await suite.start(env);
    data = t.app.get(DataSource);
    await t.app.get(MonthlyPartitions).settled(); // the run started at boot, on an empty log
    for (const table of Object.keys(insert)) {
      await ensurePartitions(data, table, addMonths(current, -7), current);
      // the months ahead go, for the run to make them again
      for (const m of [1, 2]) await data.query(`DROP TABLE ${partitionName(table, addMonths(current, m))}`);
      kept[table] = [];
      for (const stamp of STAMPS) {
        const [{ id }] = await data.query(insert[table], [stamp]);
        if (stamp >= cutoff) kept[table].push(id);
      }
    }
  }, 60_000);
  afterAll(() => (embedded ? t.close() : undefined));

  it('drops the partitions past the retention, trims the boundary month, keeps newer rows and creates months ahead', async () => {
    const runs = await t.app.get(MonthlyPartitions).run(now);
    expect(runs.map((r) => r.table)).toEqual(['audit_logs', 'ai_interactions']);
    for (const run of runs) {
      const table = run.table;
      const expired = [-7, -6, -5].map((m) => partitionName(table, addMonths(current, m)));
      expect(run).toEqual({
        table,
        dropped: expired,
        trimmed: 2,
        created: [1, 2].map((m) => partitionName(table, addMonths(current, m))),
        deferred: false,
      });
      // gone from the catalog, not merely detached
      const left: unknown[] = await data.query(
        `SELECT relname FROM pg_class WHERE relname = ANY($1) UNION ALL
         SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE c.relname = ANY($1)`,
        [expired],
      );
      expect(left).toEqual([]);
      expect(await orphanPartitions(data, table)).toEqual([]);
      expect(await attachedPartitions(data, table)).toEqual(
        [-4, -3, -2, -1, 0, 1, 2].map((m) => partitionName(table, addMonths(current, m))),
      );
      const rows: { id: string }[] = await data.query(`SELECT id FROM ${table} ORDER BY created_at, id`);
      expect(rows.map((r) => r.id).sort()).toEqual([...kept[table]].sort());
      const [{ old }] = await data.query(`SELECT count(*)::int AS old FROM ${table} WHERE created_at < $1`, [cutoff]);
      expect(old).toBe(0);
    }
    const metrics = await (await fetch(`${t.origin}/metrics`)).text();
    for (const table of ['audit_logs', 'ai_interactions']) {
      expect(metrics).toMatch(new RegExp(`retention_dropped_partitions_total\\{[^}]*table="${table}"[^}]*\\} 3\\b`));
      expect(metrics).toMatch(new RegExp(`retention_deleted_rows_total\\{[^}]*table="${table}"[^}]*\\} 2\\b`));
    }
  });

  it('does nothing more on a second run', async () => {
    const before = await Promise.all(Object.keys(insert).map((table) => attachedPartitions(data, table)));
    const runs = await t.app.get(MonthlyPartitions).run(now);
    expect(
      runs.map(({ dropped, trimmed, created, deferred, error }) => ({ dropped, trimmed, created, deferred, error })),
    ).toEqual(runs.map(() => ({ dropped: [], trimmed: 0, created: [], deferred: false, error: undefined })));
    expect(await Promise.all(Object.keys(insert).map((table) => attachedPartitions(data, table)))).toEqual(before);
  });

  it('answers the lists across partitions, newest first', async () => {
    const { adminSession, call } = await import('./support/http.js');
    const admin = await adminSession(t.api);
    const page = await call('GET', `${t.api}/audit?action=auth.login&limit=100`, undefined, { token: admin.token });
    expect(page.status).toBe(200);
    const stamps: string[] = page.body.items.map((i: { created_at: string }) => i.created_at);
    expect(stamps.length).toBe(kept.audit_logs.length + 1); // and the admin's own sign-in
    expect([...stamps].sort().reverse()).toEqual(stamps);
  });
});
