interface Entry {
  value: unknown;
  expiresAt: number;
}

const MAX_ENTRIES = 10_000;

/**
 * This process's copies of hot values, each kept for a short TTL. Evictions (of one key or a prefix)
 * bump a generation, so a value loaded while one arrived is not kept: it may already be stale.
 */
export class MemoryTier {
  private readonly entries = new Map<string, Entry>();
  private generationCount = 0;

  get generation(): number {
    return this.generationCount;
  }

  get(key: string, now = Date.now()): unknown {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt > now) return entry.value;
    this.entries.delete(key);
    return undefined;
  }

  /** Keeps `value` unless an eviction arrived since `loadedAt` (a generation). */
  set(key: string, value: unknown, ttlMs: number, loadedAt: number): void {
    if (loadedAt !== this.generationCount) return;
    if (!this.entries.has(key) && this.entries.size >= MAX_ENTRIES)
      this.entries.delete(this.entries.keys().next().value as string);
    this.entries.set(key, { value, expiresAt: Date.now() + ttlMs });
  }

  evict(key: string): void {
    this.generationCount++;
    this.entries.delete(key);
  }

  evictPrefix(prefix: string): void {
    this.generationCount++;
    for (const key of this.entries.keys()) if (key.startsWith(prefix)) this.entries.delete(key);
  }

  clear(): void {
    this.generationCount++;
    this.entries.clear();
  }
}
