import { Inject, HttpStatus, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import cluster from 'node:cluster';
import { cacheConfig } from '@gad/config';
import { OUTAGE_RETRY_AFTER, ProblemException } from '@gad/observability';
import { MemoryTier } from './memory-tier.js';
import { CacheRepository, CacheUnavailable, type CacheBackend, type Eviction } from './cache.repository.js';

export interface TierStats {
  hits: number;
  misses: number;
}

export interface CacheStats {
  backend: CacheBackend;
  /** Reads answered by either tier. */
  hits: number;
  /** Reads that went to the source. */
  misses: number;
  hit_ratio: number;
  /** Shared-store operations that failed (the request went on without them). */
  errors: number;
  tiers: { memory: TierStats; shared: TierStats };
}

export interface RememberOptions {
  /** Also keep a copy in this process's memory for CACHE_MEMORY_TTL_SECONDS (hot values read on every request). */
  memory?: boolean;
}

/** Written by forget(): a reader sees a miss, and a load that started before it may not write over it. */
const TOMBSTONE = { $invalidated: 1 } as const;
/** Longer than any plausible load (a database read) that raced with the invalidation. */
const TOMBSTONE_TTL_MS = 10_000;
/** Past this many invalidations waiting for Redis, the whole shared store is bypassed until it is flushed. */
const MAX_PENDING = 1000;
const RETRY_MS = 1000;

/**
 * The one read-through cache: this process's memory (optional per call), then the shared store (Redis
 * when configured, else a bounded Map), then the loader. Values are JSON (a Date comes back as its ISO
 * string). Every invalidation reaches every process's memory through Redis before it returns.
 *
 * Redis trouble never reaches readers: reads miss and writes are skipped, counted as errors. An
 * invalidation Redis could not apply is remembered and retried in the background; until then reads
 * of what it covers bypass Redis (a stale value is never served, and no read waits for the retry).
 */
@Injectable()
export class CacheService implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('Cache');
  private readonly memory = new MemoryTier();
  private readonly tiers = { memory: { hits: 0, misses: 0 }, shared: { hits: 0, misses: 0 } };
  private errors = 0;
  /** How long the shared store keeps a value: CACHE_TTL_SECONDS. */
  private readonly ttlMs: number;
  private readonly memoryTtlMs: number;
  /** Shared-store writes are off when processes could not invalidate each other (WORKERS > 1 without Redis). */
  private readonly sharedUsable: boolean;
  /** Bumped by every invalidation in this process: a load that spans one is not written back. */
  private invalidations = 0;
  private readonly pending = new Set<string>();
  private pendingAll = false;
  private retrying?: NodeJS.Timeout;

  constructor(
    private readonly store: CacheRepository,
    @Inject(cacheConfig.KEY) config: ConfigType<typeof cacheConfig>,
  ) {
    this.ttlMs = config.ttlSeconds * 1000;
    this.memoryTtlMs = config.memoryTtlSeconds * 1000;
    this.sharedUsable = store.backend === 'redis' || !cluster.isWorker;
    if (!this.sharedUsable) {
      this.logger.warn('WORKERS > 1 without REDIS_URL: caching is off, as one worker could not invalidate the others');
    }
  }

  async onModuleInit(): Promise<void> {
    await this.store.subscribe(
      (eviction) => ('key' in eviction ? this.memory.evict(eviction.key) : this.memory.evictPrefix(eviction.prefix)),
      () => this.memory.clear(), // back after a gap: evictions may have been missed
    );
  }

  onApplicationShutdown(): void {
    clearTimeout(this.retrying);
  }

  get backend(): CacheBackend {
    return this.store.backend;
  }

  /**
   * The cached value, else `load()`'s result, cached unless null or undefined. A value loaded while an
   * invalidation of its key ran (here, or on another process through the tombstone) is returned to
   * this caller but not cached.
   */
  async remember<T>(key: string, load: () => Promise<T | null | undefined>, options: RememberOptions = {}): Promise<T | null> {
    const useMemory = options.memory === true && this.sharedUsable && this.store.hearsEvictions;
    const generation = this.memory.generation;
    if (useMemory) {
      const local = this.memory.get(key);
      if (local !== undefined) {
        this.tiers.memory.hits++;
        return local as T;
      }
      this.tiers.memory.misses++;
    }

    const trusted = this.trusted(key);
    const shared = trusted ? await this.read(key) : undefined;
    if (shared !== undefined && !isTombstone(shared)) {
      this.tiers.shared.hits++;
      if (useMemory) this.memory.set(key, shared, this.memoryTtlMs, generation);
      return shared as T;
    }
    this.tiers.shared.misses++;

    const invalidations = this.invalidations;
    const value = await load();
    if (value === null || value === undefined) return null;
    assertCacheable(value);
    if (!trusted || isTombstone(shared) || this.invalidations !== invalidations) return value;
    // another process may have invalidated the key while this one loaded
    if (this.store.backend === 'redis' && isTombstone(await this.read(key))) return value;
    await this.write(key, value, this.ttlMs);
    if (useMemory) this.memory.set(key, value, this.memoryTtlMs, generation);
    return value;
  }

  /** Invalidates one key in every tier and process; true when the shared store held a value. */
  async forget(key: string): Promise<boolean> {
    const { deleted } = await this.invalidate({ key }, false);
    return deleted > 0;
  }

  /** Invalidates every key that starts with `prefix`; returns how many the shared store held. */
  async forgetPrefix(prefix: string): Promise<number> {
    if (prefix.length === 0) throw new Error('forgetPrefix needs a non-empty prefix');
    return (await this.invalidate({ prefix }, false)).deleted;
  }

  /** The admin endpoint: like forget/forgetPrefix, but an invalidation Redis could not complete is a 503. */
  async invalidateOrFail(eviction: Eviction): Promise<number> {
    const { deleted, complete } = await this.invalidate(eviction, true);
    if (!complete) {
      throw new ProblemException(HttpStatus.SERVICE_UNAVAILABLE, {
        detail:
          'The cache could not complete the invalidation (Redis did not answer); it is retried in the background. Retry shortly.',
        headers: OUTAGE_RETRY_AFTER,
      });
    }
    return deleted;
  }

  stats(): CacheStats {
    const { memory, shared } = this.tiers;
    const hits = memory.hits + shared.hits;
    const misses = shared.misses;
    return {
      backend: this.store.backend,
      hits,
      misses,
      hit_ratio: hits + misses === 0 ? 0 : Math.round((hits / (hits + misses)) * 10_000) / 10_000,
      errors: this.errors,
      tiers: { memory: { ...memory }, shared: { ...shared } },
    };
  }

  private async invalidate(eviction: Eviction, strict: boolean): Promise<{ deleted: number; complete: boolean }> {
    this.invalidations++;
    if ('key' in eviction) this.memory.evict(eviction.key);
    else this.memory.evictPrefix(eviction.prefix);
    let deleted = 0;
    let complete = true;
    try {
      deleted = await this.applyShared(eviction);
    } catch (error) {
      if (!(error instanceof CacheUnavailable)) throw error;
      this.errors++;
      complete = false;
      this.addPending(eviction);
    }
    try {
      await this.store.publish(eviction);
    } catch {
      // other processes keep their copy at most CACHE_MEMORY_TTL_SECONDS, and drop all on reconnecting
      this.errors++;
      if (strict) complete = false;
    }
    return { deleted, complete };
  }

  /** A key is replaced by a tombstone (so concurrent loads elsewhere do not write it back); a prefix is deleted. */
  private async applyShared(eviction: Eviction): Promise<number> {
    if ('prefix' in eviction) return this.store.deletePrefix(eviction.prefix);
    const current = await this.store.get(eviction.key);
    await this.store.set(eviction.key, TOMBSTONE, TOMBSTONE_TTL_MS);
    return current !== undefined && !isTombstone(current) ? 1 : 0;
  }

  private addPending(eviction: Eviction): void {
    if (this.pending.size >= MAX_PENDING) {
      this.pendingAll = true;
      this.pending.clear();
    } else if (!this.pendingAll) {
      this.pending.add('key' in eviction ? `k:${eviction.key}` : `p:${eviction.prefix}`);
    }
    this.retrying ??= setTimeout(() => void this.retryPending(), RETRY_MS).unref();
  }

  /** Applies the invalidations Redis missed; runs in the background, never on a reader's path. */
  private async retryPending(): Promise<void> {
    this.retrying = undefined;
    try {
      if (this.pendingAll) {
        await this.store.deletePrefix('');
        this.pendingAll = false;
        this.logger.warn('Redis is back after invalidations were lost: flushed the cache');
      }
      for (const entry of [...this.pending]) {
        await this.applyShared(entry.startsWith('k:') ? { key: entry.slice(2) } : { prefix: entry.slice(2) });
        this.pending.delete(entry);
      }
    } catch {
      this.errors++;
    }
    if (this.pendingAll || this.pending.size > 0) this.retrying = setTimeout(() => void this.retryPending(), RETRY_MS).unref();
  }

  /** False when Redis may still hold a value an invalidation could not remove. */
  private trusted(key: string): boolean {
    if (!this.sharedUsable || this.pendingAll) return false;
    if (this.pending.size === 0) return true;
    if (this.pending.has(`k:${key}`)) return false;
    for (const entry of this.pending) if (entry.startsWith('p:') && key.startsWith(entry.slice(2))) return false;
    return true;
  }

  private async read(key: string): Promise<unknown> {
    try {
      return await this.store.get(key);
    } catch (error) {
      if (!(error instanceof CacheUnavailable)) throw error;
      this.errors++;
      return undefined;
    }
  }

  private async write(key: string, value: unknown, ttl: number): Promise<void> {
    try {
      await this.store.set(key, value, ttl);
    } catch (error) {
      if (!(error instanceof CacheUnavailable)) throw error;
      this.errors++;
    }
  }
}

function isTombstone(value: unknown): boolean {
  return typeof value === 'object' && value !== null && (value as { $invalidated?: unknown }).$invalidated === 1;
}

function assertCacheable(value: unknown): void {
  const type = typeof value;
  if (type === 'function' || type === 'symbol' || type === 'bigint')
    throw new TypeError(`only JSON values can be cached (got ${type})`);
}
