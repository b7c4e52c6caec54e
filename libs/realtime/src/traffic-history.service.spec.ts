import { Server } from 'socket.io';
import { configurationFrom } from '@gad/config';
import { MetricsService } from '@gad/observability';
import { HISTORY_MS, TrafficHistoryService } from './traffic-history.service.js';

describe('TrafficHistoryService', () => {
  const metrics = new MetricsService(configurationFrom({}).app);
  const io = new Server(); // no HTTP server: only its namespace and in-memory adapter
  const ns = io.of('/dashboard');

  it('keeps one sample per 5 s slot, for five minutes', async () => {
    const history = new TrafficHistoryService(metrics);
    const start = Date.UTC(2026, 0, 1, 12, 0, 0);
    for (let t = start; t <= start + 10 * 60_000; t += 5000) history.record(t + 50);
    history.record(start + 10 * 60_000 + 1200); // the same slot again: replaced, not added
    const { history: h } = await history.cluster(ns);
    const recorded = h.samples.slice(0, -1);
    expect(h.interval_ms).toBe(5000);
    expect(recorded).toHaveLength(HISTORY_MS / 5000);
    expect(recorded[0].t).toBe(new Date(start + 10 * 60_000 - HISTORY_MS + 5000).toISOString());
    expect(recorded.at(-1)!.t).toBe(new Date(start + 10 * 60_000).toISOString());
  });

  it("ends with this instance's current figures when it is alone", async () => {
    metrics.observeHttp('GET', '/x', 200, 0.02);
    metrics.observeHttp('GET', '/x', 200, 0.04);
    const history = new TrafficHistoryService(metrics);
    const { history: h, now } = await history.cluster(ns);
    expect(now).toEqual(metrics.httpSummary());
    expect(now.rps).toBeGreaterThan(0);
    expect(h.samples).toEqual([{ t: expect.any(String), rps: now.rps, p95_ms: now.p95_ms }]);
  });
});
