import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { AppConfig } from '@gad/config';
import { MemoryWindow, type WindowLimit } from './memory-window.js';
import { RedisBreaker, RedisService, keyNamespace } from '@gad/redis';

export const WINDOW_MS = 60_000;

// Checks every key, then records the member in all of them, atomically. Redis' own clock keeps
// replicas with skewed clocks on one timeline. Returns 0, or the 1-based index of the full key.
const ACQUIRE_SCRIPT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local window = tonumber(ARGV[1])
for i, key in ipairs(KEYS) do
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
  if redis.call('ZCARD', key) >= tonumber(ARGV[i + 2]) then
    return i
  end
end
for _, key in ipairs(KEYS) do
  redis.call('ZADD', key, now, ARGV[2])
  redis.call('PEXPIRE', key, window)
end
return 0
`;

export type WindowScope = 'global' | 'user';

export type WindowDecision = { allowed: true; release(): void } | { allowed: false; scope: WindowScope };

/**
 * The AI sliding windows (global and per user). Shared by every worker and replica through a Redis
 * sorted set when Redis is configured; in memory otherwise, and whenever a Redis call fails.
 */
@Injectable()
export class RateWindowRepository {
  private readonly memory = new MemoryWindow(WINDOW_MS);
  private readonly breaker = new RedisBreaker();
  private readonly prefix: string;
  private lastBackend: 'redis' | 'memory';

  constructor(
    private readonly config: AppConfig,
    private readonly redis: RedisService,
  ) {
    // hash tag: every key of one script lands in the same cluster slot
    this.prefix = `${keyNamespace(config)}{ai-window}`;
    this.lastBackend = redis.enabled ? 'redis' : 'memory';
  }

  /** Which store decided the last call. */
  get backend(): 'redis' | 'memory' {
    return this.lastBackend;
  }

  async acquire(userId: string | null): Promise<WindowDecision> {
    const limits: WindowLimit[] = [{ key: `${this.prefix}:global`, limit: this.config.ai.maxRequestsPerMinute }];
    if (userId) limits.push({ key: `${this.prefix}:user:${userId}`, limit: this.config.ai.userMaxRequestsPerMinute });
    const keys = limits.map((l) => l.key);
    const member = randomUUID();

    let full: number;
    if (this.redis.enabled && !this.breaker.isOpen) {
      try {
        full = await this.redisAcquire(limits, member);
        this.breaker.reset();
        this.lastBackend = 'redis';
        if (full === 0) this.memory.record(keys, member);
      } catch (error) {
        this.breaker.trip();
        this.redis.reportError('ai rate window', error);
        this.lastBackend = 'memory';
        full = this.memory.tryAcquire(limits, member);
      }
    } else {
      this.lastBackend = 'memory';
      full = this.memory.tryAcquire(limits, member);
    }
    if (full !== 0) return { allowed: false, scope: full === 1 ? 'global' : 'user' };

    let released = false;
    return {
      allowed: true,
      // gives the slot back when the call never reached the provider
      release: () => {
        if (released) return;
        released = true;
        this.memory.release(keys, member);
        if (this.redis.enabled && !this.breaker.isOpen) {
          this.redis
            .run((c) => c.zRem(keys[0], member).then(() => (keys[1] ? c.zRem(keys[1], member) : 0)))
            .catch((error: unknown) => this.redis.reportError('ai rate window release', error));
        }
      },
    };
  }

  private async redisAcquire(limits: WindowLimit[], member: string): Promise<number> {
    const reply = await this.redis.run((c) =>
      c.eval(ACQUIRE_SCRIPT, {
        keys: limits.map((l) => l.key),
        arguments: [String(WINDOW_MS), member, ...limits.map((l) => String(l.limit))],
      }),
    );
    if (typeof reply !== 'number') throw new Error(`unexpected reply from the AI window script: ${String(reply)}`);
    return reply;
  }
}
