import { jest } from '@jest/globals';
import type { ConfigType } from '@nestjs/config';
import { readdirSync, readFileSync } from 'node:fs';
import type { authConfig } from '@gad/config';
import type { ProblemException } from '@gad/observability';
import { BCRYPT_QUEUE_LIMIT, BCRYPT_THREADS, PasswordService } from './password.service.js';

const service = (bcryptRounds: number) => new PasswordService({ bcryptRounds } as ConfigType<typeof authConfig>);

/** The nice value of each thread of this process (Linux: /proc). */
function threadNiceValues(): number[] {
  return readdirSync('/proc/self/task').map((tid) => {
    const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
  });
}
const ownNice = (): number => threadNiceValues()[0]; // the main thread is listed first
const hashingThreads = (): number => threadNiceValues().filter((nice) => nice === Math.min(19, ownNice() + 10)).length;

async function until(condition: () => boolean, what: string): Promise<void> {
  for (let waited = 0; !condition(); waited += 10) {
    if (waited > 5000) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const onLinux = process.platform === 'linux' ? it : it.skip;

/** How a call ended: its value, or the refusal's status and Retry-After. */
const outcome = (call: Promise<unknown>) =>
  call.then(
    () => 'done',
    (error: ProblemException) => `${error.getStatus()} ${error.problem.headers?.['Retry-After'] ?? '-'}`,
  );

describe('PasswordService', () => {
  let passwords: PasswordService;
  beforeEach(() => {
    passwords = service(4);
  });
  afterEach(() => passwords.onModuleDestroy());

  it('hashes and verifies in its pool', async () => {
    const hash = await passwords.hash('Correct-Horse-2026');
    expect(hash).toMatch(/^\$2b\$04\$/);
    await expect(passwords.verify('Correct-Horse-2026', hash)).resolves.toBe(true);
    await expect(passwords.verify('Wrong-Horse-2026', hash)).resolves.toBe(false);
    await expect(passwords.verify('x'.repeat(73), hash)).resolves.toBe(false);
    await expect(passwords.verify('Correct-Horse-2026', 'not a bcrypt hash')).resolves.toBe(false);
    await expect(passwords.verifyAgainstDummy('Anything-At-All-1')).resolves.toBe(false);
  });

  it('checks an unknown email against a dummy of the configured cost, with no hash made for it', async () => {
    const costly = service(10);
    const timed = async (check: () => Promise<boolean>): Promise<number> => {
      const started = performance.now();
      await expect(check()).resolves.toBe(false);
      return performance.now() - started;
    };
    try {
      const hashing = jest.spyOn(costly, 'hash');
      const known = await costly.hash('Correct-Horse-2026');
      hashing.mockClear();
      const unknown = Math.min(
        await timed(() => costly.verifyAgainstDummy('Some-Guess-2026')),
        await timed(() => costly.verifyAgainstDummy('Other-Guess-2026')),
      );
      expect(hashing).not.toHaveBeenCalled(); // the first unknown email costs one check, as every later one
      const knownWrong = Math.min(
        await timed(() => costly.verify('Some-Guess-2026', known)),
        await timed(() => costly.verify('Other-Guess-2026', known)),
      );
      expect(unknown / knownWrong).toBeGreaterThan(0.3); // bcrypt ran its cost on the dummy (a malformed one: ~0.04)
    } finally {
      await costly.onModuleDestroy();
    }
  });

  onLinux('hashes many at once on at most BCRYPT_THREADS threads, each 10 below the event loop’s priority', async () => {
    const before = hashingThreads();
    const slow = service(10);
    try {
      const all = Promise.all(Array.from({ length: 6 }, (_, i) => slow.hash(`Password-Number-${i}-ok`)));
      await until(() => hashingThreads() > before, 'a hashing thread');
      const during = hashingThreads() - before;
      expect(new Set(await all).size).toBe(6);
      expect(during).toBeGreaterThanOrEqual(1);
      expect(during).toBeLessThanOrEqual(BCRYPT_THREADS);
    } finally {
      await slow.onModuleDestroy();
    }
  });

  // with one thread the finishing order is the queue's order; with more, threads overtake each other anyway
  (BCRYPT_THREADS === 1 ? it : it.skip)('hashes in the order asked (a login is never requeued behind later ones)', async () => {
    const finished: number[] = [];
    await Promise.all(
      Array.from({ length: 24 }, (_, i) => passwords.hash(`Password-Number-${i}-ok`).then(() => finished.push(i))),
    );
    expect(finished).toEqual(Array.from({ length: 24 }, (_, i) => i));
  });

  it('lets a running hash finish when the module is destroyed (shutdown)', async () => {
    await passwords.hash('Warm-The-Pool-2026'); // a thread is up and idle
    const running = passwords.hash('Correct-Horse-2026');
    await passwords.onModuleDestroy();
    await expect(running).resolves.toMatch(/^\$2b\$04\$/);
  });

  onLinux('stops its threads when the module is destroyed (shutdown)', async () => {
    const before = hashingThreads();
    await passwords.hash('Correct-Horse-2026');
    expect(hashingThreads()).toBeGreaterThan(before); // kept for the next login (idleTimeout)
    await passwords.onModuleDestroy();
    expect(hashingThreads()).toBe(before);
  });

  it('skips a check whose request ended while it waited, keeps the order, and lets the running ones finish', async () => {
    const slow = service(13);
    try {
      const finished: string[] = [];
      const track = (name: string, call: Promise<unknown>) => outcome(call).then((how) => finished.push(`${name} ${how}`));
      const running = Array.from({ length: BCRYPT_THREADS }, (_, i) => track(`running${i}`, slow.hash(`Keeps-A-Thread-${i}-ok`)));
      const request = new AbortController();
      const left = track('left', slow.hash('Nobody-Waits-For-This-1', request.signal));
      const next = track('next', slow.hash('Waits-Behind-It-2026', new AbortController().signal));
      expect(slow.pending).toBe(BCRYPT_THREADS + 2);
      request.abort();
      await Promise.all([...running, left, next]);
      // the one that left is answered (skipped) when its turn comes, before the one behind it: first in, first out
      expect(finished.slice(BCRYPT_THREADS)).toEqual(['left 503 -', 'next done']);
      expect(new Set(finished.slice(0, BCRYPT_THREADS).map((f) => f.split(' ')[1]))).toEqual(new Set(['done']));
      expect(slow.pending).toBe(0);
    } finally {
      await slow.onModuleDestroy();
    }
  });

  it('answers a check whose request has already ended at once, without a place in line', async () => {
    await expect(outcome(passwords.verifyAgainstDummy('Too-Late-2026', AbortSignal.abort()))).resolves.toBe('503 -');
    expect(passwords.pending).toBe(0);
  });

  it('answers 503 with Retry-After at once while BCRYPT_QUEUE_LIMIT checks wait, and serves again after', async () => {
    const quick = await passwords.hash('Correct-Horse-2026'); // cost 4: checking it takes a millisecond
    const slow = service(13);
    const everyone = new AbortController();
    try {
      const running = Array.from({ length: BCRYPT_THREADS }, (_, i) => slow.hash(`Keeps-A-Thread-${i}-ok`));
      const waiting = Array.from({ length: BCRYPT_QUEUE_LIMIT }, (_, i) => slow.hash(`Waits-In-Line-${i}-ok`, everyone.signal));
      expect(slow.queued).toBe(BCRYPT_QUEUE_LIMIT); // the running ones have a thread, or one starting for them
      await expect(outcome(slow.verify('Correct-Horse-2026', quick))).resolves.toBe('503 5');
      expect(slow.pending).toBe(BCRYPT_THREADS + BCRYPT_QUEUE_LIMIT); // the refusal took no place in line

      everyone.abort(); // their requests ended: each is skipped at its turn, the running hashes finish
      expect(new Set(await Promise.all(running.map(outcome)))).toEqual(new Set(['done']));
      expect(new Set(await Promise.all(waiting.map(outcome)))).toEqual(new Set(['503 -']));
      expect(slow.queued).toBe(0);
      await expect(slow.verify('Correct-Horse-2026', quick)).resolves.toBe(true);
    } finally {
      await slow.onModuleDestroy();
    }
  });

  it('finds its worker file at boot', () => {
    expect(() => passwords.onModuleInit()).not.toThrow();
  });
});
