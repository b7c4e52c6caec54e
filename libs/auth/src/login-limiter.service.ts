import { Injectable } from '@nestjs/common';
import { AppConfig } from '@gad/config';
import { RedisService } from '@gad/cache';

interface Window {
  count: number;
  resetAt: number;
}

const MEMORY_LIMIT = 100_000;

/**
 * Counts failed logins per client IP and per account. @nestjs/throttler counts every request and
 * cannot reset a key, so brute-force protection keeps its own small counter: shared through Redis
 * when configured (falling back to memory if Redis fails, so a Redis outage cannot unlock it).
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

  static keys(ip: string, email: string): string[] {
    return [`ip:${ip}`, `account:${email.toLowerCase()}`];
  }

  /** Seconds until the caller may try again, or 0 when not blocked. */
  async retryAfter(keys: string[]): Promise<number> {
    const waits = await Promise.all(keys.map((key) => this.blockedFor(key)));
    return Math.max(0, ...waits);
  }

  async recordFailure(keys: string[]): Promise<void> {
    await Promise.all(keys.map((key) => this.increment(key)));
  }

  async reset(key: string): Promise<void> {
    this.memory.delete(key);
    if (this.redis.enabled)
      await this.redis.run((c) => c.del(this.prefix + key)).catch((e) => this.redis.reportError('login-limiter', e));
  }

  private async blockedFor(key: string): Promise<number> {
    if (this.redis.enabled) {
      try {
        const [count, ttl] = await this.redis.run((c) => Promise.all([c.get(this.prefix + key), c.pTTL(this.prefix + key)]));
        const local = this.memoryBlockedFor(key);
        return Math.max(local, Number(count ?? 0) >= this.max ? Math.ceil(Math.max(ttl, 1000) / 1000) : 0);
      } catch (error) {
        this.redis.reportError('login-limiter', error);
      }
    }
    return this.memoryBlockedFor(key);
  }

  private memoryBlockedFor(key: string): number {
    const window = this.memory.get(key);
    if (!window || window.resetAt <= Date.now()) return 0;
    return window.count >= this.max ? Math.ceil((window.resetAt - Date.now()) / 1000) : 0;
  }

  private async increment(key: string): Promise<void> {
    if (this.redis.enabled) {
      try {
        await this.redis.run((c) =>
          c
            .multi()
            .incr(this.prefix + key)
            .pExpire(this.prefix + key, this.windowMs, 'NX')
            .exec(),
        );
        return;
      } catch (error) {
        this.redis.reportError('login-limiter', error);
      }
    }
    const now = Date.now();
    const window = this.memory.get(key);
    if (!window || window.resetAt <= now) {
      if (this.memory.size >= MEMORY_LIMIT) this.sweep(now);
      this.memory.set(key, { count: 1, resetAt: now + this.windowMs });
    } else {
      window.count += 1;
    }
  }

  private sweep(now: number): void {
    for (const [key, window] of this.memory) if (window.resetAt <= now) this.memory.delete(key);
    if (this.memory.size >= MEMORY_LIMIT) this.memory.clear();
  }
}
