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
    const a = granted(await limiter.acquire('u', far));
    const b = granted(await limiter.acquire('u', far));
    const order: string[] = [];
    const c = limiter.acquire('u', far).then((p) => (order.push('c'), granted(p)));
    const d = limiter.acquire('u', far).then((p) => (order.push('d'), granted(p)));
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
    granted(await limiter.acquire('u', far));
    const queued = [limiter.acquire('u', far, waiters.signal), limiter.acquire('u', far, waiters.signal)];
    expect(await limiter.acquire('u', far)).toEqual({ ok: false, reason: 'overloaded' });
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
    granted(await limiter.acquire('u', now + 1000, undefined, now));
    const queued = limiter.acquire('u', now + 1000, waiter.signal, now); // one round of 600 ms fits in 1000
    expect(await limiter.acquire('u', now + 1000, undefined, now)).toEqual({ ok: false, reason: 'overloaded' }); // two do not
    expect(limiter.queued).toBe(1);
    waiter.abort();
    expect(await queued).toEqual({ ok: false, reason: 'cancelled' });
  });

  it('lets a waiter go when its deadline passes, and when its caller aborts', async () => {
    jest.useFakeTimers({ now: 0 });
    const limiter = new ConcurrencyLimiter(1, 10);
    granted(await limiter.acquire('u', 60_000));
    const late = limiter.acquire('u', 500);
    const controller = new AbortController();
    const leaving = limiter.acquire('u', 60_000, controller.signal);
    expect(limiter.queued).toBe(2);
    jest.advanceTimersByTime(500);
    expect(await late).toEqual({ ok: false, reason: 'overloaded' });
    controller.abort();
    expect(await leaving).toEqual({ ok: false, reason: 'cancelled' });
    expect(limiter.queued).toBe(0);
    expect(await limiter.acquire('u', 60_000, AbortSignal.abort())).toEqual({ ok: false, reason: 'cancelled' });
  });

  it("serves waiting users in turn, so one user's burst delays another by one call at most", async () => {
    const limiter = new ConcurrencyLimiter(2, 40, 2);
    const far = Date.now() + 60_000;
    const flood = [granted(await limiter.acquire('a', far)), granted(await limiter.acquire('a', far))];
    const order: string[] = [];
    const gone = new AbortController();
    const queued = Array.from({ length: 10 }, (_, i) =>
      limiter.acquire('a', far, gone.signal).then((p) => (order.push(`a${i}`), p)),
    );
    const other = limiter.acquire('b', far).then((p) => (order.push('b'), granted(p)));
    expect(limiter.queued).toBe(11);
    flood[0]();
    const releaseB = await other;
    expect(order).toEqual(['b']); // the freed slot went to b, not to a's older waiters
    flood[1]();
    await queued[0];
    expect(order).toEqual(['b', 'a0']);
    releaseB();
    gone.abort();
    await Promise.all(queued);
  });

  it("caps one user's calls in flight while others still get the free slots", async () => {
    const limiter = new ConcurrencyLimiter(5, 20, 2);
    const far = Date.now() + 60_000;
    granted(await limiter.acquire('a', far));
    granted(await limiter.acquire('a', far));
    const third = limiter.acquire('a', far, AbortSignal.timeout(50));
    expect(limiter.inFlight).toBe(2);
    expect(limiter.queued).toBe(1);
    granted(await limiter.acquire('b', far)); // b is not held back by a's queue
    expect(limiter.inFlight).toBe(3);
    expect(await third).toEqual({ ok: false, reason: 'cancelled' });
  });

  it("keeps room in the queue for others: one user's waiters are capped below the whole queue", async () => {
    const limiter = new ConcurrencyLimiter(1, 4, 1, 2);
    const far = Date.now() + 60_000;
    const gone = new AbortController();
    const release = granted(await limiter.acquire('a', far));
    const queued = [limiter.acquire('a', far, gone.signal), limiter.acquire('a', far, gone.signal)];
    expect(await limiter.acquire('a', far)).toEqual({ ok: false, reason: 'overloaded' });
    const other = limiter.acquire('b', far); // still room: b queues behind a's two
    expect(limiter.queued).toBe(3);
    release();
    const releaseA = granted(await queued[0]);
    gone.abort();
    releaseA();
    granted(await other)();
    expect(await queued[1]).toEqual({ ok: false, reason: 'cancelled' });
  });
});
