import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { closedPort } from './databases.js';

function binDir(): string {
  const root = '/usr/lib/postgresql';
  const version = readdirSync(root).sort((a, b) => Number(b) - Number(a))[0];
  return join(root, version, 'bin');
}

/**
 * A private PostgreSQL cluster on a spare port, for outage tests: stopping it never touches the
 * shared server. initdb refuses to run as root, so it runs as the `postgres` user when we are root.
 */
export class ThrowawayPostgres {
  readonly dir: string;
  port = 0;
  private readonly bin = binDir();

  constructor() {
    this.dir = mkdtempSync(join(tmpdir(), 'gad-pg-'));
    chmodSync(this.dir, 0o777);
  }

  get url(): string {
    return `postgresql://postgres@127.0.0.1:${this.port}/postgres`;
  }

  async init(): Promise<this> {
    this.port = await closedPort();
    this.run('initdb', ['-D', join(this.dir, 'data'), '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync']);
    await this.start();
    return this;
  }

  async start(): Promise<void> {
    this.run('pg_ctl', [
      '-D',
      join(this.dir, 'data'),
      '-l',
      join(this.dir, 'log'),
      '-w',
      '-o',
      `-p ${this.port} -k ${this.dir} -c listen_addresses=127.0.0.1 -c fsync=off`,
      'start',
    ]);
  }

  /** `immediate` is a crash-like stop: open connections are cut. */
  async stop(mode: 'fast' | 'immediate' = 'immediate'): Promise<void> {
    this.run('pg_ctl', ['-D', join(this.dir, 'data'), '-m', mode, '-w', 'stop']);
  }

  async destroy(): Promise<void> {
    if (existsSync(join(this.dir, 'data', 'postmaster.pid'))) await this.stop().catch(() => undefined);
    rmSync(this.dir, { recursive: true, force: true });
  }

  private run(tool: string, args: string[]): void {
    const command = join(this.bin, tool);
    const asRoot = process.getuid?.() === 0;
    execFileSync(asRoot ? 'runuser' : command, asRoot ? ['-u', 'postgres', '--', command, ...args] : args, {
      stdio: 'pipe',
      timeout: 60_000,
    });
  }
}

export const hasPostgresBinaries = (): boolean => {
  try {
    return existsSync(join(binDir(), 'initdb'));
  } catch {
    return false;
  }
};
