import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { randomUUID } from 'node:crypto';
import type { Counter } from 'prom-client';
import { appConfig } from '@gad/config';
import { MetricsService } from '@gad/observability';
import { RedisBreaker, RedisService } from '@gad/redis';
import { COUNTER_SCRIPT } from './counter-script.js';
import { MemoryCounters, type Claim, type Taken } from './memory-counters.js';

export type { Claim, Taken } from './memory-counters.js';

/** A gauge slot this process holds; release() is idempotent. */
export interface Held {
  release(): void;
}

type Op = 'take' | 'give' | 'set' | 'reset' | 'beat' | 'count';

const HEARTBEAT_MS = 10_000;
/** A process that misses this many heartbeats stops counting. */
const OWNER_TTL_MS = 3 * HEARTBEAT_MS;
// Redis' script numbers are doubles; a limit past this is "unlimited"
const UNLIMITED = Number.MAX_SAFE_INTEGER;

/**
 * The one counter primitive behind every limiter: atomic counts in Redis (one script, one round trip),
 * shared by every worker and replica, under `${namespace}limits:`; this process's memory when Redis is
 * not configured. It fails open: when Redis errors or is slow, the count is taken in memory instead (so
 * limits still hold per process and nobody is locked out by a cache outage), the failure is counted in
 * `limit_counter_fallbacks_total{limiter}`, and Redis is skipped for a short pause.
 *
 * Two shapes: windows (`take`: rate limits, counted from a window's first hit) and gauges (`hold`: live
 * connections, counted while held, and only while the holding process is alive).
 */
@Injectable()
export class Counters implements OnModuleInit, OnApplicationShutdown {
  /** This process, as the owner of the gauges it holds. */
  readonly owner: string = randomUUID();
  private readonly windows = new MemoryCounters();
  private readonly held = new MemoryCounters();
  private readonly prefix: string;
  private readonly owners: string;
  private readonly breaker = new RedisBreaker();
  private readonly fallbacks: Counter<'limiter'>;
  private heartbeat?: NodeJS.Timeout;
  /** Counts taken in memory because Redis could not answer (also the metric below). */
  fallbackCount = 0;

  constructor(
    private readonly redis: RedisService,
    @Inject(appConfig.KEY) app: ConfigType<typeof appConfig>,
    metrics: MetricsService,
  ) {
    // hash tag: every key of one script call lands in the same cluster slot
    this.prefix = `${app.keyNamespace}{limits}:`;
    this.owners = `${this.prefix}owners`;
    this.fallbacks = metrics.counter(
      'limit_counter_fallbacks_total',
      'Limiter counts taken in process memory because Redis could not answer',
      ['limiter'],
    );
  }

  get shared(): boolean {
    return this.redis.enabled;
  }

  onModuleInit(): void {
    if (!this.redis.enabled) return;
    void this.beat();
    this.heartbeat = setInterval(() => void this.beat(), HEARTBEAT_MS).unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.heartbeat);
    const mine = [...this.held.snapshot().keys()];
    if (mine.length > 0)
      await this.run(
        'shutdown',
        'set',
        mine,
        0,
        0,
        mine.map(() => 0),
      ).catch(() => undefined);
  }

  /**
   * Adds `amount` to every counter if each stays within its limit, else to none. A counter's window
   * starts at its first count and lasts `windowMs`.
   */
  async take(limiter: string, claims: Claim[], windowMs: number, amount = 1): Promise<Taken> {
    const keys = claims.map((c) => c.key);
    const reply = await this.run(
      limiter,
      'take',
      keys,
      amount,
      windowMs,
      claims.map((c) => Math.min(c.limit, UNLIMITED)),
      '_',
    );
    if (!reply) return this.windows.take(claims, amount, windowMs);
    const [ok, full, resetMs, ...counts] = reply.map(Number);
    return { ok: ok === 1, full: full - 1, resetMs, counts, store: 'redis' };
  }

  /** take() in this process only, synchronously: for limits on something that lives in one process (a socket). */
  takeHere(claims: Claim[], windowMs: number, amount = 1): Taken {
    return this.windows.take(claims, amount, windowMs);
  }

  /** This process's own holdings of a gauge. */
  heldHere(key: string): number {
    return this.held.count(key);
  }

  /** Takes back what a take added (an attempt that turned out not to count). */
  async give(limiter: string, keys: string[], amount = 1): Promise<void> {
    if (!(await this.run(limiter, 'give', keys, amount, 0, [], '_'))) this.windows.give(keys, amount);
  }

  /** Starts these counters afresh. */
  async reset(limiter: string, keys: string[]): Promise<void> {
    this.windows.reset(keys);
    await this.run(limiter, 'reset', keys, 0, 0, []);
  }

  /**
   * One unit of every gauge while each stays within its limit (else undefined). The units count for
   * this process until released, or until it stops heartbeating (a crash frees them within ~30 s).
   */
  async hold(limiter: string, claims: Claim[]): Promise<Held | undefined> {
    const keys = claims.map((c) => c.key);
    const reply = await this.run(
      limiter,
      'take',
      keys,
      1,
      0,
      claims.map((c) => Math.min(c.limit, UNLIMITED)),
    );
    // without Redis (or while it fails) this process's own holdings are the count
    const taken = reply
      ? Number(reply[0]) === 1 &&
        this.held.take(
          claims.map(({ key }) => ({ key, limit: Infinity })),
          1,
          0,
        ).ok
      : this.held.take(claims, 1, 0).ok;
    if (!taken) return undefined;
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        this.held.give(keys, 1);
        void this.run(limiter, 'give', keys, 1, 0, []);
      },
    };
  }

  /** A gauge's total across processes (this process's own while Redis cannot answer). */
  async total(limiter: string, key: string): Promise<number> {
    const reply = await this.run(limiter, 'count', [key], 0, 0, []);
    return reply ? Number(reply[0]) : this.held.count(key);
  }

  /** Keeps this process's gauges counted, and repairs them after a release that Redis missed. */
  private async beat(): Promise<void> {
    if (!(await this.run('heartbeat', 'beat', [], 0, OWNER_TTL_MS, []))) return;
    const mine = this.held.snapshot();
    if (mine.size > 0) await this.run('heartbeat', 'set', [...mine.keys()], 0, 0, [...mine.values()]);
  }

  /** The script's reply, or undefined when Redis is not configured or could not answer (counted). */
  private async run(
    limiter: string,
    op: Op,
    keys: string[],
    amount: number,
    windowMs: number,
    numbers: number[],
    owner: string = this.owner,
  ): Promise<unknown[] | undefined> {
    if (!this.redis.enabled) return undefined;
    if (!this.breaker.isOpen) {
      try {
        const reply = await this.redis.runScript(
          COUNTER_SCRIPT,
          [...keys.map((key) => this.prefix + key), this.owners],
          [op, owner, String(amount), String(windowMs), ...numbers.map(String)],
        );
        return reply as unknown[];
      } catch (error) {
        this.breaker.trip();
        this.redis.reportError(`limits (${limiter})`, error);
      }
    }
    this.fallbacks.inc({ limiter });
    this.fallbackCount++;
    return undefined;
  }
}
