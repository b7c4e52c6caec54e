import { MemoryCounters } from './memory-counters.js';

describe('MemoryCounters', () => {
  const t0 = 1_000_000;

  it('counts a window from its first hit and refuses past the limit until it ends', () => {
    const counters = new MemoryCounters();
    const claim = [{ key: 'k', limit: 2 }];
    expect(counters.take(claim, 1, 60_000, t0)).toEqual({ ok: true, full: -1, counts: [1], resetMs: 60_000, store: 'memory' });
    expect(counters.take(claim, 1, 60_000, t0 + 1000)).toEqual({
      ok: true,
      full: -1,
      counts: [2],
      resetMs: 59_000,
      store: 'memory',
    });
    expect(counters.take(claim, 1, 60_000, t0 + 2000)).toEqual({
      ok: false,
      full: 0,
      counts: [2],
      resetMs: 58_000,
      store: 'memory',
    });
    expect(counters.take(claim, 1, 60_000, t0 + 60_000)).toMatchObject({ ok: true, counts: [1] });
  });

  it('takes from every counter or from none, and names the first that was full', () => {
    const counters = new MemoryCounters();
    const claims = [
      { key: 'global', limit: 10 },
      { key: 'user', limit: 1 },
    ];
    expect(counters.take(claims, 1, 1000, t0).ok).toBe(true);
    expect(counters.take(claims, 1, 1000, t0)).toMatchObject({ ok: false, full: 1, counts: [1, 1] });
    expect(counters.count('global', t0)).toBe(1);
  });

  it('gives back, forgets a count that reaches zero, and resets', () => {
    const counters = new MemoryCounters();
    counters.take([{ key: 'a', limit: 5 }], 2, 1000, t0);
    counters.give(['a'], 1, t0);
    expect(counters.count('a', t0)).toBe(1);
    counters.give(['a'], 1, t0);
    expect(counters.snapshot().has('a')).toBe(false);
    counters.take([{ key: 'a', limit: 5 }], 3, 1000, t0);
    counters.reset(['a']);
    expect(counters.count('a', t0)).toBe(0);
  });

  it('keeps a gauge (window 0) until it is given back', () => {
    const counters = new MemoryCounters();
    expect(counters.take([{ key: 'g', limit: 1 }], 1, 0, t0).ok).toBe(true);
    expect(counters.take([{ key: 'g', limit: 1 }], 1, 0, t0 + 10 ** 9).ok).toBe(false);
    counters.give(['g'], 1);
    expect(counters.take([{ key: 'g', limit: 1 }], 1, 0, t0).ok).toBe(true);
  });

  it('stays bounded under a flood of keys', () => {
    const counters = new MemoryCounters();
    for (let i = 0; i < 100_010; i++) counters.take([{ key: `k${i}`, limit: 1 }], 1, 60_000, t0);
    expect(counters.snapshot().size).toBeLessThanOrEqual(100_000);
  });
});
