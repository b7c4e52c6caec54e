import { MemoryWindow } from './memory-window.js';

describe('MemoryWindow', () => {
  const global = { key: 'global', limit: 3 };
  const user = { key: 'user:1', limit: 2 };

  it('admits up to the limit within the window and again once the oldest entry slides out', () => {
    const window = new MemoryWindow(60_000);
    expect([0, 1, 2].map((i) => window.tryAcquire([global], `m${i}`, 1000 + i))).toEqual([0, 0, 0]);
    expect(window.tryAcquire([global], 'm3', 30_000)).toBe(1);
    expect(window.tryAcquire([global], 'm4', 60_999)).toBe(1);
    expect(window.tryAcquire([global], 'm5', 61_000)).toBe(0); // the first entry is now 60 s old: out
    expect(window.count('global', 61_000)).toBe(3);
  });

  it('records in every key or in none, and reports which key is full', () => {
    const window = new MemoryWindow(60_000);
    expect(window.tryAcquire([global, user], 'a', 0)).toBe(0);
    expect(window.tryAcquire([global, user], 'b', 1)).toBe(0);
    expect(window.tryAcquire([global, user], 'c', 2)).toBe(2);
    expect(window.count('global', 2)).toBe(2); // the refused call took no global slot
    expect(window.tryAcquire([global, { key: 'user:2', limit: 2 }], 'd', 3)).toBe(0);
    expect(window.tryAcquire([global, { key: 'user:3', limit: 2 }], 'e', 4)).toBe(1);
  });

  it('gives a slot back on release', () => {
    const window = new MemoryWindow(60_000);
    window.tryAcquire([global, user], 'a', 0);
    window.tryAcquire([global, user], 'b', 0);
    window.release(['global', 'user:1'], 'a');
    expect(window.count('user:1', 1)).toBe(1);
    expect(window.tryAcquire([global, user], 'c', 1)).toBe(0);
  });

  it('forgets idle keys, so memory stays bounded by the active users', () => {
    const window = new MemoryWindow(1000);
    for (let i = 0; i < 100; i++) window.tryAcquire([{ key: `user:${i}`, limit: 1 }], `m${i}`, 0);
    expect(window.size).toBe(100);
    window.tryAcquire([{ key: 'user:new', limit: 1 }], 'x', 5000);
    expect(window.size).toBe(1);
  });
});
