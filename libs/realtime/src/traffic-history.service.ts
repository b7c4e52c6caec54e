import { Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type { Namespace } from 'socket.io';
import { MetricsService, type HttpSummary } from '@gad/observability';
import type { SystemHistoryDto, TrafficSampleDto } from './dto/server-events.dto.js';
import { errorText } from './error-text.js';
import { STATUS_INTERVAL_MS } from './realtime.constants.js';

/** What the chart shows: the last five minutes. */
export const HISTORY_MS = 5 * 60_000;
/** How long other instances get to answer before this one answers with what it has. */
const CLUSTER_TIMEOUT_MS = 1500;
/** Server-side event between instances (through the Socket.IO adapter: Redis, or node:cluster's primary). */
const HISTORY_REQUEST = 'gad:traffic-history';

interface Sample {
  /** Start of the STATUS_INTERVAL_MS slot, epoch ms: the same slots on every instance. */
  slot: number;
  rps: number;
  p95_ms: number;
}

interface InstanceTraffic {
  samples: Sample[];
  now: HttpSummary;
}

export interface ClusterTraffic {
  history: SystemHistoryDto;
  now: HttpSummary;
}

/**
 * The dashboard's traffic chart before the page opened: this instance records its request rate and
 * p95 (MetricsService.httpSummary) every STATUS_INTERVAL_MS and keeps five minutes of them; asked for
 * the cluster's, it gathers every instance's through the Socket.IO adapter and merges them slot by
 * slot: rates add up, p95 is the highest instance's (an upper bound of the cluster's). An instance
 * that does not answer in time is left out rather than delaying the answer.
 */
@Injectable()
export class TrafficHistoryService implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('Realtime');
  private readonly samples: Sample[] = [];
  private timer?: NodeJS.Timeout;

  constructor(private readonly metrics: MetricsService) {}

  onModuleInit(): void {
    this.scheduleNext();
  }

  onApplicationShutdown(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Just after each slot boundary (on the wall clock), so every instance's sample lands in the same slot. */
  private scheduleNext(): void {
    const wait = STATUS_INTERVAL_MS - (Date.now() % STATUS_INTERVAL_MS) + 50;
    this.timer = setTimeout(() => {
      this.record();
      this.scheduleNext();
    }, wait);
    this.timer.unref();
  }

  /** Answers other instances' requests; the gateway calls it once the namespace exists. */
  attach(ns: Namespace): void {
    ns.on(HISTORY_REQUEST, (ack: (traffic: InstanceTraffic) => void) => ack(this.local()));
  }

  /** The figures of the minute that ended at the slot boundary just passed. */
  record(now = Date.now()): void {
    const slot = now - (now % STATUS_INTERVAL_MS);
    const last = this.samples.at(-1);
    const sample = { slot, ...this.metrics.httpSummary() };
    if (last?.slot === slot) this.samples[this.samples.length - 1] = sample;
    else this.samples.push(sample);
    while (this.samples.length && this.samples[0].slot <= now - HISTORY_MS) this.samples.shift();
  }

  /** Every instance's traffic: the merged history (ending with the current figures) and the current figures. */
  async cluster(ns: Namespace): Promise<ClusterTraffic> {
    const all = [this.local(), ...(await this.others(ns))];
    const bySlot = new Map<number, Sample>();
    for (const { samples } of all) {
      for (const s of samples) {
        const merged = bySlot.get(s.slot);
        bySlot.set(s.slot, merged ? add(merged, s) : { ...s });
      }
    }
    const now = all.map((t) => t.now).reduce((a, b) => ({ rps: round(a.rps + b.rps), p95_ms: Math.max(a.p95_ms, b.p95_ms) }));
    const samples: TrafficSampleDto[] = [...bySlot.values()]
      .sort((a, b) => a.slot - b.slot)
      .map((s) => ({ t: new Date(s.slot).toISOString(), rps: s.rps, p95_ms: s.p95_ms }));
    samples.push({ t: new Date().toISOString(), ...now });
    return { history: { interval_ms: STATUS_INTERVAL_MS, samples }, now };
  }

  private local(): InstanceTraffic {
    return { samples: [...this.samples], now: this.metrics.httpSummary() };
  }

  private async others(ns: Namespace): Promise<InstanceTraffic[]> {
    try {
      if ((await ns.adapter.serverCount()) <= 1) return [];
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('an instance did not answer in time')), CLUSTER_TIMEOUT_MS);
      });
      try {
        return (await Promise.race([ns.serverSideEmitWithAck(HISTORY_REQUEST), late])) as InstanceTraffic[];
      } finally {
        clearTimeout(timer);
      }
    } catch (error) {
      this.logger.warn({ err: errorText(error) }, 'traffic history: showing this instance only');
      return [];
    }
  }
}

const round = (n: number): number => Math.round(n * 100) / 100;
const add = (a: Sample, b: Sample): Sample => ({ slot: a.slot, rps: round(a.rps + b.rps), p95_ms: Math.max(a.p95_ms, b.p95_ms) });
