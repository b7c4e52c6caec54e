import { closedPort, createThrowawayDatabase, type ThrowawayDatabase } from './support/databases.js';
import { adminSession } from './support/http.js';
import { ServerProcess } from './support/server-process.js';
import { closeAll, connected, dashboardSocket, nextEvent } from './support/socket-client.js';

const readyWorkers = (output: string): number[] => [...output.matchAll(/worker (\d+) ready/g)].map((m) => Number(m[1]));
const TWO_WORKERS = /worker \d+ ready[\s\S]*worker \d+ ready/;

/** A server process and a fresh database for one describe block, both gone after it. */
function serverOnThrowawayDatabase(): { server: ServerProcess; db: ThrowawayDatabase } {
  const suite = { server: new ServerProcess(), db: undefined as unknown as ThrowawayDatabase };
  beforeAll(async () => {
    suite.db = await createThrowawayDatabase();
  });
  afterAll(async () => {
    await suite.server.stop();
    await suite.db?.drop();
  });
  return suite;
}

describe('multi-worker process (WORKERS=2)', () => {
  let db: ThrowawayDatabase;
  const server = new ServerProcess();

  beforeAll(async () => {
    db = await createThrowawayDatabase();
    await server.start(
      { DATABASE_URL: db.url, WORKERS: '2', SHUTDOWN_TIMEOUT_SECONDS: '10', RATE_LIMIT_CALLS: '100000' },
      TWO_WORKERS,
    );
  });

  afterAll(async () => {
    await server.stop();
    await db?.drop();
  });

  it('serves from both workers and aggregates their metrics in the primary', async () => {
    for (let i = 0; i < 20; i++) expect((await fetch(`${server.api}/health`)).status).toBe(200);
    const text = await (await fetch(`${server.origin}/metrics`)).text();
    const count = text
      .split('\n')
      .filter((l) => l.startsWith('http_request_duration_seconds_count') && l.includes('route="/api/v1/health"'))
      .reduce((sum, l) => sum + Number(l.split(' ').pop()), 0);
    expect(count).toBeGreaterThanOrEqual(20);
  });

  it('carries Socket.IO across workers: a broadcast from one client reaches clients on every worker', async () => {
    const admin = await adminSession(server.api);
    const sockets = await Promise.all(Array.from({ length: 6 }, () => connected(dashboardSocket(server.origin, admin.token))));
    try {
      const received = sockets
        .slice(1)
        .map((s) => nextEvent<{ message: string }>(s, 'notification', (n) => n.message === 'across workers', 6000));
      sockets[0].emit('notification:broadcast', { message: 'across workers', level: 'info' });
      expect((await Promise.all(received)).length).toBe(5);
      // polling is off in workers: round-robin would split its requests across processes
      const polling = dashboardSocket(server.origin, admin.token, { transports: ['polling'] });
      await expect(connected(polling)).rejects.toBeDefined();
    } finally {
      closeAll();
    }
  });

  it("sends an admin every worker's traffic on connect: the merged history, and the status with the cluster's rate", async () => {
    const admin = await adminSession(server.api);
    // 120 requests in under a minute: 2 per second over the window, shared round-robin by the two workers
    for (let i = 0; i < 120; i++) expect((await fetch(`${server.api}/health`)).status).toBe(200);
    await new Promise((r) => setTimeout(r, 5600)); // past a slot boundary: both workers have recorded since
    const socket = dashboardSocket(server.origin, admin.token);
    const history = nextEvent<{ interval_ms: number; samples: { t: string; rps: number; p95_ms: number }[] }>(
      socket,
      'system:history',
    );
    const status = nextEvent<{ http: { rps: number } }>(socket, 'system:status');
    try {
      const { interval_ms, samples } = await history;
      expect(interval_ms).toBe(5000);
      const recorded = samples.slice(0, -1);
      for (const s of recorded) expect(Date.parse(s.t) % 5000).toBe(0);
      expect(recorded.map((s) => s.t)).toEqual([...recorded.map((s) => s.t)].sort());
      // one worker alone saw about half of them
      expect(Math.max(...recorded.map((s) => s.rps))).toBeGreaterThanOrEqual(2);
      expect(samples.at(-1)!.rps).toBeGreaterThanOrEqual(2);
      expect((await status).http.rps).toBeGreaterThanOrEqual(2);
    } finally {
      closeAll();
    }
  }, 30_000);

  it('replaces a worker that dies', async () => {
    const [victim] = readyWorkers(server.output);
    process.kill(victim, 'SIGKILL');
    await server.until(() => readyWorkers(server.output).length >= 3, 30_000, 'a replacement worker');
    expect(server.output).toMatch(new RegExp(`worker ${victim} died`));
    for (let i = 0; i < 10; i++) expect((await fetch(`${server.api}/health`)).status).toBe(200);
  });

  it('drains and exits 0 on SIGTERM', async () => {
    server.child.kill('SIGTERM');
    expect(await server.exited()).toBe(0);
  });
});

