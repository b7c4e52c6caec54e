import { randomBytes } from 'node:crypto';
import { Controller, Get, Module, Param } from '@nestjs/common';
import { CacheService } from '@gad/cache';
import { createThrowawayDatabase, type ThrowawayDatabase } from './support/databases.js';
import { adminSession, call, createUser, type Session } from './support/http.js';
import { ThrowawayRedis, waitFor } from './support/redis-server.js';
import { TcpProxy } from './support/tcp-proxy.js';
import { startApp, type TestApp } from './support/test-app.js';
import { TEST_REDIS_URL } from './support/test-env.js';
import { Public } from '@gad/access';
import { RedisService } from '@gad/redis';

/** A read-through route, as the users and auth code use the cache: the source counts its loads. */
@Public()
@Controller('test-cache')
class CacheProbeController {
  static loads = 0;

  constructor(private readonly cache: CacheService) {}

  @Get(':id')
  async read(@Param('id') id: string): Promise<{ id: string; loads: number }> {
    return (await this.cache.remember(`probe:${id}`, async () => ({ id, loads: ++CacheProbeController.loads })))!;
  }
}

@Module({ controllers: [CacheProbeController] })
class CacheProbeModule {}

const probes = { imports: [CacheProbeModule] };

async function dropNamespace(t: TestApp): Promise<void> {
  const redis = t.app.get(RedisService);
  if (!redis.isReady) return;
  for await (const keys of redis.client!.scanIterator({ MATCH: `${t.config.app.name}:*` }))
    if (keys.length) await redis.client!.del(keys);
}

