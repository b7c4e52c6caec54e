import { Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { setTimeout as sleep } from 'node:timers/promises';
import { authConfig } from '@gad/config';
import { Counters } from '@gad/limits';

/** One counted login attempt: its keys, how long to wait when refused, and the account's failures so far. */
export interface LoginAttempt {
  keys: { address: string; accountAtAddress: string; account: string };
  /** Seconds to wait when the attempt is refused, else 0. */
  retryAfter: number;
  /** Attempts counted on the account (from every address) in the window, this one included. */
  accountAttempts: number;
}

// The slowdown of a failed login once its account has had more failures than LOGIN_MAX_ATTEMPTS.
const SLOWDOWN_BASE_MS = 250;
const SLOWDOWN_MAX_MS = 3000;

/**
 * The login lockout policy (README, Security), on the shared counters, per LOGIN_WINDOW_SECONDS:
 * - a client address may fail LOGIN_MAX_ATTEMPTS times on one account, and LOGIN_MAX_ATTEMPTS_PER_ADDRESS
 *   times across accounts, before its attempts are answered 429;
 * - an account's failures from every address only slow its failed answers down (250 ms doubling up to
 *   3 s): an attacker elsewhere cannot lock its owner out, and the right password is never delayed.
 * Every attempt is counted before the password is checked, so parallel guesses cannot all pass a check
 * made before any of them failed; a successful login gives its attempt back and clears its address's
 * failures on that account. @nestjs/throttler counts every request and cannot give one back.
 */
@Injectable()
export class LoginLimiterService {
  private readonly perAccountAtAddress: number;
  private readonly perAddress: number;
  private readonly windowMs: number;

  constructor(
    @Inject(authConfig.KEY) auth: ConfigType<typeof authConfig>,
    private readonly counters: Counters,
  ) {
    this.perAccountAtAddress = auth.loginMaxAttempts;
    this.perAddress = auth.loginMaxAttemptsPerAddress;
    this.windowMs = auth.loginWindowSeconds * 1000;
  }

  /** Counts this attempt (refused attempts count nowhere). */
  async reserve(ip: string, email: string): Promise<LoginAttempt> {
    const keys = {
      address: `login:ip:${ip}`,
      accountAtAddress: `login:account-ip:${email}:${ip}`,
      account: `login:account:${email}`,
    };
    const taken = await this.counters.take(
      'login',
      [
        { key: keys.address, limit: this.perAddress },
        { key: keys.accountAtAddress, limit: this.perAccountAtAddress },
        { key: keys.account, limit: Infinity },
      ],
      this.windowMs,
    );
    return {
      keys,
      retryAfter: taken.ok ? 0 : Math.max(1, Math.ceil(taken.resetMs / 1000)),
      accountAttempts: taken.counts[2] ?? 0,
    };
  }

  /** The password was wrong: answer no sooner than the account's slowdown allows. */
  async failed(attempt: LoginAttempt): Promise<void> {
    const delay = this.slowdownMs(attempt.accountAttempts);
    if (delay > 0) await sleep(delay);
  }

  slowdownMs(accountAttempts: number): number {
    const over = accountAttempts - this.perAccountAtAddress;
    return over <= 0 ? 0 : Math.min(SLOWDOWN_MAX_MS, SLOWDOWN_BASE_MS * 2 ** Math.min(over - 1, 10));
  }

  /** The attempt ended without an answer on the password (the database was down, say): it counts nowhere. */
  async abandoned({ keys }: LoginAttempt): Promise<void> {
    await this.counters.give('login', [keys.address, keys.accountAtAddress, keys.account]);
  }

  /** The attempt succeeded: it was not a failure, and this address starts afresh on the account. */
  async succeeded({ keys }: LoginAttempt): Promise<void> {
    await Promise.all([
      this.counters.give('login', [keys.address, keys.account]),
      this.counters.reset('login', [keys.accountAtAddress]),
    ]);
  }
}
