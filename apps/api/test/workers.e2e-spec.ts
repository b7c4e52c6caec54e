import { spawn, type ChildProcess } from 'node:child_process';
import { join, resolve } from 'node:path';
import { closedPort, createThrowawayDatabase, type ThrowawayDatabase } from './support/databases.js';
import { TEST_ADMIN_PASSWORD, TEST_SECRET_KEY, tempDir } from './support/test-env.js';
import { adminSession } from './support/http.js';
import { closeAll, connected, dashboardSocket, nextEvent } from './support/socket-client.js';

const ROOT = resolve(import.meta.dirname, '../../..');
const MAIN = join(ROOT, 'dist/apps/api/src/main.js');

function readyWorkers(output: string): number[] {
  return [...output.matchAll(/worker (\d+) ready/g)].map((m) => Number(m[1]));
}

async function until(condition: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const started = Date.now();
  while (Date.now() - started < timeoutMs) {
    if (await condition()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('multi-worker process (WORKERS=2)', () => {
  let db: ThrowawayDatabase;
  let child: ChildProcess;
  let output = '';
  let base = '';

  beforeAll(async () => {
    db = await createThrowawayDatabase();
    const port = await closedPort();
    base = `http://127.0.0.1:${port}`;
    child = spawn(process.execPath, [MAIN], {
      cwd: tempDir(),
      env: {
        PATH: process.env.PATH,
        ENVIRONMENT: 'test',
        WORKERS: '2',
        PORT: String(port),
        HOST: '127.0.0.1',
        DATABASE_URL: db.url,
        SECRET_KEY: TEST_SECRET_KEY,
        ADMIN_PASSWORD: TEST_ADMIN_PASSWORD,
        BCRYPT_ROUNDS: '4',
        LOG_LEVEL: 'ERROR',
        SHUTDOWN_TIMEOUT_SECONDS: '10',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.on('data', (d) => (output += d));
    child.stderr!.on('data', (d) => (output += d));
    await until(() => readyWorkers(output).length >= 2, 30_000, 'two workers');
  });

  afterAll(async () => {
    if (child.exitCode === null) {
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
    }
    await db?.drop();
  });

  it('serves from both workers and aggregates their metrics in the primary', async () => {
    for (let i = 0; i < 20; i++) expect((await fetch(`${base}/api/v1/health`)).status).toBe(200);
    const text = await (await fetch(`${base}/metrics`)).text();
    const count = text
      .split('\n')
      .filter((l) => l.startsWith('http_request_duration_seconds_count') && l.includes('route="/api/v1/health"'))
      .reduce((sum, l) => sum + Number(l.split(' ').pop()), 0);
    expect(count).toBeGreaterThanOrEqual(20);
  });

  it('carries Socket.IO across workers: a broadcast from one client reaches clients on every worker', async () => {
    const admin = await adminSession(base + '/api/v1');
    const sockets = await Promise.all(Array.from({ length: 6 }, () => connected(dashboardSocket(base, admin.token))));
    try {
      const received = sockets
        .slice(1)
        .map((s) => nextEvent<{ message: string }>(s, 'notification', (n) => n.message === 'across workers', 6000));
      sockets[0].emit('notification:broadcast', { message: 'across workers', level: 'info' });
      expect((await Promise.all(received)).length).toBe(5);
      // polling is off in workers: round-robin would split its requests across processes
      const polling = dashboardSocket(base, admin.token, { transports: ['polling'] });
      await expect(connected(polling)).rejects.toBeDefined();
    } finally {
      closeAll();
    }
  });

  it('replaces a worker that dies', async () => {
    const [victim] = readyWorkers(output);
    process.kill(victim, 'SIGKILL');
    await until(() => readyWorkers(output).length >= 3, 30_000, 'a replacement worker');
    expect(output).toMatch(new RegExp(`worker ${victim} died`));
    for (let i = 0; i < 10; i++) expect((await fetch(`${base}/api/v1/health`)).status).toBe(200);
  });

  it('drains and exits 0 on SIGTERM', async () => {
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});

describe('worker recycling (MAX_REQUESTS)', () => {
  let db: ThrowawayDatabase;
  let child: ChildProcess;
  let output = '';

  beforeAll(async () => {
    db = await createThrowawayDatabase();
  });
  afterAll(async () => {
    if (child && child.exitCode === null) {
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
    }
    await db?.drop();
  });

  it('replaces a worker after MAX_REQUESTS (+ jitter) without failing a request', async () => {
    const port = await closedPort();
    child = spawn(process.execPath, [MAIN], {
      cwd: tempDir(),
      env: {
        PATH: process.env.PATH,
        ENVIRONMENT: 'test',
        WORKERS: '2',
        PORT: String(port),
        HOST: '127.0.0.1',
        DATABASE_URL: db.url,
        SECRET_KEY: TEST_SECRET_KEY,
        ADMIN_PASSWORD: TEST_ADMIN_PASSWORD,
        LOG_LEVEL: 'ERROR',
        MAX_REQUESTS: '10',
        MAX_REQUESTS_JITTER: '0',
        RATE_LIMIT_CALLS: '100000',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.on('data', (d) => (output += d));
    child.stderr!.on('data', (d) => (output += d));
    await until(() => readyWorkers(output).length >= 2, 30_000, 'two workers');
    for (let i = 0; i < 40; i++) expect((await fetch(`http://127.0.0.1:${port}/api/v1/health`)).status).toBe(200);
    await until(
      () => /recycling worker \d+ after 10 requests/.test(output) && readyWorkers(output).length >= 3,
      20_000,
      'a recycled worker',
    );
    child.kill('SIGTERM');
    expect(await new Promise((r) => child.once('exit', r))).toBe(0);
  });
});
