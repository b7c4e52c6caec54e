import { CACHE_MANAGER } from '@nestjs/cache-manager';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Cache } from 'cache-manager';
import { AppConfig } from '@gad/config';
import { keyNamespace } from '@gad/redis';
import { CACHE_BACKEND, CacheCounters, type CacheBackend, type CacheBackendKind } from './cache.store.js';

export interface CacheStats {
  backend: CacheBackendKind;
  hits: number;
  misses: number;
  hit_ratio: number;
  errors: number;
}

/** Written by del(): a reader sees a miss, and a load that started before the delete may not overwrite it. */
const TOMBSTONE = { $invalidated: 1 } as const;
/** Longer than any plausible load (a database read) that raced with the invalidation. */
const INVALIDATION_GRACE_MS = 10_000;

/**
 * JSON cache with TTL per call, keys namespaced `${PROJECT_NAME}:${ENVIRONMENT}:cache:`.
 * Redis trouble never reaches callers: reads miss, writes are skipped, and errors are counted.
 * Values round-trip through JSON (a Date comes back as its ISO string).
 */
@Injectable()
export class CacheService {
  private readonly prefix: string;
  private readonly defaultTtlMs: number;
  private readonly inflight = new Map<string, Promise<unknown>>();
  /** Bumped by every invalidation in this process; a load that saw an older value must not be cached. */
  private invalidations = 0;
  /** An invalidation failed (Redis unreachable): the namespace is flushed before Redis is trusted again. */
  private flushPending = false;
  private flushing?: Promise<void>;
  private readonly logger = new Logger('Cache');
  /** Off when per-process caches could not be invalidated together (WORKERS > 1 without Redis). */
  private readonly enabled: boolean;

  constructor(
    @Inject(CACHE_MANAGER) private readonly cache: Cache,
    @Inject(CACHE_BACKEND) private readonly backend: CacheBackend,
    private readonly counters: CacheCounters,
    config: AppConfig,
  ) {
    this.prefix = `${keyNamespace(config)}cache:`;
    this.defaultTtlMs = config.redis.cacheTtlSeconds * 1000;
    this.enabled = backend.kind === 'redis' || config.http.workers <= 1;
    if (!this.enabled) {
      this.logger.warn('WORKERS > 1 without REDIS_URL: caching is off, as one worker could not invalidate the others');
    }
  }

  async get<T>(key: string): Promise<T | undefined> {
    const value = (await this.trusted()) ? await this.cache.get<unknown>(this.fullKey(key)) : undefined;
    if (value === undefined || isTombstone(value)) {
      this.counters.misses++;
      return undefined;
    }
    this.counters.hits++;
    return value as T;
  }

  /** Stores a JSON value; `ttlSeconds` defaults to CACHE_TTL_SECONDS. Skipped silently while Redis is down. */
  async set<T>(key: string, value: T, ttlSeconds?: number): Promise<void> {
    assertCacheable(value);
    if (!(await this.trusted())) return;
    await this.cache.set(this.fullKey(key), value, this.ttlMs(ttlSeconds));
  }

  /**
   * Read-through: the cached value, else `loader()`'s result, cached unless it is null or undefined.
   * Concurrent calls for one key share one load. Safe against a concurrent `del()`: a value loaded
   * before an invalidation is returned to its caller but never written back.
   */
  async wrap<T>(key: string, loader: () => Promise<T>, ttlSeconds?: number): Promise<T> {
    const pending = this.inflight.get(key);
    if (pending) return pending as Promise<T>;
    const load = this.readThrough(key, loader, ttlSeconds);
    this.inflight.set(key, load);
    try {
      return await load;
    } finally {
      if (this.inflight.get(key) === load) this.inflight.delete(key);
    }
  }

  /** Invalidates one key; true when it held a value. Call it after the write that made the value stale. */
  async del(key: string): Promise<boolean> {
    this.invalidations++;
    this.inflight.delete(key);
    const fullKey = this.fullKey(key);
    const current = await this.failSafe(async () => {
      const value = await this.cache.get<unknown>(fullKey);
      await this.cache.set(fullKey, TOMBSTONE, INVALIDATION_GRACE_MS);
      return value;
    });
    return current !== undefined && !isTombstone(current);
  }

