import { createThrowawayDatabase, type ThrowawayDatabase } from '../support/databases.js';
import { adminSession, call, createUser, type Session } from '../support/http.js';
import { ServerProcess } from '../support/server-process.js';
import { closeAll, connected, dashboardSocket, nextEvent, refused, type ClientSocket } from '../support/socket-client.js';
import { recordScenario } from './support/report.js';
import { runLoad, sleep } from './support/load.js';
import { INSPECT_ENV, Inspector, SERVER_READY } from './support/inspector.js';

const CLIENTS = process.env.FAULTS_FULL ? 2000 : 1000;
const USERS = 10;
const BATCH = 50;
// per connection, after a full GC: a socket.io socket, its engine.io and ws state, rooms and session timers
const PER_CONNECTION_BOUND_KB = 100;

describe('load with sockets', () => {
  let db: ThrowawayDatabase;
  const server = new ServerProcess();
  let inspector: Inspector;
  let admin: Session;
  const tokens: string[] = [];

  beforeAll(async () => {
    db = await createThrowawayDatabase();
    await server.start(
      {
        DATABASE_URL: db.url,
        WS_MAX_CONNECTIONS: String(CLIENTS),
        WS_MAX_CONNECTIONS_PER_USER: String(CLIENTS),
        RATE_LIMIT_CALLS: '1000000',
        LOGIN_MAX_ATTEMPTS: '1000000',
        LOGIN_MAX_ATTEMPTS_PER_ADDRESS: '1000000',
        ...INSPECT_ENV,
      },
      SERVER_READY,
    );
    inspector = await Inspector.connect(server.output);
    admin = await adminSession(server.api);
    for (let i = 0; i < USERS; i++) {
      const user = await createUser(server.api, admin, { email: `sock${i}@example.com`, roles: ['operator'] });
      tokens.push(user.session.token);
    }
  });
  afterAll(async () => {
    closeAll();
    inspector?.close();
    await server.stop();
    await db?.drop();
  });

  it('holds WS_MAX_CONNECTIONS sockets under HTTP load, refuses the next cleanly, and reaches every one with a broadcast', async () => {
    // warm-up: the connect path and its modules, so the baseline is the steady state
    const warm = await Promise.all(
      Array.from({ length: 20 }, (_, i) => connected(dashboardSocket(server.origin, tokens[i % USERS]))),
    );
    for (const socket of warm) socket.disconnect();
    await sleep(500);
    const baseline = await inspector.collectedMemory();

    const stopLoad = new AbortController();
    const started = Date.now();
    const load = runLoad(
      120_000,
      4,
      async (i) => {
        const url = i % 2 === 0 ? `${server.api}/users/me` : `${server.api}/health`;
        return (await call('GET', url, undefined, { token: tokens[i % USERS] })).status;
      },
      20_000,
      stopLoad.signal,
    );

    const adminSocket = await connected(dashboardSocket(server.origin, admin.token));
    const sockets: ClientSocket[] = [adminSocket];
    let connectFailures = 0;
    const connectStarted = Date.now();
    while (sockets.length < CLIENTS) {
      const batch = Math.min(BATCH, CLIENTS - sockets.length);
      const results = await Promise.allSettled(
        Array.from({ length: batch }, (_, i) => connected(dashboardSocket(server.origin, tokens[(sockets.length + i) % USERS]))),
      );
      for (const r of results) {
        if (r.status === 'fulfilled') sockets.push(r.value);
        else connectFailures++;
      }
      if (connectFailures > 0) break;
    }
    const connectMs = Date.now() - connectStarted;

    const extra = await refused(dashboardSocket(server.origin, tokens[0]));
    await sleep(500); // presence updates settle
    const full = await inspector.collectedMemory();

    const message = `aviso ${Date.now()}`;
    const broadcastStarted = Date.now();
    const arrivals = sockets.map((s) =>
      nextEvent(s, 'notification', (n: { message: string }) => n.message === message, 15_000).then(
        () => Date.now() - broadcastStarted,
        () => -1,
      ),
    );
    await adminSocket.emitWithAck('notification:broadcast', { message });
    const times = await Promise.all(arrivals);
    const reached = times.filter((t) => t >= 0).length;
    const lastArrivalMs = Math.max(...times);

    stopLoad.abort();
    const result = await load;
    const heldMs = Date.now() - started;
    const stillConnected = sockets.filter((s) => s.connected).length;
    closeAll();
    await sleep(1000);
    const alive = (await call('GET', `${server.api}/health`)).status;

    const perConnectionKb = Math.round(((full.rssMb - baseline.rssMb) * 1024) / sockets.length);
    const heapPerConnectionKb = Math.round(((full.heapUsedMb - baseline.heapUsedMb) * 1024) / sockets.length);
    const unexpected = Object.keys(result.statuses).filter((s) => s !== '200');
    const ok =
      sockets.length === CLIENTS &&
      connectFailures === 0 &&
      extra.message === 'too_many_connections' &&
      reached === CLIENTS &&
      stillConnected === CLIENTS &&
      unexpected.length === 0 &&
      perConnectionKb <= PER_CONNECTION_BOUND_KB &&
      alive === 200;

    recordScenario({
      scenario: '6. Load with sockets',
      load: `${CLIENTS} Socket.IO clients (${USERS} users' tokens, 1 admin) on one server process, connected ${BATCH} at a time in ${connectMs} ms, while 4 HTTP loops (GET /users/me, /health) ran for ${Math.round(heldMs / 1000)} s`,
      faults: `WS_MAX_CONNECTIONS=${CLIENTS}, then one connection more; one admin broadcast to all`,
      statuses: result.statuses,
      verdict: ok ? 'pass' : 'fail',
      notes:
        `connected ${sockets.length}/${CLIENTS} (${connectFailures} failures); connection ${CLIENTS + 1} refused: "${extra.message}" (${extra.data?.detail}); ` +
        `broadcast reached ${reached}/${CLIENTS}, the last after ${lastArrivalMs} ms; ` +
        `memory per connection ${perConnectionKb} KB RSS (${baseline.rssMb} → ${full.rssMb} MB after a full GC, bound ${PER_CONNECTION_BOUND_KB} KB), ${heapPerConnectionKb} KB of V8 heap; ` +
        `MAX_CONNECTIONS at its default (1000 HTTP connections, besides the sockets); slowest HTTP answer ${result.maxMs} ms`,
    });

    expect(connectFailures).toBe(0);
    expect(sockets).toHaveLength(CLIENTS);
    expect(extra.message).toBe('too_many_connections');
    expect(reached).toBe(CLIENTS);
    expect(stillConnected).toBe(CLIENTS);
    expect(unexpected).toEqual([]);
    expect(perConnectionKb).toBeLessThanOrEqual(PER_CONNECTION_BOUND_KB);
    expect(alive).toBe(200);
  });
});
