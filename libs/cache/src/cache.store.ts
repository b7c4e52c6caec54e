import KeyvRedis from '@keyv/redis';
import { Keyv, type KeyvStoreAdapter, type StoredData } from 'keyv';
import { type RedisService, RedisBreaker } from '@gad/redis';

export type CacheBackendKind = 'redis' | 'memory';

/** Process-local counters behind GET /cache/stats. */
export class CacheCounters {
  hits = 0;
  misses = 0;
  errors = 0;
}

/** The Keyv store the cache manager wraps, plus what Keyv cannot do (prefix deletes). */
export interface CacheBackend {
  readonly kind: CacheBackendKind;
  readonly keyv: Keyv;
  /** Deletes every key that starts with `prefix` (a full, namespaced key prefix); returns how many. */
  deleteByPrefix(prefix: string): Promise<number>;
}

export const CACHE_BACKEND = Symbol('CACHE_BACKEND');

const CACHE_COMMAND_TIMEOUT_MS = 300;
const MEMORY_MAX_ENTRIES = 10_000;
const SCAN_BATCH = 500;

export function createCacheBackend(redis: RedisService, counters: CacheCounters, namespace: string): CacheBackend {
  if (redis.enabled) {
    const store = new FailOpenRedisStore(redis, counters, namespace);
    return { kind: 'redis', keyv: jsonKeyv(store), deleteByPrefix: (prefix) => store.deleteByPrefix(prefix) };
  }
  const store = new BoundedMemoryStore(MEMORY_MAX_ENTRIES);
  return { kind: 'memory', keyv: jsonKeyv(store), deleteByPrefix: async (prefix) => store.deleteByPrefix(prefix) };
}

// Keys arrive fully namespaced from CacheService; values are plain JSON (never a code-executing format).
function jsonKeyv(store: KeyvStoreAdapter | Map<string, unknown>): Keyv {
  const keyv = new Keyv({
    store,
    namespace: undefined,
    useKeyPrefix: false,
    serialize: JSON.stringify,
    deserialize: (data: string) => JSON.parse(data),
  });
  keyv.on('error', () => undefined); // counted and logged by the store
  return keyv;
}

/**
 * @keyv/redis over RedisService's own client (no second connection), made fail-open: every command
 * is bounded by a short timeout, a failure is counted and logged once per interval, and the caller
 * sees a miss (reads) or a skipped write, never an exception. RedisService's client reconnects by
 * itself, so caching resumes when Redis returns.
 */
export class FailOpenRedisStore implements KeyvStoreAdapter {
  readonly opts: Record<string, unknown> = {};
  private readonly inner: KeyvRedis<string>;
  private readonly breaker = new RedisBreaker();

  constructor(
    private readonly redis: RedisService,
    private readonly counters: CacheCounters,
    private readonly namespace_: string,
  ) {
    // run() checks readiness first, so the adapter never tries to (re)connect the shared client itself.
    this.inner = new KeyvRedis<string>(redis.client, { throwOnConnectError: true, throwOnErrors: true, useUnlink: true });
    this.inner.namespace = undefined;
    this.inner.on('error', () => undefined); // connection errors are RedisService's to log
  }

  // Keyv assigns its namespace here; ours is already part of every key.
  get namespace(): string | undefined {
    return undefined;
  }

  set namespace(_value: string | undefined) {}

  get<Value>(key: string): Promise<StoredData<Value> | undefined> {
    return this.guard('get', () => this.inner.get(key) as Promise<StoredData<Value> | undefined>, undefined);
  }

  set(key: string, value: string, ttl?: number): Promise<boolean> {
    return this.guard(
      'set',
      async () => {
        await this.inner.set(key, value, ttl);
        return true;
      },
      false,
    );
  }

  delete(key: string): Promise<boolean> {
    return this.guard('delete', () => this.inner.delete(key), false);
  }

  async clear(): Promise<void> {
    await this.deleteByPrefix(this.namespace_);
  }

  deleteByPrefix(prefix: string): Promise<number> {
    return this.guard(
      'delete-prefix',
      async () => {
        let deleted = 0;
        const client = this.redis.client!;
        for await (const keys of client.scanIterator({ MATCH: `${escapeGlob(prefix)}*`, COUNT: SCAN_BATCH })) {
          if (keys.length > 0) deleted += await client.unlink(keys);
        }
        return deleted;
      },
      0,
      // a scan walks the whole keyspace: allow it more than one command's worth of time
      CACHE_COMMAND_TIMEOUT_MS * 20,
    );
  }

  on(): this {
    return this;
  }

  // RedisService owns the connection: the cache manager must not close it on shutdown.
  async disconnect(): Promise<void> {}

  private async guard<T>(op: string, command: () => Promise<T>, fallback: T, timeoutMs = CACHE_COMMAND_TIMEOUT_MS): Promise<T> {
    if (this.breaker.isOpen) {
      this.counters.errors++;
      return fallback;
    }
    try {
      return await this.redis.run(() => command(), timeoutMs);
    } catch (error) {
      this.breaker.trip();
      this.counters.errors++;
      this.redis.reportError(`cache ${op}`, error);
      return fallback;
    }
  }
}

/** The no-Redis store: a Map that drops its oldest entry past a bound, so memory stays flat. */
export class BoundedMemoryStore extends Map<string, unknown> {
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

  deleteByPrefix(prefix: string): number {
    let deleted = 0;
    for (const key of [...this.keys()]) {
      if (key.startsWith(prefix) && this.delete(key)) deleted++;
    }
    return deleted;
  }
}

function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, (c) => `\\${c}`);
}
