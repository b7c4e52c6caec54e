import { Injectable } from '@nestjs/common';
import type { ThrottlerStorage } from '@nestjs/throttler';
import { Counters } from './counters.service.js';

/** What @nestjs/throttler expects back; times in seconds. */
export interface ThrottlerRecord {
  totalHits: number;
  timeToExpire: number;
  isBlocked: boolean;
  timeToBlockExpire: number;
}

/**
 * @nestjs/throttler's storage on the shared counters: a fixed window per client, refused until the window
 * ends once its limit is reached (the refused requests are not counted). `blockDuration` is not used:
 * every throttler here refuses until its window ends.
 */
@Injectable()
export class ThrottlerCounterStorage implements ThrottlerStorage {
  constructor(private readonly counters: Counters) {}

  async increment(
    key: string,
    ttl: number,
    limit: number,
    _blockDuration: number,
    throttlerName: string,
  ): Promise<ThrottlerRecord> {
    const taken = await this.counters.take('throttler', [{ key: `throttle:${throttlerName}:${key}`, limit }], ttl);
    const seconds = Math.max(1, Math.ceil(taken.resetMs / 1000));
    return {
      totalHits: taken.ok ? taken.counts[0] : limit + 1,
      timeToExpire: seconds,
      isBlocked: !taken.ok,
      timeToBlockExpire: taken.ok ? 0 : seconds,
    };
  }
}
