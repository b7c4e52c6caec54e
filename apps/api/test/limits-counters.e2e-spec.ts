import { randomBytes } from 'node:crypto';
import { configurationFrom } from '@gad/config';
import { Counters } from '@gad/limits';
import { MetricsService } from '@gad/observability';
import { RedisService } from '@gad/redis';
import { ThrowawayRedis } from './support/redis-server.js';
import { TEST_REDIS_URL, baseEnv } from './support/test-env.js';

/** The one counter primitive against real Redis: two "processes" sharing it, one of which dies; and an outage. */
describe('Counters (Redis)', () => {
  const config = configurationFrom(
    baseEnv({ REDIS_URL: TEST_REDIS_URL, PROJECT_NAME: `GAD_LIMITS_${randomBytes(4).toString('hex')}` }),
  );
  const redis = new RedisService(config.redis);
  const a = new Counters(redis, config.app, new MetricsService(config.app));
  const b = new Counters(redis, config.app, new MetricsService(config.app));
  const owners = `${config.app.keyNamespace}{limits}:owners`;

  beforeAll(async () => {
    await redis.onModuleInit();
    a.onModuleInit();
    b.onModuleInit();
  });
  afterAll(async () => {
    await Promise.all([a.onApplicationShutdown(), b.onApplicationShutdown()]);
    await redis.onApplicationShutdown();
  });

  it('takes from every window or from none, shared by every process, and gives back', async () => {
    const claims = [
      { key: 'w:global', limit: 3 },
      { key: 'w:user', limit: 2 },
    ];
    expect(await a.take('test', claims, 60_000)).toMatchObject({ ok: true, counts: [1, 1] });
    expect(await b.take('test', claims, 60_000)).toMatchObject({ ok: true, counts: [2, 2] });
    const refused = await a.take('test', claims, 60_000);
    expect(refused).toMatchObject({ ok: false, full: 1, counts: [2, 2] });
    expect(refused.resetMs).toBeGreaterThan(59_000);
    await b.give('test', ['w:user']);
    expect(await a.take('test', claims, 60_000)).toMatchObject({ ok: true, counts: [3, 2] });
    expect(await a.take('test', [{ key: 'w:global', limit: 3 }], 60_000)).toMatchObject({ ok: false, full: 0 });
    await a.reset('test', ['w:global']);
    expect(await b.take('test', [{ key: 'w:global', limit: 3 }], 60_000)).toMatchObject({ ok: true, counts: [1] });
    expect(a.fallbackCount + b.fallbackCount).toBe(0);
  });

  it('counts a gauge across processes, frees a released unit, and forgets a process that stops heartbeating', async () => {
    const slot = [{ key: 'g:sockets', limit: 2 }];
    const first = await a.hold('test', slot);
    expect(first).toBeDefined();
    expect(await b.hold('test', slot)).toBeDefined();
    expect(await a.total('test', 'g:sockets')).toBe(2);
    expect(await b.hold('test', slot)).toBeUndefined();

    first!.release();
    first!.release(); // idempotent
    await waitFor(async () => (await b.total('test', 'g:sockets')) === 1);
    expect(await b.hold('test', slot)).toBeDefined();
    expect(await a.hold('test', slot)).toBeUndefined();
    expect(b.heldHere('g:sockets')).toBe(2);

    // b "crashes": its heartbeat deadline passes without a renewal
    await redis.run((c) => c.zAdd(owners, { score: 0, value: b.owner }));
    expect(await a.total('test', 'g:sockets')).toBe(0);
    expect(await a.hold('test', slot)).toBeDefined();
    expect(a.heldHere('g:sockets')).toBe(1);
  });
});

describe('Counters when Redis fails', () => {
  const server = new ThrowawayRedis();
  afterAll(() => server.stop());

  it('fails open to this process (still limiting), counts each fallback, and returns to Redis', async () => {
    await server.start();
    const config = configurationFrom(baseEnv({ REDIS_URL: server.url }));
    const redis = new RedisService(config.redis);
    await redis.onModuleInit();
    const metrics = new MetricsService(config.app);
    const counters = new Counters(redis, config.app, metrics);
    try {
      const claim = [{ key: 'outage', limit: 2 }];
      expect(await counters.take('test', claim, 60_000)).toMatchObject({ ok: true, counts: [1] });
      await server.stop();
      expect(await counters.take('test', claim, 60_000)).toMatchObject({ ok: true, counts: [1] });
      expect(await counters.take('test', claim, 60_000)).toMatchObject({ ok: true, counts: [2] });
      expect(await counters.take('test', claim, 60_000)).toMatchObject({ ok: false });
      expect(counters.fallbackCount).toBe(3);
      expect(await metrics.registry.getSingleMetricAsString('limit_counter_fallbacks_total')).toMatch(/limiter="test"[^}]*} 3/);

      await server.start(); // same port, empty
      await waitFor(async () => redis.isReady, 10_000);
      await new Promise((resolve) => setTimeout(resolve, 1100)); // the pause after the last failure
      const before = counters.fallbackCount;
      expect(await counters.take('test', [{ key: 'back', limit: 5 }], 60_000)).toMatchObject({ ok: true, counts: [1] });
      expect(counters.fallbackCount).toBe(before);
      expect(await redis.run((c) => c.exists(`${config.app.keyNamespace}{limits}:back`))).toBe(1);
    } finally {
      await counters.onApplicationShutdown();
      await redis.onApplicationShutdown();
    }
  });
});

async function waitFor(check: () => Promise<boolean>, timeoutMs = 2000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
