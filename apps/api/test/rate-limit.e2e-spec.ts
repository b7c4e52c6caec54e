import { randomBytes } from 'node:crypto';
import { Controller, Get, Module } from '@nestjs/common';
import { SkipThrottle, Throttle } from '@nestjs/throttler';
import { Counters } from '@gad/limits';
import { ThrowawayRedis, waitFor } from './support/redis-server.js';
import { startApp, suiteApps, type TestApp } from './support/test-app.js';
import { TEST_REDIS_URL } from './support/test-env.js';
import { Public } from '@gad/access';
import { RedisService } from '@gad/redis';

@Public()
@Controller('test-rate')
class RateProbeController {
  @Get('ping')
  ping(): { ok: true } {
    return { ok: true };
  }

  @Get('strict')
  @Throttle({ default: { limit: 2, ttl: 60_000 } })
  strict(): { ok: true } {
    return { ok: true };
  }

  @Get('unlimited')
  @SkipThrottle()
  unlimited(): { ok: true } {
    return { ok: true };
  }
}

@Module({ controllers: [RateProbeController] })
class RateProbeModule {}

const ping = (t: TestApp, headers: Record<string, string> = {}) => fetch(`${t.api}/test-rate/ping`, { headers });
const remaining = (res: Response) => Number(res.headers.get('x-ratelimit-remaining'));

