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

  it('checks an unknown email as long as a known one, the first time too (no hash is made for it)', async () => {
    const timed = async (check: () => Promise<boolean>): Promise<number> => {
      const started = performance.now();
      await expect(check()).resolves.toBe(false);
      return performance.now() - started;
    };
    const costly = service(10);
    try {
      const known = await costly.hash('Correct-Horse-2026');
      await costly.verify('warm-up-the-thread', known);
      const unknownFirst = await timed(() => costly.verifyAgainstDummy('Some-Guess-2026'));
      const knownWrong = Math.min(
        await timed(() => costly.verify('Some-Guess-2026', known)),
        await timed(() => costly.verify('Other-Guess-2026', known)),
      );
      expect(unknownFirst / knownWrong).toBeGreaterThan(0.5); // bcrypt ran its full cost on the dummy
      expect(unknownFirst / knownWrong).toBeLessThan(1.6); // and only once
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

  it('drops a check still waiting for a thread once its request is over; the running ones finish', async () => {
    const slow = service(13);
    try {
      const running = Array.from({ length: BCRYPT_THREADS }, (_, i) => slow.hash(`Keeps-A-Thread-${i}-ok`));
      await until(() => slow.queued === 0, 'the running hashes');
      const request = new AbortController();
      const waiting = slow.hash('Nobody-Waits-For-This-1', request.signal);
      expect(slow.queued).toBe(1);
      request.abort();
      await expect(outcome(waiting)).resolves.toBe('503 -');
      expect(slow.queued).toBe(0);
      expect(new Set(await Promise.all(running)).size).toBe(BCRYPT_THREADS);
    } finally {
      await slow.onModuleDestroy();
    }
  });

  it('answers 503 with Retry-After at once while BCRYPT_QUEUE_LIMIT checks wait, and serves again after', async () => {
    const quick = await passwords.hash('Correct-Horse-2026'); // cost 4: checking it takes a millisecond
    const slow = service(13);
    const everyone = new AbortController();
    try {
      const running = Array.from({ length: BCRYPT_THREADS }, (_, i) => slow.hash(`Keeps-A-Thread-${i}-ok`, everyone.signal));
      await until(() => slow.queued === 0, 'the running hashes');
      const waiting = Array.from({ length: BCRYPT_QUEUE_LIMIT }, (_, i) => slow.hash(`Waits-In-Line-${i}-ok`, everyone.signal));
      expect(slow.queued).toBe(BCRYPT_QUEUE_LIMIT);
      await expect(outcome(slow.verify('Correct-Horse-2026', quick))).resolves.toBe('503 5');
      expect(slow.queued).toBe(BCRYPT_QUEUE_LIMIT); // the refusal took no place in line

      everyone.abort(); // their requests ended: the line empties, the running hashes' threads are stopped
      const ended = await Promise.all([...running, ...waiting].map(outcome));
      expect(new Set(ended)).toEqual(new Set(['503 -']));
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
