import { Inject, Injectable, Optional, type OnApplicationShutdown } from '@nestjs/common';
import type { ThrottlerStorage } from '@nestjs/throttler';

/** What @nestjs/throttler expects back; times in seconds. */
export interface RateLimitRecord {
  totalHits: number;
  timeToExpire: number;
  isBlocked: boolean;
  timeToBlockExpire: number;
}

/**
 * Counters shared by every worker and replica (Redis), provided by @gad/cache when REDIS_URL is set.
 * `increment` follows MemoryCounters' algorithm and returns [hits, window ms left, blocked 0/1,
 * block ms left]; it rejects, quickly, when the backend cannot answer.
 */
export interface SharedRateLimitCounters {
  increment(id: string, ttlMs: number, limit: number, blockMs: number): Promise<number[]>;
}

export const SHARED_RATE_LIMIT_COUNTERS = Symbol('SHARED_RATE_LIMIT_COUNTERS');

const SWEEP_INTERVAL_MS = 60_000;

/**
 * The throttler's storage: shared counters when configured, else this process's memory. Fails open:
 * when the shared backend errors or is slow, the request is counted in memory instead, so limits
 * still hold per process and the API stays up. (The backend logs; this counts.)
 */
@Injectable()
export class RateLimitStorage implements ThrottlerStorage, OnApplicationShutdown {
  /** Requests counted in memory because the shared backend could not answer. */
  errors = 0;
  private readonly memory = new MemoryCounters();
  private readonly sweeper: NodeJS.Timeout;

  constructor(@Optional() @Inject(SHARED_RATE_LIMIT_COUNTERS) private readonly shared?: SharedRateLimitCounters | null) {
    this.sweeper = setInterval(() => this.memory.sweep(), SWEEP_INTERVAL_MS);
    this.sweeper.unref();
  }

  get backend(): 'redis' | 'memory' {
    return this.shared ? 'redis' : 'memory';
  }

  async increment(
    key: string,
    ttl: number,
    limit: number,
    blockDuration: number,
    throttlerName: string,
  ): Promise<RateLimitRecord> {
    const id = `${throttlerName}:${key}`;
    if (this.shared) {
      try {
        return toRecord(await this.shared.increment(id, ttl, limit, blockDuration));
      } catch {
        this.errors++;
      }
    }
    return toRecord(this.memory.increment(id, ttl, limit, blockDuration));
  }

  onApplicationShutdown(): void {
    clearInterval(this.sweeper);
  }
}

function toRecord([hits, ttlMs, blocked, blockMs]: number[]): RateLimitRecord {
  return {
    totalHits: Number(hits),
    timeToExpire: Math.ceil(Number(ttlMs) / 1000),
    isBlocked: Number(blocked) === 1,
    timeToBlockExpire: Math.ceil(Number(blockMs) / 1000),
  };
}

/**
 * Fixed window per key. With a block duration, going over the limit blocks the key for that long and
 * starts a fresh window afterwards; without one, the key is refused until its window ends.
 */
export class MemoryCounters {
  private readonly windows = new Map<string, { hits: number; resetAt: number }>();
  private readonly blocks = new Map<string, number>();

  increment(id: string, ttl: number, limit: number, block: number, now = Date.now()): number[] {
    const blockedUntil = this.blocks.get(id) ?? 0;
    if (block > 0 && blockedUntil > now) return [limit + 1, blockedUntil - now, 1, blockedUntil - now];
    let window = this.windows.get(id);
    if (!window || window.resetAt <= now) {
      window = { hits: 0, resetAt: now + ttl };
      this.windows.set(id, window);
    }
    window.hits += 1;
    const left = window.resetAt - now;
    if (window.hits <= limit) return [window.hits, left, 0, 0];
    if (block > 0) {
      this.blocks.set(id, now + block);
      this.windows.delete(id);
      return [window.hits, block, 1, block];
    }
    return [window.hits, left, 1, left];
  }

  sweep(now = Date.now()): void {
    for (const [id, window] of this.windows) if (window.resetAt <= now) this.windows.delete(id);
    for (const [id, until] of this.blocks) if (until <= now) this.blocks.delete(id);
  }
}
