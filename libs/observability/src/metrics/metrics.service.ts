import { Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { AggregatorRegistry, Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { clusterMetricsFromPrimary, isClusterWorker } from './worker-messages.js';
import { appConfig } from '@gad/config';

const WINDOW_SECONDS = 60;

export interface HttpSummary {
  /** Requests per second over the last minute. */
  rps: number;
  /** 95th-percentile latency over the last minute, milliseconds. */
  p95_ms: number;
}

/** One second of request latencies, for the dashboard's rolling rps/p95 (Prometheus keeps the real histogram). */
interface Bucket {
  second: number;
  durations: number[];
}

/**
 * The app's Prometheus registry (one per app instance, so tests can run several) and the shared
 * HTTP instruments. Other modules register their own metrics through counter()/gauge()/histogram().
 */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();
  readonly httpDuration: Histogram<'method' | 'route' | 'status'>;
  /** Requests being served; read by the gauge at scrape time, so counting costs a request nothing more. */
  httpInFlight = 0;
  private readonly window: Bucket[] = Array.from({ length: WINDOW_SECONDS }, () => ({ second: 0, durations: [] }));

  constructor(@Inject(appConfig.KEY) app: ConfigType<typeof appConfig>) {
    this.registry.setDefaultLabels({ app: app.name });
    collectDefaultMetrics({ register: this.registry });
    this.httpDuration = this.histogram(
      'http_request_duration_seconds',
      'HTTP request duration by method, route template and status',
      ['method', 'route', 'status'],
      [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    );
    const inFlight = (): number => this.httpInFlight;
    this.gauge('http_requests_in_flight', 'HTTP requests being served', [], function () {
      this.set(inFlight()); // collect() is called with the gauge as `this`
    });
    if (isClusterWorker()) {
      new AggregatorRegistry(); // installs prom-client's worker listener
      AggregatorRegistry.setRegistries([this.registry]);
    }
  }

  /** Prometheus text: this process's, or every worker's aggregated by the primary. */
  async exposition(): Promise<string> {
    return isClusterWorker() ? clusterMetricsFromPrimary() : this.registry.metrics();
  }

  counter<L extends string>(
    name: string,
    help: string,
    labelNames: readonly L[] = [],
    collect?: (this: Counter<L>) => void,
  ): Counter<L> {
    return (
      (this.registry.getSingleMetric(name) as Counter<L>) ??
      new Counter({ name, help, labelNames, registers: [this.registry], collect })
    );
  }

  gauge<L extends string>(
    name: string,
    help: string,
    labelNames: readonly L[] = [],
    collect?: (this: Gauge<L>) => void | Promise<void>,
  ): Gauge<L> {
    return (
      (this.registry.getSingleMetric(name) as Gauge<L>) ??
      new Gauge({ name, help, labelNames, registers: [this.registry], collect })
    );
  }

  histogram<L extends string>(name: string, help: string, labelNames: readonly L[] = [], buckets?: number[]): Histogram<L> {
    return (
      (this.registry.getSingleMetric(name) as Histogram<L>) ??
      new Histogram({ name, help, labelNames, buckets, registers: [this.registry] })
    );
  }

  observeHttp(method: string, route: string, status: number, seconds: number): void {
    this.httpDuration.observe({ method, route, status: String(status) }, seconds);
    const second = Math.floor(Date.now() / 1000);
    const bucket = this.window[second % WINDOW_SECONDS];
    if (bucket.second !== second) {
      bucket.second = second;
      bucket.durations = [];
    }
    if (bucket.durations.length < 10_000) bucket.durations.push(seconds * 1000);
  }

  httpSummary(): HttpSummary {
    const now = Math.floor(Date.now() / 1000);
    const recent = this.window.filter((b) => b.second > now - WINDOW_SECONDS && b.second <= now).flatMap((b) => b.durations);
    if (recent.length === 0) return { rps: 0, p95_ms: 0 };
    recent.sort((a, b) => a - b);
    const p95 = recent[Math.min(recent.length - 1, Math.floor(recent.length * 0.95))];
    return { rps: Math.round((recent.length / WINDOW_SECONDS) * 100) / 100, p95_ms: Math.round(p95 * 10) / 10 };
  }
}

/** Rows the scheduler's retention jobs deleted, by table (sessions, and the logs' boundary months); not rows of dropped partitions. */
export function retentionDeletions(metrics: MetricsService): Counter<'table'> {
  return metrics.counter('retention_deleted_rows_total', "Rows removed by the scheduler's retention jobs, by table", ['table']);
}

/** Whole monthly partitions the scheduler dropped past their retention, by parent table (audit_logs, ai_interactions). */
export function retentionDroppedPartitions(metrics: MetricsService): Counter<'table'> {
  return metrics.counter(
    'retention_dropped_partitions_total',
    "Monthly partitions the scheduler's retention dropped whole, by table",
    ['table'],
  );
}
