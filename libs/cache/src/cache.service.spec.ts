import { randomBytes } from 'node:crypto';
import { createCache } from 'cache-manager';
import { parseConfig, type AppConfig } from '@gad/config';
import { CacheService } from './cache.service.js';
import { CacheCounters, createCacheBackend } from './cache.store.js';
import { keyNamespace, RedisService } from '@gad/redis';

const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

function testConfig(env: Record<string, string> = {}): AppConfig {
  return parseConfig({
    ENVIRONMENT: 'test',
    SECRET_KEY: 'x'.repeat(40),
    PROJECT_NAME: `cache_spec_${randomBytes(4).toString('hex')}`,
    ...env,
  }).config;
}

function cacheService(config: AppConfig, redis: RedisService): CacheService {
  const counters = new CacheCounters();
  const backend = createCacheBackend(redis, counters, `${keyNamespace(config)}cache:`);
  return new CacheService(createCache({ stores: [backend.keyv] }), backend, counters, config);
}

async function dropNamespace(redis: RedisService, config: AppConfig): Promise<void> {
  if (!redis.client) return;
  for await (const keys of redis.client.scanIterator({ MATCH: `${config.app.name}:*` }))
    if (keys.length) await redis.client.del(keys);
}

function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

describe.each([
  ['memory', {}],
  ['redis', { REDIS_URL: TEST_REDIS_URL }],
])('CacheService on %s', (backend, env: Record<string, string>) => {
  let config: AppConfig;
  let redis: RedisService;
  let cache: CacheService;

  beforeEach(async () => {
    config = testConfig(env);
    redis = new RedisService(config);
    await redis.onModuleInit();
    cache = cacheService(config, redis);
  });

  afterEach(async () => {
    await dropNamespace(redis, config);
    await redis.onApplicationShutdown();
  });

  it('round-trips JSON and counts hits and misses', async () => {
    expect(await cache.get('user:1')).toBeUndefined();
    await cache.set('user:1', { id: '1', roles: ['admin'], at: new Date('2026-01-01T00:00:00Z') });
    expect(await cache.get('user:1')).toEqual({ id: '1', roles: ['admin'], at: '2026-01-01T00:00:00.000Z' });
    expect(cache.stats()).toEqual({ backend, hits: 1, misses: 1, hit_ratio: 0.5, errors: 0 });
  });

  it('expires a value after its own TTL', async () => {
    await cache.set('short', 'v', 0.05);
    expect(await cache.get('short')).toBe('v');
    await new Promise((r) => setTimeout(r, 120));
    expect(await cache.get('short')).toBeUndefined();
  });

  it('refuses values that are not JSON', async () => {
    await expect(cache.set('f', () => 1)).rejects.toThrow(TypeError);
    await expect(cache.set('u', undefined)).rejects.toThrow(TypeError);
  });

  it('reads through once, then serves from the cache; null results are not cached', async () => {
    let loads = 0;
    const loader = async () => ({ n: ++loads });
    expect(await cache.wrap('w', loader)).toEqual({ n: 1 });
    expect(await cache.wrap('w', loader)).toEqual({ n: 1 });
    let nulls = 0;
    await cache.wrap('missing', async () => (nulls++, null));
    await cache.wrap('missing', async () => (nulls++, null));
    expect(nulls).toBe(2);
    expect(cache.stats()).toMatchObject({ hits: 1, misses: 3 });
  });

  it('coalesces concurrent loads of one key', async () => {
    let loads = 0;
    const gate = deferred<void>();
    const loader = async () => {
      loads++;
      await gate.promise;
      return 'v';
    };
    const all = Promise.all([cache.wrap('c', loader), cache.wrap('c', loader), cache.wrap('c', loader)]);
    await new Promise((r) => setTimeout(r, 20));
    gate.resolve();
    expect(await all).toEqual(['v', 'v', 'v']);
    expect(loads).toBe(1);
  });

  it('del invalidates, reports whether there was a value, and a load racing with it is not written back', async () => {
    await cache.set('user:2', { roles: ['admin'] });
    expect(await cache.del('user:2')).toBe(true);
    expect(await cache.del('user:2')).toBe(false);
    expect(await cache.get('user:2')).toBeUndefined();

    // a read-through that loaded the old row before the update must not re-cache it
    const oldRow = deferred<{ roles: string[] }>();
    const racing = cache.wrap('user:3', () => oldRow.promise);
    await new Promise((r) => setTimeout(r, 20));
    await cache.del('user:3');
    oldRow.resolve({ roles: ['admin'] });
    expect(await racing).toEqual({ roles: ['admin'] });
    expect(await cache.wrap('user:3', async () => ({ roles: ['operator'] }))).toEqual({ roles: ['operator'] });
  });

  it('deletes by prefix, and only inside its own namespace', async () => {
    const otherConfig = testConfig(env);
    const other = cacheService(otherConfig, redis);
    await cache.set('session:u1:a', 1);
    await cache.set('session:u1:b', 2);
    await cache.set('session:u2:a', 3);
    await other.set('session:u1:a', 4);
    expect(await cache.delByPrefix('session:u1:')).toBe(2);
    expect(await cache.get('session:u1:a')).toBeUndefined();
    expect(await cache.get('session:u2:a')).toBe(3);
    expect(await other.get('session:u1:a')).toBe(4);
    expect(await cache.invalidate({ prefix: 'session:' })).toBe(1);
    expect(await cache.invalidate({ key: 'session:u2:a' })).toBe(0);
    await dropNamespace(redis, otherConfig);
  });
});

describe('CacheService across replicas sharing Redis', () => {
  it('a replica that loaded before another invalidated does not write the stale value back', async () => {
    const config = testConfig({ REDIS_URL: TEST_REDIS_URL });
    const redis = new RedisService(config);
    await redis.onModuleInit();
    const a = cacheService(config, redis);
    const b = cacheService(config, redis);
    try {
      const oldRow = deferred<{ roles: string[] }>();
      const racing = a.wrap('user:9', () => oldRow.promise);
      await new Promise((r) => setTimeout(r, 20));
      await b.del('user:9'); // replica B changed the user
      oldRow.resolve({ roles: ['admin'] });
      await racing;
      expect(await b.get('user:9')).toBeUndefined();
      expect(await a.wrap('user:9', async () => ({ roles: ['operator'] }))).toEqual({ roles: ['operator'] });
    } finally {
      await dropNamespace(redis, config);
      await redis.onApplicationShutdown();
    }
  });
});

describe('CacheService with several workers and no Redis', () => {
  it('stays off, since one worker could not invalidate the others', async () => {
    const config = testConfig({ WORKERS: '4' });
    const redis = new RedisService(config);
    const cache = cacheService(config, redis);
    let loads = 0;
    await cache.set('k', 1);
    expect(await cache.get('k')).toBeUndefined();
    await cache.wrap('w', async () => ++loads);
    await cache.wrap('w', async () => ++loads);
    expect(loads).toBe(2);
    expect(cache.stats()).toMatchObject({ backend: 'memory', hits: 0 });
  });
});
