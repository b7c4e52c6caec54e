import { Inject, Injectable, Logger } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { httpConfig } from '@gad/config';
import { ThrottlerCounterStorage } from './throttler.storage.js';

/** The throttler every route gets: RATE_LIMIT_CALLS per RATE_LIMIT_PERIOD per client. */
export const DEFAULT_THROTTLER = 'default';

/** One budget per client across all routes (the library's default key is per route). */
export const throttleKey = (throttler: string, tracker: string): string => `${throttler}:${tracker}`;

// Entries kept at most; past it, expired ones go first, then the oldest.
const MAX_ENTRIES = 10_000;

/**
 * Client addresses this process has just answered 429, until their window resets: the HTTP edge
 * refuses their next bodies before reading them. The throttler guard stays the rule; this only
 * lets a throttled client's uploads cost nothing (each process learns on its own first refusal).
 * It also charges the requests the edge refuses after reading their body, which never reach the guard.
 */
@Injectable()
export class ThrottledClients {
  private readonly until = new Map<string, number>();
  private readonly logger = new Logger('RateLimit');
  private readonly limit: number;
  private readonly ttlMs: number;

  constructor(
    private readonly storage: ThrottlerCounterStorage,
    @Inject(httpConfig.KEY) http: ConfigType<typeof httpConfig>,
  ) {
    this.limit = http.rateLimitCalls;
    this.ttlMs = http.rateLimitPeriodSeconds * 1000;
  }

  /**
   * Counts a request the guard never saw against the client's budget (a body read, then refused as malformed):
   * otherwise such requests, the costliest to refuse, were free. Over the budget, its next bodies go unread.
   */
  async charge(tracker: string): Promise<void> {
    try {
      const key = throttleKey(DEFAULT_THROTTLER, tracker);
      const record = await this.storage.increment(key, this.ttlMs, this.limit, 0, DEFAULT_THROTTLER);
      if (record.isBlocked) this.block(tracker, record.timeToBlockExpire);
    } catch (error) {
      this.logger.warn(`could not charge a refused request: ${(error as Error).message}`);
    }
  }

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
