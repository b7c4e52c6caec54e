import pg from 'pg';
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

describe('monthly partitions with two replicas running at once', () => {
  const suite = suiteApps();

  it('never does the same work twice nor fails, and together they finish it', async () => {
    const env = { AUDIT_RETENTION_DAYS: String(retentionDays), AI_LOG_RETENTION_DAYS: String(retentionDays) };
    const replicas = [await suite.start(env), await suite.start(env)];
    const data = replicas[0].app.get(DataSource);
    await Promise.all(replicas.map((r) => r.app.get(MonthlyPartitions).settled()));
    await ensurePartitions(data, 'audit_logs', addMonths(current, -7), current);
    for (const stamp of STAMPS) await data.query(insert.audit_logs, [stamp]);

    const runs = (await Promise.all(replicas.map((r) => r.app.get(MonthlyPartitions).run(now))))
      .flat()
      .filter((r) => r.table === 'audit_logs');
    expect(runs.map((r) => r.error)).toEqual([undefined, undefined]);
    const dropped = runs.flatMap((r) => r.dropped);
    expect(new Set(dropped).size).toBe(dropped.length); // no month dropped twice
    expect(runs.reduce((n, r) => n + r.trimmed, 0)).toBe(2); // each boundary row deleted once
    // a replica that found the other at work left it the rest; the next runs finish whatever is left
    await Promise.all(replicas.map((r) => r.app.get(MonthlyPartitions).run(now)));
    expect(await attachedPartitions(data, 'audit_logs')).toEqual(
      [-4, -3, -2, -1, 0, 1, 2].map((m) => partitionName('audit_logs', addMonths(current, m))),
    );
    expect(await orphanPartitions(data, 'audit_logs')).toEqual([]);
    const [{ old }] = await data.query(`SELECT count(*)::int AS old FROM audit_logs WHERE created_at < $1`, [cutoff]);
    expect(old).toBe(0);
  });
});

describe('a failing partition run', () => {
  const suite = suiteApps();

  it('reports the failing log, still serves the others, and never throws from the scheduled run', async () => {
    const t = await suite.start();
    const partitions = t.app.get(MonthlyPartitions);
    await partitions.settled();
    partitions.register({ table: 'no_such_log', retentionDays: 1 });
    const runs = await partitions.run(now);
    expect(runs.map((r) => [r.table, r.error === undefined])).toEqual([
      ['audit_logs', true],
      ['ai_interactions', true],
      ['no_such_log', false],
    ]);
    await expect(partitions.scheduledRun()).resolves.toBeUndefined();
    const health = await fetch(`${t.api}/health`);
    expect(health.status).toBe(200);
  });
});

describe('a partition held by a long reader', () => {
  const suite = suiteApps();

  it('is left attached and whole after lock_timeout, readers wait no longer than that, and the next run drops it', async () => {
    const env = { AUDIT_RETENTION_DAYS: String(retentionDays), AI_LOG_RETENTION_DAYS: String(retentionDays) };
    const t = await suite.start({ ...env, RATE_LIMIT_CALLS: '100000' });
    const partitions = t.app.get(MonthlyPartitions);
    const data = t.app.get(DataSource);
    await partitions.settled();
    await ensurePartitions(data, 'audit_logs', addMonths(current, -7), current);
    for (const stamp of STAMPS) await data.query(insert.audit_logs, [stamp]);
    const [oldest, held, third] = [-7, -6, -5].map((m) => partitionName('audit_logs', addMonths(current, m)));
    const { adminSession, call } = await import('./support/http.js');
    const admin = await adminSession(t.api);

    const holder = new pg.Client({ connectionString: suite.databaseUrl });
    await holder.connect();
    try {
      await holder.query('BEGIN');
      await holder.query(`LOCK TABLE ${held} IN ACCESS SHARE MODE`);
      const running = partitions.run(now);
      await new Promise((r) => setTimeout(r, 300)); // the detach of the held month is waiting, holding the parent
      const started = Date.now();
      const page = await call('GET', `${t.api}/audit?limit=10`, undefined, { token: admin.token });
      const waited = Date.now() - started;
      const [audit] = (await running).filter((r) => r.table === 'audit_logs');
      expect(page.status).toBe(200);
      // readers of the log queue behind the waiting detach (it holds the parent exclusively), for lock_timeout at most
      expect(waited).toBeGreaterThan(1000);
      expect(waited).toBeLessThan(2500);
      expect(audit).toMatchObject({ dropped: [oldest], deferred: true, trimmed: 2 });
      expect(audit.error).toBeUndefined();
    } finally {
      await holder.query('ROLLBACK');
      await holder.end();
    }
    expect(await attachedPartitions(data, 'audit_logs')).toEqual(expect.arrayContaining([held, third]));
    expect(await orphanPartitions(data, 'audit_logs')).toEqual([]);
    const [{ n }] = await data.query(`SELECT count(*)::int AS n FROM ${held}`);
    expect(n).toBe(2);

    const [next] = (await partitions.run(now)).filter((r) => r.table === 'audit_logs');
    expect(next).toMatchObject({ dropped: [held, third], deferred: false, trimmed: 0 });
  });
});
