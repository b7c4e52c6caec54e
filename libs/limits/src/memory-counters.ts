/** One counter to check, with its ceiling (Infinity: counted, never refused). */
export interface Claim {
  key: string;
  limit: number;
}

export interface Taken {
  ok: boolean;
  /** The first claim that was full (when refused), else -1. */
  full: number;
  /** Each claim's count after this call (before it, when refused). */
  counts: number[];
  /** Milliseconds until the first claim's window ends. */
  resetMs: number;
  /** Who counted: Redis (shared by every process) or this process's memory. */
  store: 'redis' | 'memory';
}

interface Counter {
  count: number;
  /** Epoch ms; Infinity for a gauge. */
  resetAt: number;
}

const MAX_COUNTERS = 100_000;

/**
 * The counters of one process, with the semantics of the Redis script: a take adds to every counter
 * when each stays within its limit, or to none; a window starts at a counter's first count. Used
 * alone for per-process limits, and as the fallback when Redis cannot answer.
 */
export class MemoryCounters {
  private readonly counters = new Map<string, Counter>();

  take(claims: Claim[], amount: number, windowMs: number, now = Date.now()): Taken {
    const current = claims.map(({ key }) => this.live(key, now));
    const counts = current.map((c) => c?.count ?? 0);
    const first = current[0];
    const resetMs = first && Number.isFinite(first.resetAt) ? first.resetAt - now : windowMs;
    const full = claims.findIndex((claim, i) => counts[i] + amount > claim.limit);
    if (full >= 0) return { ok: false, full, counts, resetMs, store: 'memory' };
    claims.forEach(({ key }, i) => {
      const counter = current[i] ?? this.create(key, windowMs > 0 ? now + windowMs : Infinity, now);
      counter.count += amount;
      counts[i] = counter.count;
    });
    return { ok: true, full: -1, counts, resetMs, store: 'memory' };
  }

  give(keys: string[], amount: number, now = Date.now()): void {
    for (const key of keys) {
      const counter = this.live(key, now);
      if (!counter) continue;
      counter.count -= amount;
      if (counter.count <= 0) this.counters.delete(key);
    }
  }

  reset(keys: string[]): void {
    for (const key of keys) this.counters.delete(key);
  }

  count(key: string, now = Date.now()): number {
    return this.live(key, now)?.count ?? 0;
  }

  /** Gauges this process holds, key → count (what the heartbeat re-asserts in Redis). */
  snapshot(): Map<string, number> {
    return new Map([...this.counters].map(([key, counter]) => [key, counter.count]));
  }

  private live(key: string, now: number): Counter | undefined {
    const counter = this.counters.get(key);
    if (counter && counter.resetAt <= now) {
      this.counters.delete(key);
      return undefined;
    }
    return counter;
  }

  private create(key: string, resetAt: number, now: number): Counter {
    if (this.counters.size >= MAX_COUNTERS) this.sweep(now);
    const counter = { count: 0, resetAt };
    this.counters.set(key, counter);
    return counter;
  }

  /** Drops ended windows; if that frees nothing, the oldest counter (memory stays bounded under a flood of keys). */
  private sweep(now: number): void {
    for (const [key, counter] of this.counters) if (counter.resetAt <= now) this.counters.delete(key);
    if (this.counters.size >= MAX_COUNTERS) this.counters.delete(this.counters.keys().next().value as string);
  }
}
