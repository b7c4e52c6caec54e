export interface HttpSummary {
  /** Requests per second over the last minute. */
  rps: number;
  /** 95th-percentile latency over the last minute, milliseconds (an upper bound within 10%). */
  p95_ms: number;
}

const WINDOW_SECONDS = 60;
/** Bucket i holds latencies in (SMALLEST_MS·GROWTH^(i-1), SMALLEST_MS·GROWTH^i]; the last one everything above. */
const SMALLEST_MS = 0.1;
const GROWTH = 1.1;
const BUCKETS = 170; // up to 0.1 ms · 1.1^169 ≈ 10 minutes

interface Second {
  second: number;
  count: number;
  buckets: Uint32Array;
}

/**
 * Request latencies of the last minute, one counter per log-spaced bucket per second: recording is a
 * counter increment and reading merges 60 × 170 counters, whatever the traffic. (Keeping every duration
 * and sorting them held up to 600,000 numbers and stalled the event loop ~60 ms per read under load.)
 */
export class LatencyWindow {
  private readonly seconds: Second[] = Array.from({ length: WINDOW_SECONDS }, () => ({
    second: 0,
    count: 0,
    buckets: new Uint32Array(BUCKETS),
  }));

  record(ms: number, nowMs = Date.now()): void {
    const second = Math.floor(nowMs / 1000);
    const slot = this.seconds[second % WINDOW_SECONDS];
    if (slot.second !== second) {
      slot.second = second;
      slot.count = 0;
      slot.buckets.fill(0);
    }
    slot.count += 1;
    slot.buckets[bucketOf(ms)] += 1;
  }

  summary(nowMs = Date.now()): HttpSummary {
    const now = Math.floor(nowMs / 1000);
    const recent = this.seconds.filter((s) => s.second > now - WINDOW_SECONDS && s.second <= now && s.count > 0);
    const total = recent.reduce((sum, s) => sum + s.count, 0);
    if (total === 0) return { rps: 0, p95_ms: 0 };
    const rank = Math.ceil(total * 0.95);
    let seen = 0;
    let bucket = 0;
    for (; bucket < BUCKETS - 1; bucket++) {
      for (const s of recent) seen += s.buckets[bucket];
      if (seen >= rank) break;
    }
    return { rps: Math.round((total / WINDOW_SECONDS) * 100) / 100, p95_ms: Math.round(upperBoundMs(bucket) * 10) / 10 };
  }
}

function bucketOf(ms: number): number {
  if (!(ms > SMALLEST_MS)) return 0;
  return Math.min(BUCKETS - 1, Math.ceil(Math.log(ms / SMALLEST_MS) / Math.log(GROWTH)));
}

function upperBoundMs(bucket: number): number {
  return SMALLEST_MS * GROWTH ** bucket;
}
