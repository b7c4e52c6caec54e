import { Injectable } from '@nestjs/common';

// Entries kept at most; past it, expired ones go first, then the oldest.
const MAX_ENTRIES = 10_000;

/**
 * Client addresses this process has just answered 429, until their window resets: the HTTP edge
 * refuses their next bodies before reading them. The throttler guard stays the rule; this only
 * lets a throttled client's uploads cost nothing (each process learns on its own first refusal).
 */
@Injectable()
export class ThrottledClients {
  private readonly until = new Map<string, number>();

  block(tracker: string, seconds: number, now = Date.now()): void {
    if (this.until.size >= MAX_ENTRIES) this.prune(now);
    this.until.delete(tracker);
    this.until.set(tracker, now + seconds * 1000);
  }

  /** Seconds until this client may send again; 0 when it is not throttled here. */
  retryAfter(tracker: string, now = Date.now()): number {
    const until = this.until.get(tracker);
    if (until === undefined) return 0;
    if (until <= now) {
      this.until.delete(tracker);
      return 0;
    }
    return Math.ceil((until - now) / 1000);
  }

  private prune(now: number): void {
    for (const [tracker, until] of this.until) if (until <= now) this.until.delete(tracker);
    for (const tracker of this.until.keys()) {
      if (this.until.size < MAX_ENTRIES) break;
      this.until.delete(tracker);
    }
  }
}
