import { Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { AggregatorRegistry, Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { clusterMetricsFromPrimary, isClusterWorker } from '@gad/cluster';
import { appConfig } from '@gad/config';
import { LatencyWindow, type HttpSummary } from './latency-window.js';

export type { HttpSummary };

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
  private readonly lastMinute = new LatencyWindow();

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
    this.lastMinute.record(seconds * 1000);
  }

  /** The dashboard's rolling request rate and p95 over the last minute (Prometheus keeps the real histogram). */
  httpSummary(): HttpSummary {
    return this.lastMinute.summary();
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
