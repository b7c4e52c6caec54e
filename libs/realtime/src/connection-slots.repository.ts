import { Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { AppConfig } from '@gad/config';
import { RedisBreaker, RedisService, keyNamespace } from '@gad/redis';

/** A held connection slot; release() is idempotent, so every way a socket can end may call it. */
export interface ConnectionSlot {
  release(): void;
}

// An instance that stops heartbeating (crashed, partitioned) stops counting after INSTANCE_TTL_MS.
const HEARTBEAT_MS = 10_000;
const INSTANCE_TTL_MS = 30_000;

// KEYS[1]: hash instance -> live sockets; KEYS[2]: zset instance -> heartbeat deadline (Redis clock, ms).
// Drops instances past their deadline, then sums the rest: one round trip, atomic, correct after a crash.
const REAP = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local dead = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now)
for _, id in ipairs(dead) do redis.call('HDEL', KEYS[1], id) end
if #dead > 0 then redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now) end
local total = 0
for _, v in ipairs(redis.call('HVALS', KEYS[1])) do total = total + tonumber(v) end
`;
const ALIVE = `
redis.call('ZADD', KEYS[2], now + tonumber(ARGV[2]), ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
redis.call('PEXPIRE', KEYS[2], ARGV[2])
`;
/** ARGV: instance, ttl, max. Returns the new total, or -1 when full. */
const ACQUIRE = `${REAP}
if total >= tonumber(ARGV[3]) then return -1 end
redis.call('HINCRBY', KEYS[1], ARGV[1], 1)
${ALIVE}
return total + 1`;
/** ARGV: instance, ttl, local count. Re-asserts this instance's count (heals missed releases). Returns the total. */
const HEARTBEAT = `${REAP}
local old = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '0')
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
${ALIVE}
return total - old + tonumber(ARGV[3])`;
const RELEASE = `
local v = redis.call('HINCRBY', KEYS[1], ARGV[1], -1)
if v < 0 then redis.call('HSET', KEYS[1], ARGV[1], 0) end
return v`;
const TOTAL = `${REAP}
return total`;

/**
 * Counts live /dashboard sockets against WS_MAX_CONNECTIONS: in this process, and across every
 * instance when Redis is configured (each instance owns one hash field, kept alive by a heartbeat).
 * While Redis is unreachable the cap falls back to this process's own count.
 */
@Injectable()
export class ConnectionSlots implements OnModuleInit, OnApplicationShutdown {
  readonly instanceId = randomUUID();
  readonly max: number;
  private readonly held = new Set<ConnectionSlot>();
  private readonly keys: [string, string];
  private readonly breaker = new RedisBreaker();
  private heartbeat?: NodeJS.Timeout;

  constructor(
    config: AppConfig,
    private readonly redis: RedisService,
  ) {
    this.max = config.ws.maxConnections;
    const prefix = `${keyNamespace(config)}{ws-connections}`;
    this.keys = [`${prefix}:counts`, `${prefix}:instances`];
  }

  /** Sockets this process holds. */
  get local(): number {
    return this.held.size;
  }

  onModuleInit(): void {
    if (!this.redis.enabled) return;
    this.heartbeat = setInterval(() => void this.beat(), HEARTBEAT_MS);
    this.heartbeat.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.heartbeat);
    if (!this.redis.enabled || this.breaker.isOpen) return;
    await this.redis
      .run(async (c) => {
        await c.hDel(this.keys[0], this.instanceId);
        await c.zRem(this.keys[1], this.instanceId);
      })
      .catch(() => undefined); // the TTL clears it anyway
  }

  /** A slot, or undefined when the cap is reached. */
  async acquire(): Promise<ConnectionSlot | undefined> {
    const total = await this.eval(ACQUIRE, [this.instanceId, String(INSTANCE_TTL_MS), String(this.max)]);
    if (total === -1) return undefined;
    if (total === undefined && this.held.size >= this.max) return undefined;
    return this.hold(total !== undefined);
  }

  /** Live sockets cluster-wide (this process's count without Redis or while it is down). */
  async total(): Promise<number> {
    return (await this.eval(TOTAL, [])) ?? this.held.size;
  }

  private hold(counted: boolean): ConnectionSlot {
    let released = false;
    const slot: ConnectionSlot = {
      release: () => {
        if (released) return;
        released = true;
        this.held.delete(slot);
        // a slot taken while Redis was down was never counted there; the heartbeat reconciles either way
        if (counted) void this.eval(RELEASE, [this.instanceId]);
      },
    };
    this.held.add(slot);
    return slot;
  }

  private async beat(): Promise<void> {
    await this.eval(HEARTBEAT, [this.instanceId, String(INSTANCE_TTL_MS), String(this.held.size)]);
  }

  /** Runs a script; undefined when Redis is not configured or failing (the caller falls back). */
  private async eval(script: string, args: string[]): Promise<number | undefined> {
    if (!this.redis.enabled || this.breaker.isOpen) return undefined;
    try {
      const result = await this.redis.run((c) => c.eval(script, { keys: this.keys, arguments: args }));
      this.breaker.reset();
      return Number(result);
    } catch (error) {
      this.breaker.trip();
      this.redis.reportError('socket connection count', error);
      return undefined;
    }
  }
}
