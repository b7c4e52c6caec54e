import { LatencyWindow } from './latency-window.js';

describe('LatencyWindow', () => {
  const start = Date.UTC(2026, 0, 1, 12, 0, 0);

  it('reports nothing before the first request', () => {
    expect(new LatencyWindow().summary(start)).toEqual({ rps: 0, p95_ms: 0 });
  });

  it('gives the request rate over the minute and p95 as an upper bound within 10%', () => {
    const window = new LatencyWindow();
    // 1..1000 ms over 10 seconds: the true p95 is 950 ms
    for (let i = 1; i <= 1000; i++) window.record(i, start + (i % 10) * 1000);
    const { rps, p95_ms } = window.summary(start + 10_000);
    expect(rps).toBeCloseTo(1000 / 60, 2);
    expect(p95_ms).toBeGreaterThanOrEqual(950);
    expect(p95_ms).toBeLessThanOrEqual(950 * 1.1);
  });

  it('counts every request however many arrive in one second', () => {
    const window = new LatencyWindow();
    for (let i = 0; i < 60_000; i++) window.record(0.5, start);
    const { rps, p95_ms } = window.summary(start);
    expect(rps).toBe(1000);
    expect(p95_ms).toBeGreaterThanOrEqual(0.5);
    expect(p95_ms).toBeLessThanOrEqual(0.55);
  });

  it('forgets seconds older than a minute, also when their slot comes round again', () => {
    const window = new LatencyWindow();
    for (let i = 0; i < 100; i++) window.record(2000, start);
    expect(window.summary(start + 59_000).rps).toBeGreaterThan(0);
    expect(window.summary(start + 60_000)).toEqual({ rps: 0, p95_ms: 0 });
    window.record(3, start + 60_000); // same slot as `start`
    const { rps, p95_ms } = window.summary(start + 60_000);
    expect(rps).toBeCloseTo(1 / 60, 2);
    expect(p95_ms).toBeGreaterThanOrEqual(3);
    expect(p95_ms).toBeLessThanOrEqual(3.3);
  });

  it('keeps sub-0.1 ms and very long requests in the end buckets', () => {
    const window = new LatencyWindow();
    window.record(0, start);
    window.record(0.01, start);
    expect(window.summary(start).p95_ms).toBe(0.1);
    window.record(3_600_000, start);
    window.record(3_600_000, start);
    expect(window.summary(start).p95_ms).toBeGreaterThan(500_000);
  });
});
