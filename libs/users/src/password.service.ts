import { Inject, HttpStatus, Injectable, Logger, Optional, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import { authConfig } from '@gad/config';
import { MetricsService, ProblemException } from '@gad/observability';
import type { Counter } from 'prom-client';
import type { BcryptTask } from './bcrypt.worker.js';

// beside this file: .js when built, .ts under the tests (Node runs it with its type stripping)
const BCRYPT_WORKER = new URL(`./bcrypt.worker${extname(import.meta.url)}`, import.meta.url).href;

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

/** At most cores − 1 hashes at once, and no more than libuv's 4 threads allowed before (each thread is a V8 isolate). */
export const BCRYPT_THREADS = Math.min(4, Math.max(1, availableParallelism() - 1));
/**
 * Password checks waiting for a thread, at most; past it a sign-in answers 503 at once. At cost 12 (~0.25 s a hash)
 * the last in line waits ~8 s: a flood of sign-ins (many addresses, each within its login limits) cannot build a
 * line that every later sign-in, legitimate ones included, waits out until REQUEST_TIMEOUT_SECONDS. A check whose
 * request has ended keeps its place until its turn, then costs its thread nothing.
 */
export const BCRYPT_QUEUE_LIMIT = 32 * BCRYPT_THREADS;
const BUSY_RETRY_AFTER_SECONDS = 5;
// 22 characters of salt and 31 of hash in bcrypt's alphabet: bcrypt runs its full cost on it, and nothing matches
const DUMMY_SALT_AND_HASH = 'NoAccountHasThisSalt0uNoPasswordEverHashesToThisValue';

/**
 * bcrypt in a pool of BCRYPT_THREADS threads at a lower CPU priority than the event loop (nice +10; Linux
 * only, where a thread's nice value is its own): a login burst hashes on the cores the event loop does not
 * need, and where they share one, a request that arrives preempts the hashing instead of waiting for its time
 * slice. Threads start with the first login and stop after 30 s idle. Also the password policy.
 */
@Injectable()
export class PasswordService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(PasswordService.name);
  private readonly rounds: number;
  /** A well-formed hash of the configured cost that no password matches: checking against it costs a real check. */
  private readonly dummyHash: string;
  private readonly pool = new Piscina<BcryptTask, string | boolean | null>({
    filename: BCRYPT_WORKER,
    minThreads: 0,
    maxThreads: BCRYPT_THREADS,
    idleTimeout: 30_000,
    niceIncrement: process.platform === 'linux' ? 10 : 0,
    stricterFIFO: true, // first come, first hashed: otherwise a login can be requeued behind later ones
  });

  private readonly refusals?: Counter;

  constructor(@Inject(authConfig.KEY) auth: ConfigType<typeof authConfig>, @Optional() metrics?: MetricsService) {
    this.rounds = auth.bcryptRounds;
    if (metrics) {
      const pool = this.pool;
      metrics.gauge('password_checks_queued', 'Password checks waiting for a bcrypt thread on this process', [], function () {
        this.set(pool.queueSize);
      });
      this.refusals = metrics.counter(
        'password_checks_refused_total',
        'Password checks (sign-ins, password changes, passwords an admin sets) answered 503: the line was full',
      );
    }
    this.dummyHash = `$2b$${String(this.rounds).padStart(2, '0')}$${DUMMY_SALT_AND_HASH}`;
    // a thread that cannot start would otherwise be an uncaught 'error' event: the process would exit
    this.pool.on('error', (error: Error) => this.logger.error(`a bcrypt thread failed: ${error.message}`));
  }

  /** A build without the worker file fails at boot, not at the first login. */
  onModuleInit(): void {
    if (!existsSync(fileURLToPath(BCRYPT_WORKER))) throw new Error(`bcrypt worker not found: ${fileURLToPath(BCRYPT_WORKER)}`);
  }

  /** `signal`: the request's (ClientContext.signal); a check whose request has ended before its turn is skipped. */
  hash(password: string, signal?: AbortSignal): Promise<string> {
    return this.run<string>({ op: 'hash', password, rounds: this.rounds }, signal);
  }

  verify(password: string, hash: string, signal?: AbortSignal): Promise<boolean> {
    if (Buffer.byteLength(password, 'utf8') > MAX_PASSWORD_BYTES) return Promise.resolve(false);
    return this.run<boolean>({ op: 'compare', password, hash }, signal);
  }

  /** Spends the same time as a real check, so unknown emails are not distinguishable by latency. */
  async verifyAgainstDummy(password: string, signal?: AbortSignal): Promise<false> {
    await this.verify(password, this.dummyHash, signal);
    return false;
  }

  /** Password checks waiting for a thread (not those running, nor those a starting thread will take). */
  get queued(): number {
    return this.pool.queueSize;
  }

  /** Password checks asked for and not yet answered: running or waiting. */
  get pending(): number {
    return this.unanswered;
  }

  private unanswered = 0;

  /**
   * Piscina's own `signal` is not used: with it, tasks that wait are served last in, first out, and aborting a
   * running one stops its thread without stopping bcrypt's native loop. A flag the thread reads first does both jobs.
   */
  private async run<T extends string | boolean>(task: BcryptTask, signal?: AbortSignal): Promise<T> {
    if (signal?.aborted) throw requestEnded();
    if (this.pool.queueSize >= BCRYPT_QUEUE_LIMIT) {
      this.refusals?.inc();
      throw new ProblemException(HttpStatus.SERVICE_UNAVAILABLE, {
        detail: `Too many passwords are being checked right now. Retry in ${BUSY_RETRY_AFTER_SECONDS} s.`,
        headers: { 'Retry-After': String(BUSY_RETRY_AFTER_SECONDS) },
      });
    }
    const ended = signal && new Int32Array(new SharedArrayBuffer(4));
    const markEnded = (): void => void Atomics.store(ended!, 0, 1);
    signal?.addEventListener('abort', markEnded, { once: true });
    this.unanswered++;
    try {
      const result = await this.pool.run({ ...task, ended });
      if (result === null) throw requestEnded(); // skipped: its request had ended
      return result as T;
    } finally {
      this.unanswered--;
      signal?.removeEventListener('abort', markEnded);
    }
  }

  /** Lets the hashes already running finish (the graceful shutdown has drained the requests), then stops the threads. */
  async onModuleDestroy(): Promise<void> {
    await this.pool.close();
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

/** Nobody waits for the answer any more (the client left, or it was answered 503 past REQUEST_TIMEOUT_SECONDS). */
const requestEnded = (): ProblemException =>
  new ProblemException(HttpStatus.SERVICE_UNAVAILABLE, { detail: 'The request ended before its password was checked.' });