describe('cache', () => {
  let db: ThrowawayDatabase;

  beforeAll(async () => {
    db = await createThrowawayDatabase();
  });

  afterAll(async () => {
    await db?.drop();
  });

  describe.each([
    ['memory', {}],
    ['redis', { REDIS_URL: TEST_REDIS_URL }],
  ])('admin endpoints on %s', (backend, env: Record<string, string>) => {
    let t: TestApp;
    let admin: Session;

    beforeAll(async () => {
      t = await startApp({ DATABASE_URL: db.url, PROJECT_NAME: `cache_e2e_${randomBytes(4).toString('hex')}`, ...env }, probes);
      admin = await adminSession(t.api);
    });

    afterAll(async () => {
      await dropNamespace(t);
      await t?.close();
    });

    it('reports the backend and counts hits and misses', async () => {
      const service = t.app.get(CacheService);
      const before = service.stats();
      const first = await call('GET', `${t.api}/test-cache/a`);
      const second = await call('GET', `${t.api}/test-cache/a`);
      expect(second.body).toEqual(first.body);
      const after = service.stats();
      expect(after.misses - before.misses).toBe(1);
      expect(after.hits - before.hits).toBe(1);

      const res = await call('GET', `${t.api}/cache/stats`, undefined, { token: admin.token });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({
        backend,
        hits: expect.any(Number),
        misses: expect.any(Number),
        hit_ratio: expect.any(Number),
        errors: 0,
        tiers: {
          memory: { hits: expect.any(Number), misses: expect.any(Number) },
          shared: { hits: expect.any(Number), misses: expect.any(Number) },
        },
      });
      expect(res.body.hits).toBeGreaterThanOrEqual(1);
      expect(res.body.hit_ratio).toBeCloseTo(res.body.hits / (res.body.hits + res.body.misses), 3);
    });

    it('invalidates one key or a prefix, and says how many', async () => {
      await call('GET', `${t.api}/test-cache/k1`);
      await call('GET', `${t.api}/test-cache/k2`);
      const loads = (await call('GET', `${t.api}/test-cache/k1`)).body.loads;

      const one = await call('POST', `${t.api}/cache/invalidate`, { key: 'probe:k1' }, { token: admin.token });
      expect(one.status).toBe(200);
      expect(one.body).toEqual({ deleted: 1 });
      expect((await call('GET', `${t.api}/test-cache/k1`)).body.loads).toBeGreaterThan(loads);

      const again = await call('POST', `${t.api}/cache/invalidate`, { key: 'probe:nothing' }, { token: admin.token });
      expect(again.body).toEqual({ deleted: 0 });

      const prefix = await call('POST', `${t.api}/cache/invalidate`, { prefix: 'probe:k2' }, { token: admin.token });
      expect(prefix.body).toEqual({ deleted: 1 });
    });

    it.each([
      [{}, 'key'],
      [{ key: 'a', prefix: 'b' }, 'key'],
      [{ key: '' }, 'key'],
      [{ key: 42 }, 'key'],
      [{ prefix: '' }, 'prefix'],
      [{ prefix: null }, 'prefix'], // not "left out": before, a 503 that also tripped the Redis breaker
      [{ key: null }, 'key'],
      [{ key: 'a', extra: 1 }, 'extra'],
    ])('refuses the body %j with 400 naming %s', async (body, field) => {
      const res = await call('POST', `${t.api}/cache/invalidate`, body, { token: admin.token });
      expect(res.status).toBe(400);
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(res.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ field })]));
    });

    it('is for admins only', async () => {
      expect((await call('GET', `${t.api}/cache/stats`)).status).toBe(401);
      expect((await call('POST', `${t.api}/cache/invalidate`, { key: 'x' })).status).toBe(401);
      const operator = await createUser(t.api, admin, { email: `op-${backend}@example.com`, roles: ['operator'] });
      expect((await call('GET', `${t.api}/cache/stats`, undefined, { token: operator.session.token })).status).toBe(403);
      const res = await call('POST', `${t.api}/cache/invalidate`, { prefix: 'probe:' }, { token: operator.session.token });
      expect(res.status).toBe(403);
    });
  });

  describe('when Redis goes away', () => {
    const redis = new ThrowawayRedis();
    let t: TestApp;
    let admin: Session;

    beforeAll(async () => {
      await redis.start();
      t = await startApp({ DATABASE_URL: db.url, REDIS_URL: redis.url }, probes);
      admin = await adminSession(t.api);
    });

    afterAll(async () => {
      await t?.close();
      await redis.stop();
    });

    const stats = async () => (await call('GET', `${t.api}/cache/stats`, undefined, { token: admin.token })).body;

    it('keeps answering 200 from the source, counts the errors, reports degraded, and resumes caching after a restart', async () => {
      const warm = (await call('GET', `${t.api}/test-cache/r`)).body.loads;
      expect((await call('GET', `${t.api}/test-cache/r`)).body.loads).toBe(warm);
      expect(await stats()).toMatchObject({ backend: 'redis', errors: 0 });
      expect((await call('GET', `${t.api}/health/ready`)).body).toMatchObject({
        status: 'ok',
        details: { redis: { status: 'up' } },
      });

      await redis.stop();
      for (let i = 0; i < 3; i++) {
        const res = await call('GET', `${t.api}/test-cache/r`);
        expect(res.status).toBe(200);
        expect(res.body.loads).toBeGreaterThan(warm); // fell through to the source
      }
      const down = await stats();
      expect(down.errors).toBeGreaterThan(0);
      const ready = await call('GET', `${t.api}/health/ready`);
      expect(ready.status).toBe(200);
      expect(ready.body).toMatchObject({
        status: 'degraded',
        details: { redis: { status: 'degraded' }, database: { status: 'up' } },
      });

      await redis.start(); // same port, empty
      await waitFor(() => t.app.get(RedisService).isReady, 10_000, 'the app did not reconnect to Redis');
      await new Promise((r) => setTimeout(r, 1100)); // the breaker's pause after the last failure
      const errors = (await stats()).errors;
      const reloaded = (await call('GET', `${t.api}/test-cache/r`)).body.loads;
      expect((await call('GET', `${t.api}/test-cache/r`)).body.loads).toBe(reloaded);
      expect((await stats()).errors).toBe(errors);
      expect((await call('GET', `${t.api}/health/ready`)).body).toMatchObject({ status: 'ok' });
    });
  });

  describe('an invalidation lost while Redis was unreachable', () => {
    // Redis keeps its data through the outage (only the path to it is cut), so the stale entry survives there
    const redis = new ThrowawayRedis();
    let proxy: TcpProxy;
    let t: TestApp;
    let admin: Session;

    beforeAll(async () => {
      await redis.start();
      proxy = new TcpProxy('127.0.0.1', redis.port);
      const port = await proxy.start();
      t = await startApp({ DATABASE_URL: db.url, REDIS_URL: `redis://127.0.0.1:${port}`, RATE_LIMIT_CALLS: '100000' }, probes);
      admin = await adminSession(t.api);
    });

    afterAll(async () => {
      await t?.close();
      await proxy?.stop();
      await redis.stop();
    });

    it('answers 503, is never served stale, and is applied in the background once Redis is back', async () => {
      const stale = (await call('GET', `${t.api}/test-cache/s`)).body.loads;
      expect((await call('GET', `${t.api}/test-cache/s`)).body.loads).toBe(stale);
      const other = (await call('GET', `${t.api}/test-cache/o`)).body.loads;

      const port = proxy.port;
      await proxy.stop();
      const res = await call('POST', `${t.api}/cache/invalidate`, { key: 'probe:s' }, { token: admin.token });
      expect(res.status).toBe(503);
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect((await call('GET', `${t.api}/test-cache/s`)).body.loads).toBeGreaterThan(stale);

      await proxy.start(port);
      await waitFor(() => t.app.get(RedisService).isReady, 10_000, 'the app did not reconnect to Redis');
      // reads of other keys use Redis at once (nothing waits for the retry)
      await new Promise((r) => setTimeout(r, 1100)); // the breaker's pause after the last failure
      expect((await call('GET', `${t.api}/test-cache/o`)).body.loads).toBe(other);
      // the lost invalidation is applied in the background: never the stale value, and caching resumes
      let previous = -1;
      await waitFor(
        async () => {
          const loads = (await call('GET', `${t.api}/test-cache/s`)).body.loads as number;
          expect(loads).toBeGreaterThan(stale);
          const cached = loads === previous;
          previous = loads;
          return cached;
        },
        10_000,
        'caching did not resume for the invalidated key',
      );
    });
  });

  describe('with REDIS_REQUIRED=true', () => {
    const redis = new ThrowawayRedis();
    let t: TestApp;

    afterAll(async () => {
      await t?.close();
      await redis.stop();
    });

    it('fails readiness with 503 while Redis is down, and recovers', async () => {
      await redis.start();
      t = await startApp({ DATABASE_URL: db.url, REDIS_URL: redis.url, REDIS_REQUIRED: 'true' });
      expect((await call('GET', `${t.api}/health/ready`)).status).toBe(200);
      await redis.stop();
      const down = await call('GET', `${t.api}/health/ready`);
      expect(down.status).toBe(503);
      expect(down.headers.get('retry-after')).toBe('5'); // documented on every 503, probes included
      expect(down.body).toMatchObject({ status: 'error', error: { redis: { status: 'down' } } });
      expect((await call('GET', `${t.api}/health`)).status).toBe(200);
      await redis.start();
      await waitFor(async () => (await call('GET', `${t.api}/health/ready`)).status === 200, 10_000, 'readiness did not recover');
    });
  });
});
