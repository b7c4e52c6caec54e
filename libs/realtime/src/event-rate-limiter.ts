export type RateVerdict = 'ok' | 'limited' | 'abusive';

/**
 * Fixed-window budget for one socket's events: up to `limit` per window pass, the next ones are
 * refused, and past `abuse` the caller should drop the socket. Pure: the clock is passed in.
 */
export class EventRateLimiter {
  private windowStart = -Infinity;
  private count = 0;

  constructor(
    private readonly limit: number,
    private readonly abuse: number,
    private readonly windowMs: number,
  ) {}

  hit(now: number): RateVerdict {
    if (now - this.windowStart >= this.windowMs) {
      this.windowStart = now;
      this.count = 0;
    }
    this.count++;
    if (this.count <= this.limit) return 'ok';
    return this.count > this.abuse ? 'abusive' : 'limited';
  }
}
