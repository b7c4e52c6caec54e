export type Permit = { ok: true; release(): void } | { ok: false; reason: 'overloaded' | 'cancelled' };

interface Waiter {
  grant(): void;
  settled: boolean;
}

// Weight of the newest latency sample in the moving average used to predict queue waits.
const LATENCY_SMOOTHING = 0.3;

/**
 * At most `max` provider calls in flight per process. Unlike a plain semaphore, a waiter never
 * sleeps past its deadline: it is turned away at once when the queue is full or the predicted wait
 * (queue rounds × average call latency) already exceeds its budget, and leaves the queue when its
 * deadline passes or its caller goes away.
 */
export class ConcurrencyLimiter {
  private active = 0;
  private readonly waiters: Waiter[] = [];
  private averageLatencyMs = 0;

  constructor(
    readonly max: number,
    readonly maxWaiters: number,
  ) {}

  get inFlight(): number {
    return this.active;
  }

  get queued(): number {
    return this.waiters.length;
  }

  /** Feeds the wait prediction with how long a finished provider call took. */
  observe(latencyMs: number): void {
    this.averageLatencyMs =
      this.averageLatencyMs === 0 ? latencyMs : this.averageLatencyMs + LATENCY_SMOOTHING * (latencyMs - this.averageLatencyMs);
  }

  acquire(deadline: number, signal?: AbortSignal, now = Date.now()): Promise<Permit> {
    if (signal?.aborted) return Promise.resolve({ ok: false, reason: 'cancelled' });
    if (this.active < this.max && this.waiters.length === 0) {
      this.active++;
      return Promise.resolve(this.permit());
    }
    const budget = deadline - now;
    const rounds = Math.ceil((this.waiters.length + 1) / this.max);
    if (this.waiters.length >= this.maxWaiters || budget <= 0 || rounds * this.averageLatencyMs > budget) {
      return Promise.resolve({ ok: false, reason: 'overloaded' });
    }
    return new Promise<Permit>((resolve) => {
      const leave = (reason: 'overloaded' | 'cancelled'): void => {
        if (waiter.settled) return;
        waiter.settled = true;
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        cleanup();
        resolve({ ok: false, reason });
      };
      const onAbort = (): void => leave('cancelled');
      const timer = setTimeout(() => leave('overloaded'), budget);
      const cleanup = (): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
      };
      const waiter: Waiter = {
        settled: false,
        grant: () => {
          waiter.settled = true;
          cleanup();
          resolve(this.permit());
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(waiter);
    });
  }

  private permit(): Permit {
    let released = false;
    return {
      ok: true,
      release: () => {
        if (released) return;
        released = true;
        const next = this.waiters.shift();
        // the slot passes straight to the next waiter, so `active` does not change
        if (next) next.grant();
        else this.active--;
      },
    };
  }
}
