import pg from 'pg';
import { addMonths, monthStart, partitionName } from '@gad/database';
import { createThrowawayDatabase, type ThrowawayDatabase } from '../support/databases.js';
import { attachedPartitions, ensurePartitions, orphanPartitions } from '../support/partitions.js';
import { ServerProcess } from '../support/server-process.js';
import { recordScenario } from './support/report.js';
import { sleep } from './support/load.js';

const DAY = 86_400_000;
const ROWS_PER_MONTH = 2000;
const now = new Date();
const current = monthStart(now);
const boundary = addMonths(current, -3);
/** The cutoff falls half-way through the boundary month; the three months before it are past the retention. */
const retentionDays = Math.floor((now.getTime() - (boundary.getTime() + 15 * DAY)) / DAY);
const cutoff = new Date(now.getTime() - retentionDays * DAY);
const months = [-6, -5, -4, -3, -2, -1, 0].map((m) => addMonths(current, m));
const name = (month: Date) => partitionName('audit_logs', month);
const [oldest, blocked, expired] = months.map(name);

async function until(what: string, timeoutMs: number, check: () => Promise<boolean>): Promise<void> {
  const started = Date.now();
  while (!(await check())) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

/** Rows in each partition of audit_logs, by partition name. */
async function rowsByPartition(db: pg.Client): Promise<Record<string, number>> {
  const { rows } = await db.query(
    `SELECT tableoid::regclass::text AS partition, count(*)::int AS n FROM audit_logs GROUP BY 1 ORDER BY 1`,
  );
  return Object.fromEntries(rows.map((r) => [r.partition, r.n]));
}

describe('partition retention killed mid-run', () => {
  let database: ThrowawayDatabase;
  let db: pg.Client;
  let holder: pg.Client;
  const servers: ServerProcess[] = [];
  const env = () => ({ DATABASE_URL: database.url, AUDIT_RETENTION_DAYS: String(retentionDays), LOG_LEVEL: 'INFO' });

  beforeAll(async () => {
    database = await createThrowawayDatabase();
    const migrate = new ServerProcess();
    servers.push(migrate);
    await migrate.start({ DATABASE_URL: database.url }); // migrations applied, nothing old to drop yet
    await migrate.stop();
    db = new pg.Client({ connectionString: database.url });
    holder = new pg.Client({ connectionString: database.url });
    await Promise.all([db.connect(), holder.connect()]);
    await ensurePartitions(db, 'audit_logs', months[0], current);
    for (const month of months) {
      // spread over the month's first 27 days (the current month: its first days, up to now)
      const span = Math.max(0, Math.min(27 * DAY, now.getTime() - month.getTime() - 60_000));
      await db.query(
        `INSERT INTO audit_logs (action, created_at)
         SELECT 'auth.login', $1::timestamptz + (i * $2::float8 / $3) * interval '1 millisecond'
         FROM generate_series(0, $3 - 1) AS i`,
        [month, span, ROWS_PER_MONTH],
      );
    }
  }, 60_000);

  afterAll(async () => {
    for (const server of servers) await server.stop();
    await holder?.end().catch(() => undefined);
    await db?.end().catch(() => undefined);
    await database?.drop();
  });

  it('leaves each partition attached with all its rows or gone, and the next run finishes the work', async () => {
    const before = await rowsByPartition(db);
    expect(Object.keys(before)).toEqual(months.map(name));

    // a long reader holds the second-oldest expired month: the run drops the oldest, then waits on this one
    await holder.query('BEGIN');
    await holder.query(`LOCK TABLE ${blocked} IN ACCESS SHARE MODE`);
    const first = new ServerProcess();
    servers.push(first);
    await first.spawn(env());
    await until('the run to drop the oldest month and block on the next', 20_000, async () => {
      const { rows } = await db.query(
        `SELECT to_regclass($1) IS NULL AS dropped,
                EXISTS (SELECT 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%DETACH PARTITION ' || $2 || '%') AS waiting`,
        [oldest, blocked],
      );
      return rows[0].dropped && rows[0].waiting;
    });
    first.child.kill('SIGKILL');
    const killedAt = Date.now();
    await first.exited();
    await holder.query('ROLLBACK');
    // the killed process's backends notice the closed socket, roll back and go
    await until("the killed run's connections to end", 10_000, async () => {
      const { rows } = await db.query(
        `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()
           AND application_name = 'GRUPO_GAD'`,
      );
      return rows[0].n === 0;
    });
    const backendsGoneMs = Date.now() - killedAt;

    const afterKill = await rowsByPartition(db);
    const { [oldest]: droppedRows, ...rest } = before;
    expect(droppedRows).toBe(ROWS_PER_MONTH);
    expect(afterKill).toEqual(rest); // every other month attached with every row, the blocked one included
    expect(await attachedPartitions(db, 'audit_logs')).toEqual(expect.arrayContaining([blocked, expired]));
    expect(await attachedPartitions(db, 'audit_logs')).not.toContain(oldest);
    expect(await orphanPartitions(db, 'audit_logs')).toEqual([]);

    // the next boot's run completes the work, while the API answers
    const second = new ServerProcess();
    servers.push(second);
    await second.spawn(env());
    const statuses: Record<string, number> = {};
    let slowest = 0;
    await until('the next run to finish the retention', 30_000, async () => {
      if (second.port && /listening on/.test(second.output)) {
        const started = Date.now();
        const res = await fetch(`${second.api}/health`).catch(() => undefined);
        slowest = Math.max(slowest, Date.now() - started);
        const key = String(res?.status ?? 'error');
        statuses[key] = (statuses[key] ?? 0) + 1;
      }
      const { rows } = await db.query(`SELECT count(*)::int AS n FROM audit_logs WHERE created_at < $1`, [cutoff]);
      return rows[0].n === 0 && (await attachedPartitions(db, 'audit_logs')).includes(name(addMonths(current, 2)));
    });
    await second.until(() => /listening on/.test(second.output), 30_000, 'listening');

    const final = await rowsByPartition(db);
    expect(Object.keys(final)).toEqual([-3, -2, -1, 0].map((m) => name(addMonths(current, m))));
    for (const month of months.slice(4)) expect(final[name(month)]).toBe(before[name(month)]); // newer months intact
    const trimmed = before[name(boundary)] - final[name(boundary)];
    expect(trimmed).toBeGreaterThan(0);
    expect(await orphanPartitions(db, 'audit_logs')).toEqual([]);
    expect(await attachedPartitions(db, 'audit_logs')).toEqual([-3, -2, -1, 0, 1, 2].map((m) => name(addMonths(current, m))));
    expect(second.output).toMatch(/dropped partition past retention/);

    recordScenario({
      scenario: '9. Partition retention killed mid-run',
      load: `audit_logs with ${ROWS_PER_MONTH} rows in each of 7 months; AUDIT_RETENTION_DAYS=${retentionDays} (3 months wholly past it, the cutoff mid-month)`,
      faults: `a reader holds the second-oldest expired month; the server's boot run drops the oldest, blocks detaching the next (lock_timeout 2 s), and is SIGKILLed there`,
      statuses,
      verdict: 'pass',
      notes:
        `after the kill: oldest month gone, the blocked one and the rest attached with all ${Object.values(afterKill).reduce((a, b) => a + b, 0)} rows, ` +
        `no detached orphan, ${backendsGoneMs} ms for the killed run's backends to roll back; the next boot's run dropped the other 2 expired months, ` +
        `trimmed ${trimmed} rows from the boundary month, kept 2 months ahead; /health during it: slowest ${slowest} ms`,
    });
  });
});
