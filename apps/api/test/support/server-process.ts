import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { closedPort } from './databases.js';
import { TEST_ADMIN_PASSWORD, TEST_SECRET_KEY, tempDir } from './test-env.js';

export const ROOT = resolve(import.meta.dirname, '../../../..');
export const MAIN = join(ROOT, 'dist/apps/api/src/main.js');
/** The node flags production runs the server with (start.sh, npm start). */
export const NODE_FLAGS = readFileSync(join(ROOT, 'scripts/lib/node-flags'), 'utf8').trim().split(/\s+/);

/** The built server in a child process (npm test builds first), for signals, workers and crashes. */
export class ServerProcess {
  child!: ChildProcess;
  output = '';
  stderr = '';
  port = 0;

  get origin(): string {
    return `http://127.0.0.1:${this.port}`;
  }
  get api(): string {
    return `${this.origin}/api/v1`;
  }

  async start(env: Record<string, string>, waitFor = /listening on|worker \d+ ready/): Promise<this> {
    await this.spawn(env);
    await this.until(() => waitFor.test(this.output), 30_000, `server start (${waitFor})`);
    return this;
  }

  /** Starts the server without waiting for it (for boots that are meant to fail). */
  async spawn(env: Record<string, string>): Promise<this> {
    this.port = await closedPort();
    this.child = spawn(process.execPath, [...NODE_FLAGS, MAIN], {
      cwd: tempDir(),
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        ENVIRONMENT: 'test',
        HOST: '127.0.0.1',
        PORT: String(this.port),
        SECRET_KEY: TEST_SECRET_KEY,
        ADMIN_PASSWORD: TEST_ADMIN_PASSWORD,
        BCRYPT_ROUNDS: '4',
        LOG_LEVEL: 'ERROR',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child.stdout!.on('data', (d) => (this.output += d));
    this.child.stderr!.on('data', (d) => {
      this.output += d;
      this.stderr += d;
    });
    return this;
  }

  async until(condition: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
    const started = Date.now();
    while (Date.now() - started < timeoutMs) {
      if (this.child.exitCode !== null && !/exit/.test(what))
        throw new Error(`server exited (${this.child.exitCode}) while waiting for ${what}:\n${this.output}`);
      if (await condition()) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`timed out waiting for ${what}:\n${this.output.slice(-2000)}`);
  }

  exited(): Promise<number | null> {
    // a child killed by a signal keeps exitCode null (signalCode is set): it has exited all the same
    if (this.child.exitCode !== null || this.child.signalCode !== null) return Promise.resolve(this.child.exitCode);
    return new Promise((r) => this.child.once('exit', (code) => r(code)));
  }

  async stop(): Promise<void> {
    if (this.child && this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill('SIGKILL');
      await this.exited();
    }
  }
}
