export type Permit = { ok: true; release(): void } | { ok: false; reason: 'overloaded' | 'cancelled' };

interface Waiter {
  grant(): void;
  settled: boolean;
}

// Weight of the newest latency sample in the moving average used to predict queue waits.
const LATENCY_SMOOTHING = 0.3;

/**
 * At most `max` provider calls in flight per process, and at most `perParty` of one party (a user).
 * Waiters queue per party; a freed slot goes first to a waiting party with nothing in flight, so one
 * party's burst delays another's call by at most one call. A waiter never sleeps past its deadline: it is turned away at
 * once when the queue is full or the predicted wait (rounds × average call latency) exceeds its
 * budget, and leaves the queue when its deadline passes or its caller goes away.
 */
export class ConcurrencyLimiter {
  private active = 0;
  private waiting = 0;
  private readonly activeBy = new Map<string, number>();
  /** Waiting parties in the order they are served; a party goes to the back once served. */
  private readonly queues = new Map<string, Waiter[]>();
  private averageLatencyMs = 0;

  constructor(
    readonly max: number,
    readonly maxWaiters: number,
    readonly perParty: number = max,
    /** Waiters one party may have: below maxWaiters, so one party's burst cannot fill the queue. */
    readonly perPartyWaiters: number = maxWaiters,
  ) {}

  get inFlight(): number {
    return this.active;
  }

  get queued(): number {
    return this.waiting;
  }

  /** Feeds the wait prediction with how long a finished provider call took. */
  observe(latencyMs: number): void {
    this.averageLatencyMs =
      this.averageLatencyMs === 0 ? latencyMs : this.averageLatencyMs + LATENCY_SMOOTHING * (latencyMs - this.averageLatencyMs);
  }

  acquire(party: string, deadline: number, signal?: AbortSignal, now = Date.now()): Promise<Permit> {
    if (signal?.aborted) return Promise.resolve({ ok: false, reason: 'cancelled' });
    const own = this.queues.get(party);
    if (this.active < this.max && this.activeOf(party) < this.perParty && !own) {
      return Promise.resolve(this.start(party));
    }
    const budget = deadline - now;
    // rounds until served: its own earlier waiters, and one turn for each party queued ahead
    const rounds = Math.max(Math.ceil(((own?.length ?? 0) + 1) / this.perParty), Math.ceil((this.queues.size + 1) / this.max));
    const full = this.waiting >= this.maxWaiters || (own?.length ?? 0) >= this.perPartyWaiters;
    if (full || budget <= 0 || rounds * this.averageLatencyMs > budget) {
      return Promise.resolve({ ok: false, reason: 'overloaded' });
    }
    return new Promise<Permit>((resolve) => {
      const leave = (reason: 'overloaded' | 'cancelled'): void => {
        if (waiter.settled) return;
        waiter.settled = true;
        this.dequeue(party, waiter);
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
          resolve(this.start(party));
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      const queue = own ?? [];
      if (!own) this.queues.set(party, queue);
      queue.push(waiter);
      this.waiting++;
    });
  }

  private activeOf(party: string): number {
    return this.activeBy.get(party) ?? 0;
  }

  private start(party: string): Permit {
    this.active++;
    this.activeBy.set(party, this.activeOf(party) + 1);
    let released = false;
    return {
      ok: true,
      release: () => {
        if (released) return;
        released = true;
        this.active--;
        const left = this.activeOf(party) - 1;
        if (left > 0) this.activeBy.set(party, left);
        else this.activeBy.delete(party);
        this.serve();
      },
    };
  }

  /**
   * Hands free slots to waiting parties: first those with nothing in flight, in turn, then those
   * under their own cap; a party served goes to the back of the line.
   */
  private serve(): void {
    while (this.active < this.max) {
      const next = this.nextParty();
      if (!next) return;
      const [party, queue] = next;
      const waiter = queue[0];
      this.dequeue(party, waiter);
      if (this.queues.delete(party)) this.queues.set(party, queue);
      waiter.grant();
    }
  }

  private nextParty(): [string, Waiter[]] | undefined {
    let underCap: [string, Waiter[]] | undefined;
    for (const entry of this.queues) {
      const active = this.activeOf(entry[0]);
      if (active === 0) return entry;
      if (active < this.perParty) underCap ??= entry;
    }
    return underCap;
  }

  private dequeue(party: string, waiter: Waiter): void {
    const queue = this.queues.get(party);
    const index = queue?.indexOf(waiter) ?? -1;
    if (!queue || index < 0) return;
    queue.splice(index, 1);
    this.waiting--;
    if (queue.length === 0) this.queues.delete(party);
  }
}
