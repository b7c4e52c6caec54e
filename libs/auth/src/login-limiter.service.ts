import { Injectable } from '@nestjs/common';
import { AppConfig } from '@gad/config';
import { RedisService } from '@gad/redis';

interface Window {
  count: number;
  resetAt: number;
}

interface Hit {
  count: number;
  ttlMs: number;
}

const MEMORY_LIMIT = 100_000;

/**
 * Limits failed logins per client IP and per account. Every attempt is counted *before* the password
 * is checked, so parallel guesses cannot all pass a check made before any of them failed; a successful
 * login gives its attempt back. Shared through Redis when configured, in memory otherwise (and when
 * Redis fails, so an outage cannot unlock it). @nestjs/throttler counts every request and cannot give
 * one back, hence this small counter of its own.
 */
@Injectable()
export class LoginLimiterService {
  private readonly memory = new Map<string, Window>();
  private readonly max: number;
  private readonly windowMs: number;
  private readonly prefix: string;

  constructor(
    config: AppConfig,
    private readonly redis: RedisService,
  ) {
    this.max = config.security.loginMaxAttempts;
    this.windowMs = config.security.loginWindowSeconds * 1000;
    this.prefix = `${config.app.name}:${config.environment}:login-fail:`;
  }

  static keys(ip: string, email: string): { ip: string; account: string } {
    return { ip: `ip:${ip}`, account: `account:${email.toLowerCase()}` };
  }

  /** Counts this attempt; returns the seconds to wait when it is over the limit, else 0. */
  async reserve(keys: { ip: string; account: string }): Promise<number> {
    const hits = await Promise.all([this.hit(keys.ip), this.hit(keys.account)]);
    const over = hits.filter((h) => h.count > this.max);
    return over.length === 0 ? 0 : Math.max(1, ...over.map((h) => Math.ceil(h.ttlMs / 1000)));
  }

  /** The attempt succeeded: it was not a failure, and the account starts afresh. */
  async release(keys: { ip: string; account: string }): Promise<void> {
    await Promise.all([this.giveBack(keys.ip), this.clear(keys.account)]);
  }

  private async hit(key: string): Promise<Hit> {
    if (this.redis.enabled) {
      try {
        const [count, , ttlMs] = await this.redis.run((c) =>
          c
            .multi()
            .incr(this.prefix + key)
            .pExpire(this.prefix + key, this.windowMs, 'NX')
            .pTTL(this.prefix + key)
            .exec(),
        );
        return { count: Number(count), ttlMs: Number(ttlMs) };
      } catch (error) {
        this.redis.reportError('login-limiter', error);
      }
    }
    return this.memoryHit(key);
  }

  private memoryHit(key: string): Hit {
    const now = Date.now();
    let window = this.memory.get(key);
    if (!window || window.resetAt <= now) {
      if (this.memory.size >= MEMORY_LIMIT) this.sweep(now);
      window = { count: 0, resetAt: now + this.windowMs };
      this.memory.set(key, window);
    }
    window.count += 1;
    return { count: window.count, ttlMs: window.resetAt - now };
  }

  private async giveBack(key: string): Promise<void> {
    const window = this.memory.get(key);
    if (window && window.count > 0) window.count -= 1;
    if (!this.redis.enabled) return;
    await this.redis.run((c) => c.decr(this.prefix + key)).catch((e: unknown) => this.redis.reportError('login-limiter', e));
  }

  private async clear(key: string): Promise<void> {
    this.memory.delete(key);
    if (!this.redis.enabled) return;
    await this.redis.run((c) => c.del(this.prefix + key)).catch((e: unknown) => this.redis.reportError('login-limiter', e));
  }

  private sweep(now: number): void {
    for (const [key, window] of this.memory) if (window.resetAt <= now) this.memory.delete(key);
    if (this.memory.size >= MEMORY_LIMIT) this.memory.clear();
  }
}