describe('worker recycling (MAX_REQUESTS)', () => {
  const suite = serverOnThrowawayDatabase();
  const server = suite.server;

  it('replaces a worker after MAX_REQUESTS (+ jitter) without failing a request', async () => {
    await server.start(
      { DATABASE_URL: suite.db.url, WORKERS: '2', MAX_REQUESTS: '10', MAX_REQUESTS_JITTER: '0', RATE_LIMIT_CALLS: '100000' },
      TWO_WORKERS,
    );
    for (let i = 0; i < 40; i++) expect((await fetch(`${server.api}/health`)).status).toBe(200);
    await server.until(
      () => /recycling worker \d+ after 10 requests/.test(server.output) && readyWorkers(server.output).length >= 3,
      20_000,
      'a recycled worker',
    );
    server.child.kill('SIGTERM');
    expect(await server.exited()).toBe(0);
  });
});

/** Exit code and time of a server that is expected to stop on its own within `timeoutMs`. */
async function exitOf(server: ServerProcess, timeoutMs: number): Promise<{ code: number | null; ms: number }> {
  const started = Date.now();
  const timer = setTimeout(() => server.child.kill('SIGKILL'), timeoutMs);
  const code = await server.exited();
  clearTimeout(timer);
  return { code, ms: Date.now() - started };
}

const occurrences = (text: string, part: string): number => text.split(part).length - 1;
const NO_SCHEMA = 'the database has no schema yet';

describe('failing loudly at boot', () => {
  let empty: ThrowawayDatabase;
  const servers: ServerProcess[] = [];
  const server = (): ServerProcess => {
    const s = new ServerProcess();
    servers.push(s);
    return s;
  };

  beforeAll(async () => {
    empty = await createThrowawayDatabase(); // no migrations applied
  });
  afterAll(async () => {
    for (const s of servers) await s.stop();
    await empty?.drop();
  });

  it.each([
    ['3', new RegExp(`primary: worker \\d+ failed to boot: ${NO_SCHEMA}`)],
    ['1', new RegExp(`GRUPO_GAD failed to boot: ${NO_SCHEMA}`)],
  ])(
    'WORKERS=%s ENVIRONMENT=production on an empty database: exits 1 within 15 s, the cause on stderr once',
    async (workers, cause) => {
      const s = await server().spawn({
        ENVIRONMENT: 'production',
        BCRYPT_ROUNDS: '10',
        WORKERS: workers,
        DATABASE_URL: empty.url,
        LOG_LEVEL: 'CRITICAL',
      });
      const { code, ms } = await exitOf(s, 30_000);
      expect(code).toBe(1);
      expect(ms).toBeLessThan(15_000);
      expect(s.stderr).toMatch(cause);
      expect(occurrences(s.output, NO_SCHEMA)).toBe(1);
      expect(s.output).not.toMatch(/worker \d+ ready|starting a replacement/);
      expect(s.output).not.toMatch(/\n\s+at /); // a cause, not a stack trace
    },
    40_000,
  );

  it.each(['3', '1'])(
    'WORKERS=%s with a DATABASE_URL nothing answers: exits 1 with the cause, never the password',
    async (workers) => {
      const port = await closedPort();
      const s = await server().spawn({
        WORKERS: workers,
        DATABASE_URL: `postgresql://gad:s3cret-pw@127.0.0.1:${port}/gad`,
        LOG_LEVEL: 'CRITICAL',
      });
      const { code } = await exitOf(s, 40_000);
      expect(code).toBe(1);
      expect(s.stderr).toMatch(/failed to boot: .*ECONNREFUSED/);
      expect(occurrences(s.stderr, 'failed to boot')).toBe(1);
      expect(s.output).not.toContain('s3cret-pw');
    },
    50_000,
  );
});

describe('workers that keep crashing after boot (WORKER_CRASH_LIMIT)', () => {
  const suite = serverOnThrowawayDatabase();
  const server = suite.server;

  it('replaces a crashed worker with a growing delay, then stops with exit 1 and the last cause', async () => {
    await server.start(
      { DATABASE_URL: suite.db.url, WORKERS: '2', WORKER_CRASH_LIMIT: '2', WORKER_CRASH_WINDOW_SECONDS: '120' },
      TWO_WORKERS,
    );
    const killAndAwait = async (ready: number): Promise<number> => {
      const [victim] = readyWorkers(server.output).slice(-1);
      process.kill(victim, 'SIGKILL');
      await server.until(() => readyWorkers(server.output).length >= ready, 30_000, `worker ${ready} ready`);
      return victim;
    };
    await killAndAwait(3);
    expect(server.output).toMatch(/worker \d+ died \(SIGKILL\); starting a replacement in 1 s/);
    await killAndAwait(4);
    expect(server.output).toMatch(/worker \d+ died \(SIGKILL\); starting a replacement in 2 s/);
    expect((await fetch(`${server.api}/health`)).status).toBe(200);

    const [last] = readyWorkers(server.output).slice(-1);
    process.kill(last, 'SIGKILL');
    const { code } = await exitOf(server, 30_000);
    expect(code).toBe(1);
    expect(server.stderr).toContain(`3 worker crashes within 120 s (WORKER_CRASH_LIMIT=2); last: worker ${last} died (SIGKILL)`);
  }, 90_000);
});
