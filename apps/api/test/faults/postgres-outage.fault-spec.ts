import pg from 'pg';
import { adminSession, call, type Session } from '../support/http.js';
import { ThrowawayPostgres, hasPostgresBinaries } from '../support/pg-cluster.js';
import { startApp, type TestApp } from '../support/test-app.js';
import { recordScenario } from './support/report.js';
import { runLoad, sleep } from './support/load.js';

const POOL_TIMEOUT_S = 2;
const OUTAGE_MS = 3000;
const run = hasPostgresBinaries() ? describe : describe.skip;

run('PostgreSQL outage under load', () => {
  let pgServer: ThrowawayPostgres;
  let t: TestApp;
  let admin: Session;

  beforeAll(async () => {
    pgServer = await new ThrowawayPostgres().init();
    t = await startApp({
      DATABASE_URL: pgServer.url,
      DB_POOL_TIMEOUT: String(POOL_TIMEOUT_S),
      DB_COMMAND_TIMEOUT: '5',
      LOGIN_MAX_ATTEMPTS: '1000000',
      LOGIN_MAX_ATTEMPTS_PER_ADDRESS: '1000000',
      RATE_LIMIT_CALLS: '1000000',
    });
    admin = await adminSession(t.api);
  });

  afterAll(async () => {
    await t?.close();
    await pgServer?.destroy();
  });

  it('answers 503 quickly during the outage, recovers without a restart, and loses no acknowledged write', async () => {
    const acknowledged = new Set<string>();
    const failedWrites = new Set<string>();
    const readiness: Array<{ at: number; status: number }> = [];
    const started = Date.now();
    const outage: { from: number; to: number } = { from: 0, to: 0 };

    const faults = (async () => {
      await sleep(1500);
      outage.from = Date.now() - started;
      await pgServer.stop('immediate');
      await sleep(OUTAGE_MS);
      await pgServer.start();
      outage.to = Date.now() - started;
    })();
    const probe = (async () => {
      while (Date.now() - started < 8000) {
        const res = await fetch(`${t.api}/health/ready`).catch(() => undefined);
        readiness.push({ at: Date.now() - started, status: res?.status ?? 0 });
        await sleep(150);
      }
    })();

    const load = await runLoad(8000, 6, async (i) => {
      const kind = i % 3;
      if (kind === 0) return (await call('GET', `${t.api}/users/me`, undefined, { token: admin.token })).status;
      if (kind === 1)
        return (await call('POST', `${t.api}/auth/login`, { email: 'admin@grupogad.com', password: 'wrong-password-x' })).status;
      const email = `w${i}@example.com`;
      const res = await call(
        'POST',
        `${t.api}/users`,
        { email, full_name: `W ${i}`, password: 'Outage-Write-2026' },
        { token: admin.token },
      );
      if (res.status === 201) acknowledged.add(email);
      else if (res.status >= 500) failedWrites.add(email);
      if (res.status >= 500) expect(res.headers.get('content-type')).toMatch(/problem\+json/);
      return res.status;
    });
    await Promise.all([faults, probe]);

    // after recovery: served again without a restart
    let recovered = 0;
    for (let i = 0; i < 50 && recovered !== 200; i++) {
      recovered = (await call('GET', `${t.api}/users/me`, undefined, { token: admin.token })).status;
      if (recovered !== 200) await sleep(200);
    }
    expect(recovered).toBe(200);

    const client = new pg.Client({ connectionString: pgServer.url });
    await client.connect();
    const rows = await client.query<{ email: string; roles: number }>(
      `SELECT u.email, count(r.role_name)::int AS roles FROM users u LEFT JOIN user_roles r ON r.user_id = u.id WHERE u.email LIKE 'w%@example.com' GROUP BY u.email`,
    );
    await client.end();
    const found = new Set(rows.rows.map((r) => r.email));
    const lost = [...acknowledged].filter((e) => !found.has(e));
    const halfWritten = rows.rows.filter((r) => r.roles === 0).map((r) => r.email);

    const duringOutage = readiness.filter((r) => r.at > outage.from + 300 && r.at < outage.to - 300);
    const afterOutage = readiness.filter((r) => r.at > outage.to + 1500);
    const unexpected = Object.keys(load.statuses).filter((s) => !['200', '201', '401', '503'].includes(s));
    const ok =
      lost.length === 0 &&
      halfWritten.length === 0 &&
      unexpected.length === 0 &&
      duringOutage.every((r) => r.status === 503) &&
      afterOutage.some((r) => r.status === 200) &&
      load.maxMs < (POOL_TIMEOUT_S + 3) * 1000;

    recordScenario({
      scenario: '1. PostgreSQL outage',
      load: `8 s, 6 concurrent loops of reads (GET /users/me), logins and writes (POST /users)`,
      faults: `throwaway PostgreSQL stopped (immediate) for ${OUTAGE_MS / 1000} s, then restarted`,
      statuses: load.statuses,
      writesAcknowledged: acknowledged.size,
      writesFound: [...acknowledged].filter((e) => found.has(e)).length,
      verdict: ok ? 'pass' : 'fail',
      notes: `slowest answer ${load.maxMs} ms (pool timeout ${POOL_TIMEOUT_S} s); readiness 503 during the outage: ${duringOutage.every((r) => r.status === 503)}; ${halfWritten.length} half-written rows; ${failedWrites.size} writes answered 5xx`,
    });

    expect(lost).toEqual([]);
    expect(halfWritten).toEqual([]);
    expect(unexpected).toEqual([]);
    expect(load.statuses['503']).toBeGreaterThan(0);
    expect(duringOutage.length).toBeGreaterThan(0);
    expect(duringOutage.every((r) => r.status === 503)).toBe(true);
    expect(afterOutage.some((r) => r.status === 200)).toBe(true);
    expect(load.maxMs).toBeLessThan((POOL_TIMEOUT_S + 3) * 1000);
  });
});
