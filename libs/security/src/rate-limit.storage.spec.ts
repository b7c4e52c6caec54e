import { jest } from '@jest/globals';
import { MemoryCounters, RateLimitStorage, type SharedRateLimitCounters } from './rate-limit.storage.js';

describe('MemoryCounters', () => {
  it('counts a fixed window and refuses past the limit until the window ends', () => {
    const counters = new MemoryCounters();
    const t0 = 1_000_000;
    expect(counters.increment('k', 60_000, 2, 0, t0)).toEqual([1, 60_000, 0, 0]);
    expect(counters.increment('k', 60_000, 2, 0, t0 + 1000)).toEqual([2, 59_000, 0, 0]);
    expect(counters.increment('k', 60_000, 2, 0, t0 + 2000)).toEqual([3, 58_000, 1, 58_000]);
    expect(counters.increment('k', 60_000, 2, 0, t0 + 60_000)).toEqual([1, 60_000, 0, 0]);
  });

  it('with a block duration, blocks for that long and then starts a fresh window', () => {
    const counters = new MemoryCounters();
    const t0 = 1_000_000;
    counters.increment('k', 10_000, 1, 30_000, t0);
    expect(counters.increment('k', 10_000, 1, 30_000, t0 + 1)).toEqual([2, 30_000, 1, 30_000]);
    expect(counters.increment('k', 10_000, 1, 30_000, t0 + 20_000)).toEqual([2, 10_001, 1, 10_001]);
    expect(counters.increment('k', 10_000, 1, 30_000, t0 + 30_001)).toEqual([1, 10_000, 0, 0]);
  });

  it('keeps keys apart and sweeps expired windows', () => {
    const counters = new MemoryCounters();
    counters.increment('a', 1000, 1, 0, 0);
    expect(counters.increment('b', 1000, 1, 0, 0)[0]).toBe(1);
    counters.sweep(2000);
    expect(counters.increment('a', 1000, 1, 0, 2000)[0]).toBe(1);
  });
});

describe('RateLimitStorage', () => {
  it('converts to seconds for the throttler', async () => {
    const storage = new RateLimitStorage(null);
    await expect(storage.increment('1.2.3.4', 60_000, 1, 0, 'default')).resolves.toEqual({
      totalHits: 1,
      timeToExpire: 60,
      isBlocked: false,
      timeToBlockExpire: 0,
    });
    storage.onApplicationShutdown();
  });

  it('uses the shared counters and fails open to memory (counted) when they reject', async () => {
    let up = true;
    const shared: SharedRateLimitCounters = {
      increment: jest.fn(async () => {
        if (!up) throw new Error('down');
        return [7, 30_000, 0, 0];
      }),
    };
    const storage = new RateLimitStorage(shared);
    expect(storage.backend).toBe('redis');
    expect((await storage.increment('ip', 60_000, 10, 0, 'default')).totalHits).toBe(7);
    expect(shared.increment).toHaveBeenCalledWith('default:ip', 60_000, 10, 0);
    up = false;
    expect(await storage.increment('ip', 60_000, 1, 0, 'default')).toMatchObject({ totalHits: 1, isBlocked: false });
    expect(await storage.increment('ip', 60_000, 1, 0, 'default')).toMatchObject({ totalHits: 2, isBlocked: true });
    expect(storage.errors).toBe(2);
    storage.onApplicationShutdown();
  });
});