  /** Deletes every key that starts with `prefix` (e.g. `user:42:`); returns how many were removed. */
  async delByPrefix(prefix: string): Promise<number> {
    if (prefix.length === 0) throw new Error('delByPrefix needs a non-empty prefix');
    this.invalidations++;
    for (const key of this.inflight.keys()) if (key.startsWith(prefix)) this.inflight.delete(key);
    return this.failSafe(() => this.backend.deleteByPrefix(this.fullKey(prefix)));
  }

  /** One key or one prefix (the admin endpoint); returns how many keys held a value. */
  async invalidate(target: { key?: string; prefix?: string }): Promise<number> {
    if (target.key !== undefined) return Number(await this.del(target.key));
    return this.delByPrefix(target.prefix ?? '');
  }

  stats(): CacheStats {
    const { hits, misses, errors } = this.counters;
    const reads = hits + misses;
    return {
      backend: this.backend.kind,
      hits,
      misses,
      hit_ratio: reads === 0 ? 0 : Math.round((hits / reads) * 10_000) / 10_000,
      errors,
    };
  }

  private async readThrough<T>(key: string, loader: () => Promise<T>, ttlSeconds?: number): Promise<T> {
    const fullKey = this.fullKey(key);
    const trusted = await this.trusted();
    const cached = trusted ? await this.cache.get<unknown>(fullKey) : undefined;
    if (cached !== undefined && !isTombstone(cached)) {
      this.counters.hits++;
      return cached as T;
    }
    this.counters.misses++;
    const seen = this.invalidations;
    const value = await loader();
    if (!trusted || value === undefined || value === null || isTombstone(cached) || this.invalidations !== seen) return value;
    if (this.backend.kind === 'redis') {
      // another replica may have invalidated the key while we were loading
      const now = await this.cache.get<unknown>(fullKey);
      if (isTombstone(now)) return value;
    }
    assertCacheable(value);
    await this.cache.set(fullKey, value, this.ttlMs(ttlSeconds));
    return value;
  }

  /** Runs an invalidation; if Redis failed it, the entry may survive there, so flush before trusting Redis again. */
  private async failSafe<T>(invalidate: () => Promise<T>): Promise<T> {
    const errors = this.counters.errors;
    const result = await invalidate();
    if (this.counters.errors !== errors) this.flushPending = true;
    return result;
  }

  /**
   * False while a lost invalidation is pending: Redis is bypassed (reads miss, writes are skipped)
   * until this process has flushed its namespace there, so a stale entry can never be read back.
   * Always false when caching is off.
   */
  private async trusted(): Promise<boolean> {
    if (!this.enabled) return false;
    if (!this.flushPending) return true;
    this.flushing ??= this.flush().finally(() => (this.flushing = undefined));
    await this.flushing;
    return !this.flushPending;
  }

  private async flush(): Promise<void> {
    const errors = this.counters.errors;
    const deleted = await this.backend.deleteByPrefix(this.prefix);
    if (this.counters.errors !== errors) return;
    this.flushPending = false;
    this.logger.warn(`Redis is back after an invalidation was lost: flushed the cache (${deleted} keys)`);
  }

  private fullKey(key: string): string {
    return this.prefix + key;
  }

  private ttlMs(ttlSeconds?: number): number {
    if (ttlSeconds === undefined) return this.defaultTtlMs;
    if (!(ttlSeconds > 0)) throw new RangeError(`cache TTL must be positive (got ${ttlSeconds})`);
    return Math.round(ttlSeconds * 1000);
  }
}

function isTombstone(value: unknown): boolean {
  return typeof value === 'object' && value !== null && (value as { $invalidated?: unknown }).$invalidated === 1;
}

function assertCacheable(value: unknown): void {
  const type = typeof value;
  if (value === undefined || type === 'function' || type === 'symbol' || type === 'bigint') {
    throw new TypeError(`only JSON values can be cached (got ${type})`);
  }
}
