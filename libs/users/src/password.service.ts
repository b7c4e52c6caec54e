import { Inject, HttpStatus, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import bcrypt from 'bcrypt';
import { availableParallelism } from 'node:os';
import { authConfig } from '@gad/config';
import { ProblemException } from '@gad/observability';

export const MIN_PASSWORD_LENGTH = 12;
export const MAX_PASSWORD_BYTES = 72; // bcrypt ignores what follows

// The most common passwords of at least 12 characters in public breach lists, plus those of published example configurations.
const COMMON_PASSWORDS = new Set([
  '123456789012',
  '1234567890123',
  'qwertyuiop12',
  'qwertyuiopasdf',
  'password1234',
  'password12345',
  'password123456',
  'passwordpassword',
  'iloveyou1234',
  'administrator',
  'administrator1',
  'letmein12345',
  'welcome12345',
  'changeme1234',
  'abcdefghijkl',
  'aaaaaaaaaaaa',
  '111111111111',
  'contraseña123',
  'contrasena1234',
  'cambiar_en_primer_login_2024',
  'password_seguro_cambiar_2024',
  'password_muy_seguro_cambiar_2024',
]);

/** bcrypt off the event loop (the native addon hashes on libuv's pool), and the password policy. */
@Injectable()
export class PasswordService {
  private readonly rounds: number;
  private dummyHash?: Promise<string>;
  private readonly maxConcurrent = Math.max(1, availableParallelism() - 1);
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(@Inject(authConfig.KEY) auth: ConfigType<typeof authConfig>) {
    this.rounds = auth.bcryptRounds;
  }

  hash(password: string): Promise<string> {
    return this.slot(() => bcrypt.hash(password, this.rounds));
  }

  verify(password: string, hash: string): Promise<boolean> {
    if (Buffer.byteLength(password, 'utf8') > MAX_PASSWORD_BYTES) return Promise.resolve(false);
    return this.slot(() => bcrypt.compare(password, hash));
  }

  /** Spends the same time as a real check, so unknown emails are not distinguishable by latency. */
  async verifyAgainstDummy(password: string): Promise<false> {
    this.dummyHash ??= this.slot(() => bcrypt.hash('dummy-password-for-timing', this.rounds));
    const dummy = await this.dummyHash;
    await this.slot(() => bcrypt.compare(password, dummy));
    return false;
  }

  /**
   * bcrypt runs on libuv's pool (4 threads): a login burst would put four hashes on the cores the
   * event loop needs. At most (cores − 1) hash at once, so requests keep being served during a storm.
   */
  private async slot<T>(work: () => Promise<T>): Promise<T> {
    if (this.running >= this.maxConcurrent) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.running += 1;
    try {
      return await work();
    } finally {
      const next = this.waiting.shift();
      if (next)
        next(); // the slot passes straight to the next waiter
      else this.running -= 1;
    }
  }

  /** Throws a 400 problem naming the first rule the password breaks. */
  assertAcceptable(password: string, email: string, field = 'password'): void {
    const broken = this.brokenRule(password, email);
    if (broken) {
      throw new ProblemException(HttpStatus.BAD_REQUEST, {
        title: 'Weak password',
        detail: broken,
        errors: [{ field, message: broken }],
      });
    }
  }

  brokenRule(password: string, email: string): string | undefined {
    if ([...password].length < MIN_PASSWORD_LENGTH) return `password must be at least ${MIN_PASSWORD_LENGTH} characters long`;
    if (Buffer.byteLength(password, 'utf8') > MAX_PASSWORD_BYTES)
      return `password must be at most ${MAX_PASSWORD_BYTES} bytes (bcrypt's limit)`;
    if (password.toLowerCase() === email.toLowerCase()) return 'password must not be the same as the email';
    if (COMMON_PASSWORDS.has(password.toLowerCase())) return 'password is too common; choose another';
    return undefined;
  }
}
