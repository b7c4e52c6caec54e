import { createThrowawayDatabase, type ThrowawayDatabase } from './support/databases.js';
import { adminSession } from './support/http.js';
import { ServerProcess } from './support/server-process.js';
import { closeAll, connected, dashboardSocket, nextEvent } from './support/socket-client.js';

const readyWorkers = (output: string): number[] => [...output.matchAll(/worker (\d+) ready/g)].map((m) => Number(m[1]));
const TWO_WORKERS = /worker \d+ ready[\s\S]*worker \d+ ready/;

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
  let db: ThrowawayDatabase;
  const server = new ServerProcess();

  beforeAll(async () => {
    db = await createThrowawayDatabase();
  });
  afterAll(async () => {
    await server.stop();
    await db?.drop();
  });

  it('replaces a worker after MAX_REQUESTS (+ jitter) without failing a request', async () => {
    await server.start(
      { DATABASE_URL: db.url, WORKERS: '2', MAX_REQUESTS: '10', MAX_REQUESTS_JITTER: '0', RATE_LIMIT_CALLS: '100000' },
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
