import { Counters } from '@gad/limits';
import { createThrowawayDatabase, type ThrowawayDatabase } from '../support/databases.js';
import { adminSession, call, createUser, type Session } from '../support/http.js';
import { ThrowawayRedis, waitFor } from '../support/redis-server.js';
import { closeAll, connected, dashboardSocket, nextEvent, type ClientSocket } from '../support/socket-client.js';
import { startApp, type TestApp } from '../support/test-app.js';
import { recordScenario } from './support/report.js';
import { runLoad, sleep } from './support/load.js';
import { RedisService } from '@gad/redis';

const LOAD_MS = 9000;
const OUTAGE_AT_MS = 2000;
const OUTAGE_MS = 3000;
// low enough to show the limiter still limiting in memory; load requests each come from their own address
const RATE_LIMIT = 30;

let clientCounter = 0;
/** A fresh client address (TRUSTED_PROXY_HOSTS trusts loopback), so the load never meets its own limit. */
const fresh = (): Record<string, string> => {
  const n = ++clientCounter;
  return { 'X-Forwarded-For': `10.1.${(n >> 8) & 255}.${n & 255}` };
};

describe('Redis outage under load', () => {
  let db: ThrowawayDatabase;
  const redis = new ThrowawayRedis();
  let a: TestApp;
  let b: TestApp;
  let admin: Session;
  let operator: Awaited<ReturnType<typeof createUser>>;

  beforeAll(async () => {
    db = await createThrowawayDatabase();
    await redis.start();
    const env = {
      DATABASE_URL: db.url,
      REDIS_URL: redis.url,
      RATE_LIMIT_CALLS: String(RATE_LIMIT),
      RATE_LIMIT_PERIOD: '60',
      LOGIN_MAX_ATTEMPTS: '1000000',
      LOGIN_MAX_ATTEMPTS_PER_ADDRESS: '1000000',
    };
    a = await startApp(env);
    b = await startApp(env);
    admin = await adminSession(a.api);
    operator = await createUser(a.api, admin, { email: 'redis-op@example.com', full_name: 'Redis Op', roles: ['operator'] });
  });
  afterAll(async () => {
    closeAll();
    await a?.close();
    await b?.close();
    await redis.stop();
    await db?.drop();
  });

  it('answers no 5xx, limits in memory per process, keeps sockets local, and recovers without a restart', async () => {
    const apps = [a, b];
    const listenerA = await connected(dashboardSocket(a.origin, operator.session.token));
    const listenerB = await connected(dashboardSocket(b.origin, operator.session.token));
    const adminSocket = await connected(dashboardSocket(a.origin, admin.token));
    const broadcast = async (message: string, listeners: ClientSocket[]): Promise<boolean[]> => {
      const arriving = listeners.map((l) =>
        nextEvent(l, 'notification', (n: { message: string }) => n.message === message, 2000).then(
          () => true,
          () => false,
        ),
      );
      await adminSocket.emitWithAck('notification:broadcast', { message });
      return Promise.all(arriving);
    };

    const started = Date.now();
    const readiness: Array<{ at: number; status: number; redis?: string }> = [];
    const checks: Record<string, unknown> = {};
    const errorsBefore = apps.map((t) => t.app.get(Counters).fallbackCount);

    const faults = (async () => {
      await sleep(OUTAGE_AT_MS - 500);
      checks.fanOutBefore = await broadcast('before the outage', [listenerA, listenerB]);
      await sleep(Math.max(0, OUTAGE_AT_MS - (Date.now() - started)));
      await redis.stop();
      checks.outageFrom = Date.now() - started;
      await sleep(300);
      // one client address over the limit, on each process: memory counters still limit, per process
      const probe = { 'X-Forwarded-For': '203.0.113.50' };
      const limitedOn = async (t: TestApp) => {
        const seen: number[] = [];
        for (let i = 0; i <= RATE_LIMIT; i++)
          seen.push(
            (await call('GET', `${t.api}/users/me`, undefined, { token: operator.session.token, headers: probe })).status,
          );
        return seen;
      };
      const onA = await limitedOn(a);
      const onB = await limitedOn(b);
      checks.limitedInMemory =
        onA.slice(0, RATE_LIMIT).every((s) => s === 200) &&
        onA[RATE_LIMIT] === 429 &&
        onB.slice(0, RATE_LIMIT).every((s) => s === 200);
      checks.probeStatuses = { a: countOf(onA), b: countOf(onB) };
      checks.localDuringOutage = await broadcast('during the outage', [listenerA, listenerB]);
      await sleep(Math.max(0, OUTAGE_AT_MS + OUTAGE_MS - (Date.now() - started)));
      await redis.start(); // same port, empty
      checks.outageTo = Date.now() - started;
      await waitFor(() => apps.every((t) => t.app.get(RedisService).isReady), 10_000, 'the apps did not reconnect to Redis');
      checks.reconnectedAfterMs = Date.now() - started - (checks.outageTo as number);
    })();
    const probeReadiness = (async () => {
      while (Date.now() - started < LOAD_MS) {
        const res = await call('GET', `${a.api}/health/ready`).catch(() => undefined);
        readiness.push({ at: Date.now() - started, status: res?.status ?? 0, redis: res?.body?.details?.redis?.status });
        await sleep(250);
      }
    })();

    const load = await runLoad(LOAD_MS, 6, async (i) => {
      const t = apps[i % 2];
      const headers = fresh();
      switch (Math.floor(i / 2) % 5) {
        case 0:
          return (await call('GET', `${t.api}/users/me`, undefined, { token: operator.session.token, headers })).status;
        case 1:
          return (await call('GET', `${t.api}/users/${operator.id}`, undefined, { token: admin.token, headers })).status;
        case 2:
          return (await call('POST', `${t.api}/auth/login`, { email: operator.email, password: operator.password }, { headers }))
            .status;
        case 3:
          return (
            await call('PATCH', `${t.api}/users/me`, { full_name: `Redis Op ${i}` }, { token: operator.session.token, headers })
          ).status;
        default:
          return (await call('GET', `${t.api}/cache/stats`, undefined, { token: admin.token, headers })).status;
      }
    });
    await Promise.all([faults, probeReadiness]);
    const errorsDuring = apps.map((t, n) => t.app.get(Counters).fallbackCount - errorsBefore[n]);

    // recovery, without a restart: readiness up, cache hits resume, the limiter back on Redis, fan-out again
    for (const t of apps) {
      await waitFor(
        async () => (await call('GET', `${t.api}/health/ready`)).body?.details?.redis?.status === 'up',
        10_000,
        'readiness did not show Redis up again',
      );
    }
    await sleep(1100); // the breakers' pause after the last failure
    // Reads go to this process's memory first: B drops its copy of a record before each read, so the
    // read must come from Redis (a hit once A has loaded it there again). The admin's record: the load
    // kept editing the operator's, and an edited record is not cached for a grace period.
    const stats = async () =>
      (await call('GET', `${b.api}/cache/stats`, undefined, { token: admin.token, headers: fresh() })).body;
    const adminId = (await call('GET', `${a.api}/users/me`, undefined, { token: admin.token, headers: fresh() })).body.id;
    const readOn = async (t: TestApp) =>
      (await call('GET', `${t.api}/users/${adminId}`, undefined, { token: admin.token, headers: fresh() })).status;
    const before = await stats();
    let after = before;
    // B dropped its memory copies when its subscription came back, so its reads reach Redis
    for (let i = 0; i < 10 && after.tiers.shared.hits <= before.tiers.shared.hits; i++) {
      expect(await readOn(a)).toBe(200);
      expect(await readOn(b)).toBe(200);
      after = await stats();
    }
    const hitsResumed = after.tiers.shared.hits > before.tiers.shared.hits && after.errors === before.errors;
    const storageErrors = apps.map((t) => t.app.get(Counters).fallbackCount);
    for (const t of apps) await call('GET', `${t.api}/users/me`, undefined, { token: operator.session.token, headers: fresh() });
    const limiterBackOnRedis = apps.every((t, n) => t.app.get(Counters).fallbackCount === storageErrors[n]);
    const fanOutAfter = await broadcast('after the outage', [listenerA, listenerB]);
    const socketsKept = listenerA.connected && listenerB.connected && adminSocket.connected;

    const outageFrom = checks.outageFrom as number;
    const outageTo = checks.outageTo as number;
    const during = readiness.filter((r) => r.at > outageFrom + 300 && r.at < outageTo);
    const degradedDuring = during.length > 0 && during.every((r) => r.status === 200 && r.redis === 'degraded');
    const unexpected = Object.keys(load.statuses).filter((s) => s !== '200');
    const [localA, remoteB] = checks.localDuringOutage as boolean[];
    const ok =
      unexpected.length === 0 &&
      checks.limitedInMemory === true &&
      errorsDuring.every((e) => e > 0) &&
      localA &&
      degradedDuring &&
      hitsResumed &&
      limiterBackOnRedis &&
      fanOutAfter.every(Boolean) &&
      socketsKept;

    recordScenario({
      scenario: '2. Redis outage',
      load: `${LOAD_MS / 1000} s, 6 concurrent loops over 2 app processes sharing one Redis: signed-in reads (/users/me, /users/{id}), logins, writes (PATCH /users/me), /cache/stats; 3 Socket.IO clients`,
      faults: `throwaway redis-server SIGKILLed for ${OUTAGE_MS / 1000} s, restarted empty on the same port`,
      statuses: load.statuses,
      verdict: ok ? 'pass' : 'fail',
      notes:
        `rate limiter fails OPEN to per-process memory counters (libs/limits Counters: availability over a shared count; each process still enforces RATE_LIMIT_CALLS, so N processes allow at most N× it; login brute-force counters fall back to memory too): ` +
        `${RATE_LIMIT + 1} requests from one address during the outage got ${JSON.stringify(checks.probeStatuses)} (A, then B), ${errorsDuring.join('+')} requests counted in memory; ` +
        `readiness 200 "degraded" during the outage: ${degradedDuring}; broadcast during the outage reached the same-process client: ${localA}, the other process's: ${remoteB} (no fan-out without Redis); ` +
        `reconnected ${checks.reconnectedAfterMs} ms after restart; after recovery: cache hits resumed ${hitsResumed} (hits ${before.hits}→${after.hits}, errors steady at ${after.errors}), limiter back on Redis ${limiterBackOnRedis}, cross-process broadcast ${fanOutAfter.every(Boolean)}, sockets kept ${socketsKept}; slowest answer ${load.maxMs} ms`,
    });

    expect(unexpected).toEqual([]);
    expect(checks.fanOutBefore).toEqual([true, true]);
    expect(checks.limitedInMemory).toBe(true);
    expect(errorsDuring.every((e) => e > 0)).toBe(true);
    expect(localA).toBe(true);
    expect(degradedDuring).toBe(true);
    expect(hitsResumed).toBe(true);
    expect(limiterBackOnRedis).toBe(true);
    expect(fanOutAfter).toEqual([true, true]);
    expect(socketsKept).toBe(true);
  });
});

function countOf(statuses: number[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const s of statuses) counts[s] = (counts[s] ?? 0) + 1;
  return counts;
}
