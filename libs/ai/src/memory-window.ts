export interface WindowLimit {
  key: string;
  limit: number;
}

interface Entry {
  at: number;
  member: string;
}

/**
 * Sliding windows in process memory: the fallback when Redis is absent or failing. Empty keys are
 * swept once per window, so memory stays bounded by the limits times the active keys.
 */
export class MemoryWindow {
  private readonly entries = new Map<string, Entry[]>();
  private lastSweep = 0;

  constructor(private readonly windowMs: number) {}

  /** Records `member` under every key when all are below their limit; else returns the 1-based index of the first full one. */
  tryAcquire(limits: WindowLimit[], member: string, now = Date.now()): number {
    this.sweep(now);
    for (const [index, { key, limit }] of limits.entries()) {
      if (this.live(key, now).length >= limit) return index + 1;
    }
    this.record(
      limits.map((l) => l.key),
      member,
      now,
    );
    return 0;
  }

  /** Records without checking (mirrors what Redis admitted, so a failover starts from recent history). */
  record(keys: string[], member: string, now = Date.now()): void {
    for (const key of keys) {
      const list = this.live(key, now);
      list.push({ at: now, member });
      this.entries.set(key, list);
    }
  }

  release(keys: string[], member: string): void {
    for (const key of keys) {
      const list = this.entries.get(key);
      if (!list) continue;
      const index = list.findIndex((e) => e.member === member);
      if (index >= 0) list.splice(index, 1);
      if (list.length === 0) this.entries.delete(key);
    }
  }

  count(key: string, now = Date.now()): number {
    return this.live(key, now).length;
  }

  get size(): number {
    return this.entries.size;
  }

  private live(key: string, now: number): Entry[] {
    const list = this.entries.get(key) ?? [];
    let expired = 0;
    while (expired < list.length && list[expired].at <= now - this.windowMs) expired++;
    if (expired > 0) list.splice(0, expired);
    return list;
  }

  private sweep(now: number): void {
    if (now - this.lastSweep < this.windowMs) return;
    this.lastSweep = now;
    for (const key of [...this.entries.keys()]) {
      if (this.live(key, now).length === 0) this.entries.delete(key);
    }
  }
}