describe('rate limiting', () => {
  const suite = suiteApps({ imports: [RateProbeModule] });
  const start = (env: Record<string, string>): Promise<TestApp> => suite.start(env);

  it('answers the 101st request in a window with 429 problem+json, Retry-After and X-RateLimit-*', async () => {
    const t = await start({ RATE_LIMIT_CALLS: '100', RATE_LIMIT_PERIOD: '60' });
    for (let i = 1; i <= 100; i++) {
      const res = await ping(t);
      expect(res.status).toBe(200);
      expect(res.headers.get('x-ratelimit-limit')).toBe('100');
      expect(remaining(res)).toBe(100 - i);
    }
    const refused = await ping(t, { 'X-Request-Id': 'over-the-limit' });
    expect(refused.status).toBe(429);
    expect(refused.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    const retryAfter = Number(refused.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(refused.headers.get('x-ratelimit-limit')).toBe('100');
    expect(refused.headers.get('x-ratelimit-remaining')).toBe('0');
    expect(Number(refused.headers.get('x-ratelimit-reset'))).toBe(retryAfter);
    expect(await refused.json()).toMatchObject({ status: 429, title: 'Too Many Requests', request_id: 'over-the-limit' });

    // one budget per client across routes, counted before authentication
    const other = await fetch(`${t.api}/users`);
    expect(other.status).toBe(429);

    // the probes and metrics are never limited
    expect((await fetch(`${t.api}/health`)).status).toBe(200);
    expect((await fetch(`${t.api}/health/ready`)).status).toBe(200);
    expect((await fetch(`${t.origin}/metrics`)).status).not.toBe(429);
  });

  it.each([
    ['in memory', {}],
    ['on Redis', { REDIS_URL: TEST_REDIS_URL }],
  ])('counts concurrent requests of one client exactly, %s: each is answered as if it came alone', async (_where, store) => {
    const project = { PROJECT_NAME: `rl_${randomBytes(4).toString('hex')}` };
    const t = await start({ RATE_LIMIT_CALLS: '100', RATE_LIMIT_PERIOD: '60', ...project, ...store });
    const answers = await Promise.all(Array.from({ length: 130 }, () => ping(t)));
    const passed = answers.filter((res) => res.status === 200);
    expect(passed).toHaveLength(100);
    expect(answers.filter((res) => res.status === 429)).toHaveLength(30);
    // every remaining count from 99 down to 0 handed out once
    expect(passed.map(remaining).sort((a, b) => a - b)).toEqual(Array.from({ length: 100 }, (_, i) => i));
  });

  it("honours a route's own limit and @SkipThrottle", async () => {
    const t = await start({ RATE_LIMIT_CALLS: '5', RATE_LIMIT_PERIOD: '60' });
    const strict = () => fetch(`${t.api}/test-rate/strict`);
    expect([(await strict()).status, (await strict()).status]).toEqual([200, 200]);
    const refused = await strict();
    expect(refused.status).toBe(429);
    expect(refused.headers.get('x-ratelimit-limit')).toBe('2');
    for (let i = 0; i < 8; i++) expect((await fetch(`${t.api}/test-rate/unlimited`)).status).toBe(200);
  });

  it('counts bodies the edge reads and then refuses (malformed JSON, a form with NUL) against the same budget', async () => {
    const t = await start({ RATE_LIMIT_CALLS: '3' });
    const malformed = () =>
      fetch(`${t.api}/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"email":' });
    const form = () =>
      fetch(`${t.api}/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'username=a%00b&password=x',
      });
    expect([(await malformed()).status, (await form()).status, (await malformed()).status]).toEqual([400, 400, 400]);
    // the budget is spent: the next request is refused, and the next body goes unread
    expect((await fetch(`${t.api}/users`)).status).toBe(429);
    const unread = await malformed();
    expect(unread.status).toBe(429);
    expect(Number(unread.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  it('counts unauthenticated requests too (the throttler runs before the JWT guard)', async () => {
    const t = await start({ RATE_LIMIT_CALLS: '5' });
    const res = await fetch(`${t.api}/users`);
    expect(res.status).toBe(401);
    expect(res.headers.get('x-ratelimit-remaining')).toBe('4');
  });

  it('ignores X-Forwarded-For from a peer that is not a trusted proxy', async () => {
    const t = await start({ RATE_LIMIT_CALLS: '3', TRUSTED_PROXY_HOSTS: '[]' });
    for (let i = 1; i <= 3; i++) {
      const res = await ping(t, { 'X-Forwarded-For': `203.0.113.${i}` });
      expect(res.status).toBe(200);
      expect(remaining(res)).toBe(3 - i);
    }
    expect((await ping(t, { 'X-Forwarded-For': '198.51.100.77' })).status).toBe(429);
  });

  it('counts per forwarded client behind a trusted proxy', async () => {
    const t = await start({ RATE_LIMIT_CALLS: '3', TRUSTED_PROXY_HOSTS: '["127.0.0.1"]' });
    for (let i = 1; i <= 5; i++) {
      const res = await ping(t, { 'X-Forwarded-For': `203.0.113.${i}` });
      expect(res.status).toBe(200);
      expect(remaining(res)).toBe(2);
    }
    // a spoofed hop to the left of what the trusted proxy saw does not help
    const client = '198.51.100.9';
    for (let i = 0; i < 3; i++) await ping(t, { 'X-Forwarded-For': `10.9.9.${i}, ${client}` });
    expect((await ping(t, { 'X-Forwarded-For': client })).status).toBe(429);
    // localhost in TRUSTED_PROXY_HOSTS means loopback only, and a CIDR range works too
    const cidr = await start({ RATE_LIMIT_CALLS: '1', TRUSTED_PROXY_HOSTS: '["127.0.0.0/8"]' });
    expect((await ping(cidr, { 'X-Forwarded-For': '203.0.113.50' })).status).toBe(200);
    expect((await ping(cidr, { 'X-Forwarded-For': '203.0.113.51' })).status).toBe(200);
  });

  it('shares one count between two app instances on the same Redis', async () => {
    const env = { RATE_LIMIT_CALLS: '4', REDIS_URL: TEST_REDIS_URL, PROJECT_NAME: `rl_${randomBytes(4).toString('hex')}` };
    const a = await start(env);
    const b = await start(env);
    try {
      expect(remaining(await ping(a))).toBe(3);
      expect(remaining(await ping(b))).toBe(2);
      expect(remaining(await ping(a))).toBe(1);
      expect(remaining(await ping(b))).toBe(0);
      expect((await ping(a)).status).toBe(429);
      expect((await ping(b)).status).toBe(429);
      expect(a.app.get(Counters).fallbackCount).toBe(0);
    } finally {
      const redis = a.app.get(RedisService);
      for await (const keys of redis.client!.scanIterator({ MATCH: `${env.PROJECT_NAME}:*` }))
        if (keys.length) await redis.client!.del(keys);
    }
  });

  describe('when Redis fails', () => {
    const redis = new ThrowawayRedis();
    afterAll(() => redis.stop());

    it('fails open to per-process counters (still limiting), counts the errors, and returns to Redis', async () => {
      await redis.start();
      // closed here, while its Redis is up, rather than with the others after this block stops it
      const t = await startApp(
        { DATABASE_URL: suite.databaseUrl, RATE_LIMIT_CALLS: '3', REDIS_URL: redis.url },
        { imports: [RateProbeModule] },
      );
      try {
        await outageAndRecovery(t, redis);
      } finally {
        await t.close();
      }
    });
  });
});

async function outageAndRecovery(t: TestApp, redis: ThrowawayRedis): Promise<void> {
  const counters = t.app.get(Counters);
  expect(remaining(await ping(t))).toBe(2);

  await redis.stop();
  for (let i = 0; i < 3; i++) expect((await ping(t)).status).toBe(200);
  expect((await ping(t)).status).toBe(429); // memory still enforces the limit
  expect(counters.fallbackCount).toBeGreaterThanOrEqual(4);
  expect((await fetch(`${t.api}/health/ready`)).status).toBe(200);

  await redis.start(); // same port, empty
  await waitFor(() => t.app.get(RedisService).isReady, 10_000, 'the app did not reconnect to Redis');
  let res = await ping(t);
  for (let i = 0; i < 30 && res.status !== 200; i++) {
    await new Promise((r) => setTimeout(r, 100)); // the breaker's pause after the last failure
    res = await ping(t);
  }
  expect(res.status).toBe(200);
  const errors = counters.fallbackCount;
  expect(remaining(await ping(t))).toBe(remaining(res) - 1);
  expect(counters.fallbackCount).toBe(errors);
}
