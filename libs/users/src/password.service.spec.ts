import type { ConfigType } from '@nestjs/config';
import { readdirSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import type { authConfig } from '@gad/config';
import { PasswordService } from './password.service.js';

/** The nice value of each thread of this process that is not at the default priority (Linux: /proc). */
function lowPriorityThreads(): number[] {
  return readdirSync('/proc/self/task')
    .map((tid) => readFileSync(`/proc/self/task/${tid}/stat`, 'utf8'))
    .map((stat) => Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]))
    .filter((nice) => nice > 0);
}

describe('PasswordService', () => {
  let passwords: PasswordService;
  beforeEach(() => {
    passwords = new PasswordService({ bcryptRounds: 4 } as ConfigType<typeof authConfig>);
  });
  afterEach(() => passwords.onModuleDestroy());

  it('hashes and verifies in its pool', async () => {
    const hash = await passwords.hash('Correct-Horse-2026');
    expect(hash).toMatch(/^\$2b\$04\$/);
    await expect(passwords.verify('Correct-Horse-2026', hash)).resolves.toBe(true);
    await expect(passwords.verify('Wrong-Horse-2026', hash)).resolves.toBe(false);
    await expect(passwords.verify('x'.repeat(73), hash)).resolves.toBe(false);
    await expect(passwords.verifyAgainstDummy('Anything-At-All-1')).resolves.toBe(false);
  });

  it('hashes many at once on at most cores − 1 threads, each below the event loop’s priority', async () => {
    const before = lowPriorityThreads();
    const slow = new PasswordService({ bcryptRounds: 10 } as ConfigType<typeof authConfig>);
    try {
      const all = Promise.all(Array.from({ length: 6 }, (_, i) => slow.hash(`Password-Number-${i}-ok`)));
      await new Promise((resolve) => setTimeout(resolve, 150));
      const during = lowPriorityThreads();
      const hashes = await all;
      expect(new Set(hashes).size).toBe(6);
      const added = during.length - before.length;
      expect(added).toBeGreaterThanOrEqual(1);
      expect(added).toBeLessThanOrEqual(Math.max(1, availableParallelism() - 1));
      expect(during.filter((nice) => nice === 10)).toHaveLength(added + before.filter((nice) => nice === 10).length);
    } finally {
      await slow.onModuleDestroy();
    }
  });

  it('hashes in the order asked (a login is never requeued behind later ones)', async () => {
    const threads = Math.max(1, availableParallelism() - 1);
    const finished: number[] = [];
    await Promise.all(
      Array.from({ length: 24 }, (_, i) => passwords.hash(`Password-Number-${i}-ok`).then(() => finished.push(i))),
    );
    finished.forEach((task, position) => expect(Math.abs(task - position)).toBeLessThan(threads + 1));
  });

  it('lets a running hash finish when the module is destroyed (shutdown)', async () => {
    await passwords.hash('Warm-The-Pool-2026'); // a thread is up and idle
    const running = passwords.hash('Correct-Horse-2026');
    await passwords.onModuleDestroy();
    await expect(running).resolves.toMatch(/^\$2b\$04\$/);
  });

  it('stops its threads when the module is destroyed (shutdown)', async () => {
    const before = lowPriorityThreads().length;
    await passwords.hash('Correct-Horse-2026');
    expect(lowPriorityThreads().length).toBeGreaterThan(before); // kept for the next login (idleTimeout)
    await passwords.onModuleDestroy();
    expect(lowPriorityThreads()).toHaveLength(before);
  });
});
