// The pool as configured: DB_POOL_SIZE connections kept, up to DB_POOL_SIZE + DB_MAX_OVERFLOW under load,
// overflow closed when idle, DB_POOL_RECYCLE respected, and a connection that died while idle costs a retry.
import pg from 'pg';
import { DataSource } from 'typeorm';
import { PING_TIMEOUT_MS } from '../../../libs/database/src/checked-pool.js';
import { adminSession, call } from './support/http.js';
import { TcpProxy } from './support/tcp-proxy.js';
import { suiteApps, type TestApp } from './support/test-app.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('database pool', () => {
  const apps = suiteApps();
  let admin: pg.Client;

  beforeAll(async () => {
    admin = new pg.Client({ connectionString: apps.databaseUrl, application_name: 'pool-test' });
    admin.on('error', () => undefined); // the suite drops its database WITH (FORCE) before this client ends
    await admin.connect();
  });
  afterAll(async () => {
    await admin?.end();
  });

  /** An app's backends, as PostgreSQL sees them (an app connects as application_name = PROJECT_NAME). */
  async function backends(t: TestApp): Promise<number[]> {
    const { rows } = await admin.query<{ pid: number }>(
      `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND application_name = $1`,
      [t.config.app.name],
    );
    return rows.map((r) => r.pid).sort();
  }

  /** `n` queries that each hold a connection for `ms`. */
  function hold(t: TestApp, n: number, ms: number): Promise<unknown> {
    const ds = t.app.get(DataSource);
    return Promise.all(Array.from({ length: n }, () => ds.query('SELECT pg_sleep($1)', [ms / 1000])));
  }

  /** An app whose connections PostgreSQL lists under `name`; no overflow unless asked. */
  function appWithPool(name: string, env: Record<string, string>): Promise<TestApp> {
    return apps.start({
      PROJECT_NAME: name,
      DB_MAX_OVERFLOW: '0',
      RATE_LIMIT_CALLS: '100000',
      LOGIN_MAX_ATTEMPTS: '1000',
      ...env,
    });
  }

  async function poolMetric(t: TestApp, state: string): Promise<number> {
    const text = await (await fetch(`${t.origin}/metrics`)).text();
    const line = text.split('\n').find((l) => l.startsWith('db_pool_connections{') && l.includes(`state="${state}"`));
    return Number(line?.split(' ').pop());
  }

  it('keeps DB_POOL_SIZE open, grows to size + overflow under load, and closes the overflow once idle', async () => {
    const t = await appWithPool('pool-size', { DB_POOL_SIZE: '3', DB_MAX_OVERFLOW: '2', DB_POOL_IDLE_TIMEOUT: '1' });
    const load = hold(t, 8, 700);
    await sleep(300);
    expect((await backends(t)).length).toBe(5); // never more than size + overflow
    expect(await poolMetric(t, 'total')).toBe(5);
    expect(await poolMetric(t, 'waiting_clients')).toBe(3);
    const metrics = await (await fetch(`${t.origin}/metrics`)).text();
    expect(metrics).toMatch(/db_pool_configured_connections\{limit="size"[^}]*\} 3/);
    expect(metrics).toMatch(/db_pool_configured_connections\{limit="max"[^}]*\} 5/);
    await load;
    await sleep(2000); // past DB_POOL_IDLE_TIMEOUT
    expect((await backends(t)).length).toBe(3);
    expect(await poolMetric(t, 'idle')).toBe(3);
    await sleep(1500); // and the permanent ones stay
    expect((await backends(t)).length).toBe(3);
  }, 30_000);

  it('replaces connections older than DB_POOL_RECYCLE', async () => {
    const t = await appWithPool('pool-recycle', { DB_POOL_SIZE: '2', DB_POOL_RECYCLE: '1' });
    await hold(t, 2, 50);
    const before = await backends(t);
    expect(before.length).toBeGreaterThan(0);
    await sleep(1800);
    await hold(t, 2, 50);
    const after = await backends(t);
    expect(after.length).toBeGreaterThan(0);
    expect(after.filter((pid) => before.includes(pid))).toEqual([]);
  }, 30_000);

  it('answers 200 after every idle pooled backend is killed (pg_terminate_backend): a retry, never a 5xx', async () => {
    const t = await appWithPool('pool-killed', { DB_POOL_SIZE: '4' });
    const session = await adminSession(t.api);
    await hold(t, 4, 100); // four connections open, now idle
    await sleep(1200);
    const idle = await backends(t);
    expect(idle.length).toBe(4);
    const { rows } = await admin.query<{ killed: boolean }>(
      'SELECT pg_terminate_backend(pid) AS killed FROM unnest($1::int[]) AS pid',
      [idle],
    );
    expect(rows.every((r) => r.killed)).toBe(true);

    const answers = await Promise.all([
      ...Array.from({ length: 4 }, () => call('GET', `${t.api}/users?limit=5`, undefined, { token: session.token })),
      ...Array.from({ length: 4 }, () => call('GET', `${t.api}/health/ready`)),
      call('GET', `${t.api}/audit?limit=5`, undefined, { token: session.token }),
    ]);
    expect(answers.map((a) => a.status)).toEqual(answers.map(() => 200));
    expect((await backends(t)).filter((pid) => idle.includes(pid))).toEqual([]);
  }, 30_000);

  it('answers 200 when a firewall silently dropped the idle connections: the check times out, a new one serves', async () => {
    const target = new URL(apps.databaseUrl);
    const proxy = new TcpProxy(target.hostname, Number(target.port || 5432));
    await proxy.start();
    try {
      const url = new URL(apps.databaseUrl);
      url.port = String(proxy.port);
      const t = await appWithPool('pool-dropped', { DATABASE_URL: url.toString(), DB_POOL_SIZE: '3' });
      const session = await adminSession(t.api);
      await hold(t, 3, 100);
      await sleep(1200);
      proxy.freeze(); // the three idle connections now lead nowhere, and nothing tells the pool
      const started = Date.now();
      const answers = await Promise.all(
        Array.from({ length: 3 }, () => call('GET', `${t.api}/users?limit=5`, undefined, { token: session.token })),
      );
      expect(answers.map((a) => a.status)).toEqual([200, 200, 200]);
      expect(Date.now() - started).toBeLessThan(PING_TIMEOUT_MS + 3000); // one check's timeout, not the statement timeout
    } finally {
      await proxy.stop();
    }
  }, 30_000);
});
