const DEFAULT_PAUSE_MS = 1000;

/**
 * After a Redis failure, callers skip Redis for a short pause: a slow server then costs one
 * timeout per pause instead of one per request. The next call after the pause probes it again.
 */
export class RedisBreaker {
  private openUntil = 0;

  constructor(private readonly pauseMs = DEFAULT_PAUSE_MS) {}

  get isOpen(): boolean {
    return Date.now() < this.openUntil;
  }

  trip(): void {
    this.openUntil = Date.now() + this.pauseMs;
  }

  reset(): void {
    this.openUntil = 0;
  }
}
