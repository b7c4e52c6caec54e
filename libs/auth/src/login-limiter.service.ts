import { Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { authConfig } from '@gad/config';
import { Counters } from '@gad/limits';

export interface LoginKeys {
  ip: string;
  account: string;
}

/**
 * Limits failed logins per client IP and per account (LOGIN_MAX_ATTEMPTS per LOGIN_WINDOW_SECONDS) on
 * the shared counters. Every attempt is counted *before* the password is checked, so parallel guesses
 * cannot all pass a check made before any of them failed; a successful login gives its attempt back.
 * @nestjs/throttler counts every request and cannot give one back, hence a limiter of its own.
 */
@Injectable()
export class LoginLimiterService {
  private readonly max: number;
  private readonly windowMs: number;

  constructor(
    @Inject(authConfig.KEY) auth: ConfigType<typeof authConfig>,
    private readonly counters: Counters,
  ) {
    this.max = auth.loginMaxAttempts;
    this.windowMs = auth.loginWindowSeconds * 1000;
  }

  static keys(ip: string, email: string): LoginKeys {
    return { ip: `login:ip:${ip}`, account: `login:account:${email.toLowerCase()}` };
  }

  /** Counts this attempt; returns the seconds to wait when it is over the limit, else 0. */
  async reserve(keys: LoginKeys): Promise<number> {
    const claims = [keys.ip, keys.account].map((key) => ({ key, limit: this.max }));
    const taken = await this.counters.take('login', claims, this.windowMs);
    return taken.ok ? 0 : Math.max(1, Math.ceil(taken.resetMs / 1000));
  }

  /** The attempt succeeded: it was not a failure, and the account starts afresh. */
  async release(keys: LoginKeys): Promise<void> {
    await Promise.all([this.counters.give('login', [keys.ip]), this.counters.reset('login', [keys.account])]);
  }
}
