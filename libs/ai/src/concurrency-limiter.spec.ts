import { jest } from '@jest/globals';
import { ConcurrencyLimiter, type Permit } from './concurrency-limiter.js';

const granted = (permit: Permit): (() => void) => {
  if (!permit.ok) throw new Error(`expected a permit, got ${permit.reason}`);
  return permit.release;
};

describe('ConcurrencyLimiter', () => {
  afterEach(() => jest.useRealTimers());

  it('admits up to max at once and hands each freed slot to the oldest waiter', async () => {
    const limiter = new ConcurrencyLimiter(2, 8);
    const far = Date.now() + 60_000;
    const a = granted(await limiter.acquire(far));
    const b = granted(await limiter.acquire(far));
    const order: string[] = [];
    const c = limiter.acquire(far).then((p) => (order.push('c'), granted(p)));
    const d = limiter.acquire(far).then((p) => (order.push('d'), granted(p)));
    expect(limiter.queued).toBe(2);
    a();
    a(); // releasing twice frees one slot only
    const releaseC = await c;
    expect(order).toEqual(['c']);
    expect(limiter.inFlight).toBe(2);
    b();
    releaseC();
    (await d)();
    expect(limiter.inFlight).toBe(0);
    expect(limiter.queued).toBe(0);
  });

  it('turns a waiter away at once when the queue is full', async () => {
    const limiter = new ConcurrencyLimiter(1, 2);
    const far = Date.now() + 60_000;
    const waiters = new AbortController();
    granted(await limiter.acquire(far));
    const queued = [limiter.acquire(far, waiters.signal), limiter.acquire(far, waiters.signal)];
    expect(await limiter.acquire(far)).toEqual({ ok: false, reason: 'overloaded' });
    waiters.abort(); // the queued callers go away: nothing is left waiting
    expect(await Promise.all(queued)).toEqual([
      { ok: false, reason: 'cancelled' },
      { ok: false, reason: 'cancelled' },
    ]);
  });

  it('turns a waiter away at once when the predicted wait exceeds its budget', async () => {
    const limiter = new ConcurrencyLimiter(1, 10);
    limiter.observe(600);
    const now = Date.now();
    const waiter = new AbortController();
    granted(await limiter.acquire(now + 1000, undefined, now));
    const queued = limiter.acquire(now + 1000, waiter.signal, now); // one round of 600 ms fits in 1000
    expect(await limiter.acquire(now + 1000, undefined, now)).toEqual({ ok: false, reason: 'overloaded' }); // two do not
    expect(limiter.queued).toBe(1);
    waiter.abort();
    expect(await queued).toEqual({ ok: false, reason: 'cancelled' });
  });

  it('lets a waiter go when its deadline passes, and when its caller aborts', async () => {
    jest.useFakeTimers({ now: 0 });
    const limiter = new ConcurrencyLimiter(1, 10);
    granted(await limiter.acquire(60_000));
    const late = limiter.acquire(500);
    const controller = new AbortController();
    const leaving = limiter.acquire(60_000, controller.signal);
    expect(limiter.queued).toBe(2);
    jest.advanceTimersByTime(500);
    expect(await late).toEqual({ ok: false, reason: 'overloaded' });
    controller.abort();
    expect(await leaving).toEqual({ ok: false, reason: 'cancelled' });
    expect(limiter.queued).toBe(0);
    expect(await limiter.acquire(60_000, AbortSignal.abort())).toEqual({ ok: false, reason: 'cancelled' });
  });
});
