import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import KeyvRedis from '@keyv/redis';
import { Keyv } from 'keyv';
import { appConfig } from '@gad/config';
import { RedisBreaker, RedisScript, RedisService, type RedisClient } from '@gad/redis';

export type CacheBackend = 'redis' | 'memory';

/** One key, or every key under a prefix. */
export type Eviction = { key: string } | { prefix: string };

/** The shared store could not answer (Redis down or slow). */
export class CacheUnavailable extends Error {}

const COMMAND_TIMEOUT_MS = 300;
const PREFIX_TIMEOUT_MS = 5_000;
const MEMORY_MAX_ENTRIES = 10_000;
const SCAN_BATCH = 500;

// Records `key` (ARGV[1]) in each index (KEYS), scored by when it expires, and drops expired members,
// so an index holds only what may still be in the store.
const INDEX = new RedisScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local expires = now + tonumber(ARGV[2])
for _, index in ipairs(KEYS) do
  redis.call('ZADD', index, expires, ARGV[1])
  redis.call('ZREMRANGEBYSCORE', index, '-inf', now)
  if redis.call('PTTL', index) < tonumber(ARGV[2]) then redis.call('PEXPIRE', index, ARGV[2]) end
end
return 0
`);

/**
 * The only code that touches the cache's keys: values in Keyv (Redis through @keyv/redis on the one
 * Redis connection, or a bounded Map), JSON only; in Redis, an index per key prefix (each `:` ends a
 * segment) so that invalidating a prefix visits only its own keys, never the whole database; and the
 * eviction channel that keeps every process's memory tier honest. Failures throw CacheUnavailable:
 * the service decides what a failure means.
 */
@Injectable()
export class CacheRepository implements OnApplicationShutdown {
  readonly backend: CacheBackend;
  private readonly keyv: Keyv;
  private readonly memory?: Map<string, unknown>;
  private readonly valuePrefix: string;
  private readonly indexPrefix: string;
  private readonly channel: string;
  private readonly breaker = new RedisBreaker();
  private subscriber?: RedisClient;

  constructor(
    private readonly redis: RedisService,
    @Inject(appConfig.KEY) app: ConfigType<typeof appConfig>,
  ) {
    const namespace = app.keyNamespace;
    this.valuePrefix = `${namespace}cache:`;
    this.indexPrefix = `${namespace}cache-index:`;
    this.channel = `${namespace}cache:evictions`;
    this.backend = redis.enabled ? 'redis' : 'memory';
    const store = redis.enabled
      ? new KeyvRedis<unknown>(redis.client!, { throwOnConnectError: true, throwOnErrors: true, useUnlink: true })
      : (this.memory = new BoundedMap(MEMORY_MAX_ENTRIES));
    this.keyv = new Keyv({
      store,
      useKeyPrefix: false,
      namespace: undefined,
      throwOnErrors: true,
      serialize: JSON.stringify,
      deserialize: (data: string) => JSON.parse(data),
    });
    this.keyv.on('error', () => undefined); // thrown to us as well; RedisService logs connection trouble
  }

  get(key: string): Promise<unknown> {
    return this.guard(() => this.keyv.get(this.valuePrefix + key));
  }

  async set(key: string, value: unknown, ttlMs: number): Promise<void> {
    await this.guard(() => this.keyv.set(this.valuePrefix + key, value, ttlMs));
    if (this.backend === 'redis') await this.guard(() => this.redis.runScript(INDEX, this.indexesOf(key), [key, String(ttlMs)]));
  }

  /** Deletes every key under `prefix`, visiting only the keys indexed under it; returns how many held a value. */
  deletePrefix(prefix: string): Promise<number> {
    if (this.memory) {
      let deleted = 0;
      for (const key of [...this.memory.keys()]) {
        if (key.startsWith(this.valuePrefix + prefix) && this.memory.delete(key)) deleted++;
      }
      return Promise.resolve(deleted);
    }
    return this.guard(async () => {
      const client = this.redis.client!;
      // the deepest index that covers the prefix: `user:` for `user:4`, the root index for `us`
      const index = this.indexPrefix + prefix.slice(0, prefix.lastIndexOf(':') + 1);
      let deleted = 0;
      for await (const entries of client.zScanIterator(index, { COUNT: SCAN_BATCH })) {
        const keys = entries.map((e) => e.value).filter((key) => key.startsWith(prefix));
        if (keys.length === 0) continue;
        deleted += await client.unlink(keys.map((key) => this.valuePrefix + key));
        await client.zRem(index, keys);
      }
      return deleted;
    }, PREFIX_TIMEOUT_MS);
  }

  /** Tells every process (this one included) to drop its memory copies. */
  async publish(eviction: Eviction): Promise<void> {
    if (this.backend === 'redis')
      await this.guard(() => this.redis.run((c) => c.publish(this.channel, JSON.stringify(eviction))));
  }

  /**
   * Evictions published by any process; `onReconnect` when the subscription comes back after a gap,
   * during which evictions may have been missed. Resolves once subscribed (or gave up trying).
   */
  async subscribe(onEviction: (eviction: Eviction) => void, onReconnect: () => void): Promise<void> {
    if (this.backend !== 'redis') return;
    this.subscriber = await this.redis.duplicate();
    this.subscriber.on('ready', onReconnect);
    await this.subscriber
      .subscribe(this.channel, (message) => onEviction(JSON.parse(message) as Eviction))
      .catch((error: unknown) => this.redis.reportError('cache evictions', error));
  }

  /** True while evictions reach this process (always without Redis: there is no one else). */
  get hearsEvictions(): boolean {
    return this.backend === 'memory' || (this.subscriber?.isReady ?? false);
  }

  onApplicationShutdown(): void {
    this.memory?.clear();
  }

  /** `a:b:c` is indexed under the root, `a:` and `a:b:`. */
  private indexesOf(key: string): string[] {
    const indexes = [this.indexPrefix];
    for (let i = key.indexOf(':'); i >= 0; i = key.indexOf(':', i + 1)) indexes.push(this.indexPrefix + key.slice(0, i + 1));
    return indexes;
  }

  private async guard<T>(operation: () => Promise<T>, timeoutMs = COMMAND_TIMEOUT_MS): Promise<T> {
    if (this.memory) return operation();
    if (this.breaker.isOpen) throw new CacheUnavailable('Redis paused after a recent failure');
    try {
      return await this.redis.run(operation, timeoutMs);
    } catch (error) {
      this.breaker.trip();
      this.redis.reportError('cache', error);
      throw new CacheUnavailable(error instanceof Error ? error.message : String(error));
    }
  }
}

/** The no-Redis store: a Map that drops its oldest entry past a bound, so memory stays flat. */
class BoundedMap extends Map<string, unknown> {
  constructor(private readonly maxEntries: number) {
    super();
  }

  override set(key: string, value: unknown): this {
    if (!this.has(key) && this.size >= this.maxEntries) {
      const oldest = this.keys().next();
      if (!oldest.done) this.delete(oldest.value);
    }
    return super.set(key, value);
  }
}
