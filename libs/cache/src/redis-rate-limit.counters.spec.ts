import { randomBytes } from 'node:crypto';
import { parseConfig } from '@gad/config';
import { MemoryCounters } from '@gad/security';
import { RedisRateLimitCounters } from './redis-rate-limit.counters.js';
import { RedisService } from '@gad/redis';

const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

describe('RedisRateLimitCounters', () => {
  const config = parseConfig({
    ENVIRONMENT: 'test',
    SECRET_KEY: 'x'.repeat(40),
    PROJECT_NAME: `ratelimit_spec_${randomBytes(4).toString('hex')}`,
    REDIS_URL: TEST_REDIS_URL,
  }).config;
  const redis = new RedisService(config);
  const counters = new RedisRateLimitCounters(redis, config);

  beforeAll(() => redis.onModuleInit());
  afterAll(async () => {
    for await (const keys of redis.client!.scanIterator({ MATCH: `${config.app.name}:*` }))
      if (keys.length) await redis.client!.del(keys);
    await redis.onApplicationShutdown();
  });

  it('follows the in-memory algorithm: fixed window, refusal past the limit', async () => {
    const memory = new MemoryCounters();
    for (let i = 0; i < 4; i++) {
      const [hits, , blocked] = await counters.increment('default:1.2.3.4', 60_000, 3, 0);
      const [mHits, , mBlocked] = memory.increment('x', 60_000, 3, 0);
      expect([hits, blocked]).toEqual([mHits, mBlocked]);
    }
    const [, ttl, blocked, retry] = await counters.increment('default:1.2.3.4', 60_000, 3, 0);
    expect(blocked).toBe(1);
    expect(ttl).toBeGreaterThan(59_000);
    expect(retry).toBe(ttl);
  });

  it('blocks for the block duration, then starts a fresh window', async () => {
    await counters.increment('login:a', 60_000, 1, 200);
    const [, , blocked, retry] = await counters.increment('login:a', 60_000, 1, 200);
    expect(blocked).toBe(1);
    expect(retry).toBeLessThanOrEqual(200);
    expect((await counters.increment('login:a', 60_000, 1, 200))[2]).toBe(1);
    await new Promise((r) => setTimeout(r, 250));
    expect(await counters.increment('login:a', 60_000, 1, 200)).toEqual([1, 60_000, 0, 0]);
  });

  it('answers increments sent together exactly as it would have one by one', async () => {
    const memory = new MemoryCounters();
    const together = await Promise.all(Array.from({ length: 6 }, () => counters.increment('default:5.5.5.5', 60_000, 4, 0)));
    const alone = Array.from({ length: 6 }, () => memory.increment('x', 60_000, 4, 0));
    expect(together.map(([hits, , blocked]) => [hits, blocked])).toEqual(alone.map(([hits, , blocked]) => [hits, blocked]));
    expect(together.map(([, , blocked]) => blocked)).toEqual([0, 0, 0, 0, 1, 1]);
  });

  it('blocks part-way through increments sent together, and counts other counters apart', async () => {
    const [a, b] = await Promise.all([
      Promise.all(Array.from({ length: 4 }, () => counters.increment('login:together', 60_000, 2, 5_000))),
      Promise.all(Array.from({ length: 2 }, () => counters.increment('login:other', 60_000, 2, 5_000))),
    ]);
    expect(a.map(([hits, , blocked]) => [hits, blocked])).toEqual([
      [1, 0],
      [2, 0],
      [3, 1],
      [3, 1], // blocked: reported as limit + 1, like MemoryCounters
    ]);
    expect(a[3][3]).toBeLessThanOrEqual(5_000);
    expect(b.map(([hits, , blocked]) => [hits, blocked])).toEqual([
      [1, 0],
      [2, 0],
    ]);
  });

  it('keeps its keys under the project namespace', async () => {
    await counters.increment('default:9.9.9.9', 60_000, 5, 0);
    expect(await redis.client!.get(`${config.app.name}:test:ratelimit:default:9.9.9.9`)).toBe('1');
  });
});
