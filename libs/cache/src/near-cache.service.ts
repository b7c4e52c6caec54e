import { Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import cluster from 'node:cluster';
import { AppConfig } from '@gad/config';
import { keyNamespace, RedisService, type RedisClient } from '@gad/redis';

const MAX_ENTRIES = 10_000;

interface Entry {
  value: unknown;
  expiresAt: number;
}

/**
 * An in-process tier in front of CacheService for hot, small values read on every request (who is
 * calling). Evictions are published on Redis, so every process drops its copy within milliseconds.
 * It serves nothing it cannot hear evictions for: while the subscription is down, or with several
 * workers and no Redis, every read goes to the shared tier.
 */
@Injectable()
export class NearCache implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('NearCache');
  private readonly entries = new Map<string, Entry>();
  private readonly channel: string;
  private subscriber?: RedisClient;
  private readonly usable: boolean;
  private evictions = 0;

  constructor(
    config: AppConfig,
    private readonly redis: RedisService,
  ) {
    this.channel = `${keyNamespace(config)}near-cache:evict`;
    this.usable = redis.enabled || !cluster.isWorker;
  }

  async onModuleInit(): Promise<void> {
    if (!this.redis.enabled) return;
    this.subscriber = await this.redis.duplicate();
    // a subscription that was down may have missed evictions: start over whenever it comes back
    this.subscriber.on('ready', () => {
      this.evictions += 1;
      this.entries.clear();
    });
    await this.subscriber
      .subscribe(this.channel, (key) => this.drop(key))
      .catch((error: unknown) => this.redis.reportError('near-cache', error));
  }

  private drop(key: string): void {
    this.evictions += 1;
    this.entries.delete(key);
  }

  onApplicationShutdown(): void {
    this.entries.clear();
  }

  /** True when a local copy may be served (evictions reach us). */
  get active(): boolean {
    return this.usable && (!this.redis.enabled || (this.subscriber?.isReady ?? false));
  }

  get<T>(key: string): T | undefined {
    if (!this.active) return undefined;
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= Date.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return entry.value as T;
  }

  /** Take before loading; pass to set(), which refuses a value loaded across an eviction. */
  get version(): number {
    return this.evictions;
  }

  set(key: string, value: unknown, ttlMs: number, loadedAt: number): void {
    if (!this.active || loadedAt !== this.evictions) return;
    if (this.entries.size >= MAX_ENTRIES) this.entries.delete(this.entries.keys().next().value as string);
    this.entries.set(key, { value, expiresAt: Date.now() + ttlMs });
  }

  /**
   * Read-through: this process's copy, else `load()` (usually the shared cache), kept here for `ttlMs`
   * unless it is null or undefined or an eviction arrived while it loaded.
   */
  async wrap<T>(key: string, ttlMs: number, load: () => Promise<T | null | undefined>): Promise<T | null> {
    const local = this.get<T>(key);
    if (local !== undefined) return local;
    const version = this.version;
    const value = await load();
    if (value === null || value === undefined) return null;
    this.set(key, value, ttlMs, version);
    return value;
  }

  /** Drops the key here and, through Redis, in every other process. */
  async evict(key: string): Promise<void> {
    this.drop(key);
    if (!this.redis.enabled) return;
    try {
      await this.redis.run((c) => c.publish(this.channel, key));
    } catch (error) {
      // others may keep a copy: the TTL bounds it, and a lost subscription clears everything on return
      this.redis.reportError('near-cache', error);
      this.logger.warn({ key }, 'eviction not published');
    }
  }
}
