import { connect } from 'node:net';
import { createThrowawayDatabase, type ThrowawayDatabase } from '../support/databases.js';
import { adminSession, call, type Session } from '../support/http.js';
import { ServerProcess } from '../support/server-process.js';
import { sendBody, type SentBody } from '../support/raw-http.js';
import { recordScenario } from './support/report.js';
import { runLoad, sleep } from './support/load.js';
import { INSPECT_ENV, Inspector, SERVER_READY } from './support/inspector.js';
import { samplePeakRss } from './support/memory.js';

const HEADERS_TIMEOUT_S = 2;
const REQUEST_TIMEOUT_S = 3;
// Node checks for expired requests every second (connectionsCheckingInterval), plus scheduling slack
const CUT_SLACK_MS = 1500;
const FULL = Boolean(process.env.FAULTS_FULL);
const SLOW_CLIENTS = FULL ? 200 : 20;
const SLOW_BODIES = 5;
const IDLE_CLIENTS = 5;
const UPLOADS = FULL ? 50 : 20;
const LIMIT = 10 * 1024 * 1024;
const UPLOAD_SIZE = 11 * 1024 * 1024;
// after a full GC, once it is all over: freed upload buffers can leave the allocator holding some
// pages (RSS: glibc keeps 60-90 MB of the socket reads' buffers on Node 24, 15-25 MB on Node 20), but the
// V8 heap in use must come back, and the same burst again must find that memory rather than add to it
const RSS_AFTER_BOUND_MB = 128;
const RSS_REPEAT_BOUND_MB = 32;
const HEAP_AFTER_BOUND_MB = 10;

interface Cut {
  /** ms from connect until the server closed the connection; -1 when the test gave up first */
  ms: number;
  /** the status line the server sent before closing, if any */
  answer: string;
}

/** A raw TCP client that sends `head`, then one byte of `drip` every `everyMs`, until the server hangs up. */
function dripping(port: number, head: string, drip: string, everyMs: number, giveUpMs: number): Promise<Cut> {
  return new Promise((resolve) => {
    const started = Date.now();
    const socket = connect(port, '127.0.0.1');
    let answer = '';
    let timer: NodeJS.Timeout | undefined;
    const giveUp = setTimeout(() => {
      settled = true;
      socket.destroy();
      resolve({ ms: -1, answer });
    }, giveUpMs);
    let settled = false;
    socket.on('connect', () => {
      if (head) socket.write(head);
      if (drip) timer = setInterval(() => socket.write(drip), everyMs);
    });
    socket.on('data', (d) => (answer += d.toString('latin1')));
    socket.on('error', () => undefined); // a write after the server hung up; 'close' follows
    socket.on('close', () => {
      clearInterval(timer);
      clearTimeout(giveUp);
      if (!settled) resolve({ ms: Date.now() - started, answer: answer.split('\r\n')[0] });
    });
  });
}

/** Streams `size` bytes of JSON to `path` (declared, or chunked) until the server answers. */
function upload(origin: string, path: string, size: number, chunked: boolean): Promise<SentBody> {
  return sendBody(origin, path, { headers: { 'Content-Type': 'application/json' }, size, chunked });
}

function tally<T>(items: T[], key: (item: T) => string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const item of items) counts[key(item)] = (counts[key(item)] ?? 0) + 1;
  return counts;
}

describe('slowloris and big bodies', () => {
  let db: ThrowawayDatabase;
  const server = new ServerProcess();
  let inspector: Inspector;
  let admin: Session;

  beforeAll(async () => {
    db = await createThrowawayDatabase();
    await server.start(
      {
        DATABASE_URL: db.url,
        HEADERS_TIMEOUT_SECONDS: String(HEADERS_TIMEOUT_S),
        REQUEST_TIMEOUT_SECONDS: String(REQUEST_TIMEOUT_S),
        MAX_REQUEST_BODY_SIZE: String(LIMIT),
        MAX_SMALL_REQUEST_BODY_SIZE: String(LIMIT), // the uploads go to the login route
        RATE_LIMIT_CALLS: '1000000',
        LOGIN_MAX_ATTEMPTS: '1000000',
        LOGIN_MAX_ATTEMPTS_PER_ADDRESS: '1000000',
        ...INSPECT_ENV,
      },
      SERVER_READY,
    );
    inspector = await Inspector.connect(server.output);
    admin = await adminSession(server.api);
  });
  afterAll(async () => {
    inspector?.close();
    await server.stop();
    await db?.drop();
  });

  it('cuts slow headers and slow bodies by the server timeouts, refuses big bodies without holding them, and keeps serving', async () => {
    const pid = server.child.pid!;
    const port = server.port;
    const baseline = await inspector.collectedMemory();

    // 1. slow headers, idle connections and slow bodies, while normal requests keep coming
    const giveUpMs = (REQUEST_TIMEOUT_S + 10) * 1000;
    const slowHeaders = Array.from({ length: SLOW_CLIENTS }, () =>
      dripping(port, 'GET /api/v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ', 'a', 200, giveUpMs),
    );
    const idle = Array.from({ length: IDLE_CLIENTS }, () => dripping(port, '', '', 0, giveUpMs));
    const body = '{"email":"slow@example.com","password":"';
    const slowBodies = Array.from({ length: SLOW_BODIES }, () =>
      dripping(
        port,
        `POST /api/v1/auth/login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n${body}`,
        'a',
        200,
        giveUpMs,
      ),
    );
    const stopLoad = new AbortController();
    const load = runLoad(
      giveUpMs,
      4,
      async (i) => {
        const url = i % 2 === 0 ? `${server.api}/users/me` : `${server.api}/health`;
        return (await call('GET', url, undefined, { token: admin.token })).status;
      },
      20_000,
      stopLoad.signal,
    );
    const [headerCuts, idleCuts, bodyCuts] = await Promise.all([
      Promise.all(slowHeaders),
      Promise.all(idle),
      Promise.all(slowBodies),
    ]);
    stopLoad.abort();
    const served = await load;

    // 2. many big uploads at once: declared (413 before reading), then chunked (cut at the limit)
    const origin = server.origin;
    const beforeDeclared = await inspector.collectedMemory();
    const declaredPeak = samplePeakRss(pid);
    const declared = await Promise.all(
      Array.from({ length: UPLOADS }, () => upload(origin, '/api/v1/auth/login', UPLOAD_SIZE, false)),
    );
    const declaredPeakMb = declaredPeak.stop();
    const beforeChunked = await inspector.collectedMemory();
    const chunkedPeak = samplePeakRss(pid);
    const chunked = await Promise.all(
      Array.from({ length: UPLOADS }, () => upload(origin, '/api/v1/auth/login', UPLOAD_SIZE, true)),
    );
    const chunkedPeakMb = chunkedPeak.stop();

    await sleep(500);
    const alive = (await call('GET', `${server.api}/users/me`, undefined, { token: admin.token })).status;
    const after = await inspector.collectedMemory();
    // the same burst again: held memory that is reused, not a leak, does not grow
    await Promise.all(Array.from({ length: UPLOADS }, () => upload(origin, '/api/v1/auth/login', UPLOAD_SIZE, true)));
    await sleep(500);
    const again = await inspector.collectedMemory();
    const repeatGrownMb = Math.round((again.rssMb - after.rssMb) * 10) / 10;

    const headerBoundMs = HEADERS_TIMEOUT_S * 1000 + CUT_SLACK_MS;
    const bodyBoundMs = REQUEST_TIMEOUT_S * 1000 + CUT_SLACK_MS;
    const worst = (cuts: Cut[]) => (cuts.some((c) => c.ms < 0) ? -1 : Math.max(...cuts.map((c) => c.ms)));
    const headersCutInTime = headerCuts.every((c) => c.ms >= 0 && c.ms <= headerBoundMs);
    const idleCutInTime = idleCuts.every((c) => c.ms >= 0 && c.ms <= headerBoundMs);
    const bodiesCutInTime = bodyCuts.every((c) => c.ms >= 0 && c.ms <= bodyBoundMs);
    const declaredRefused = declared.every((u) => u.status === 413);
    const chunkedRefused = chunked.every((u) => u.status === 413);
    const grownMb = Math.round((after.rssMb - baseline.rssMb) * 10) / 10;
    const heapGrownMb = Math.round((after.heapUsedMb - baseline.heapUsedMb) * 10) / 10;
    // a declared body is never parsed, but each connection's socket reads that arrived before the refusal
    // paused it are held until it closes (up to ~1.5 MB each on loopback; 16 MB in all was at the noise edge
    // here even before the abuse work: +15.8); a chunked one is held by the JSON parser up to the limit, no further
    const declaredAllowanceMb = Math.round(UPLOADS * 1.5);
    const declaredBoundMb = beforeDeclared.rssMb + declaredAllowanceMb;
    // each upload's text up to the limit, plus the socket buffers it was decoded from until a collection frees
    // them and the allocator gives the pages back (1.5-1.8x the limit per upload measured on Node 24, by GC timing)
    const chunkedBoundMb = Math.round(beforeChunked.rssMb + (UPLOADS * LIMIT * 2) / 1048576 + 32);
    const servedOk = Object.keys(served.statuses).every((s) => s === '200');
    const statuses = {
      ...tally([...headerCuts, ...idleCuts, ...bodyCuts], (c) => `${/^HTTP\/1\.1 (\d+)/.exec(c.answer)?.[1] ?? 'closed'} (cut)`),
      ...served.statuses,
      ...tally(declared, (u) => `${u.status} (declared upload)`),
      ...tally(chunked, (u) => `${u.status} (chunked upload)`),
    };
    const ok =
      headersCutInTime &&
      idleCutInTime &&
      bodiesCutInTime &&
      servedOk &&
      declaredRefused &&
      chunkedRefused &&
      declaredPeakMb <= declaredBoundMb &&
      chunkedPeakMb <= chunkedBoundMb &&
      grownMb <= RSS_AFTER_BOUND_MB &&
      repeatGrownMb <= RSS_REPEAT_BOUND_MB &&
      heapGrownMb <= HEAP_AFTER_BOUND_MB &&
      alive === 200;

    const mb = (bytes: number) => Math.round(bytes / 1048576);
    recordScenario({
      scenario: '8. Slowloris and big bodies',
      load: `normal GETs (4 loops) beside ${SLOW_CLIENTS} slow-header, ${IDLE_CLIENTS} idle and ${SLOW_BODIES} slow-body connections; then ${UPLOADS} concurrent 11 MB uploads with Content-Length, then ${UPLOADS} chunked`,
      faults: `headers and bodies sent 1 byte per 200 ms; HEADERS_TIMEOUT_SECONDS=${HEADERS_TIMEOUT_S}, REQUEST_TIMEOUT_SECONDS=${REQUEST_TIMEOUT_S}, MAX_REQUEST_BODY_SIZE=10 MB`,
      statuses,
      verdict: ok ? 'pass' : 'fail',
      notes:
        `slow headers cut after at most ${worst(headerCuts)} ms, idle connections ${worst(idleCuts)} ms (bound ${headerBoundMs}); slow bodies ${worst(bodyCuts)} ms (bound ${bodyBoundMs}); ` +
        `normal requests slowest ${served.maxMs} ms; declared uploads answered in at most ${Math.max(...declared.map((u) => u.ms))} ms after ≤ ${mb(Math.max(...declared.map((u) => u.sent)))} MB sent, chunked in ${Math.max(...chunked.map((u) => u.ms))} ms after ≤ ${mb(Math.max(...chunked.map((u) => u.sent)))} MB; ` +
        `server RSS (after a full GC) ${beforeDeclared.rssMb} MB → peak ${declaredPeakMb} MB during the declared uploads (bound +${declaredAllowanceMb}: none is parsed), ${beforeChunked.rssMb} → peak ${chunkedPeakMb} MB during the chunked ones (bound ${chunkedBoundMb}: the JSON parser holds each up to the 10 MB limit); ${baseline.rssMb} MB at the start → ${after.rssMb} MB at the end (+${grownMb}, bound +${RSS_AFTER_BOUND_MB}), ${again.rssMb} MB after the chunked burst again (+${repeatGrownMb}, bound +${RSS_REPEAT_BOUND_MB}), V8 heap in use +${heapGrownMb} MB (bound +${HEAP_AFTER_BOUND_MB}); still serving: ${alive === 200}`,
    });

    expect(headerCuts.map((c) => c.ms).filter((ms) => ms < 0 || ms > headerBoundMs)).toEqual([]);
    expect(idleCuts.map((c) => c.ms).filter((ms) => ms < 0 || ms > headerBoundMs)).toEqual([]);
    expect(bodyCuts.map((c) => c.ms).filter((ms) => ms < 0 || ms > bodyBoundMs)).toEqual([]);
    expect(served.statuses).toEqual({ '200': served.outcomes.length });
    expect(tally(declared, (u) => String(u.status))).toEqual({ '413': UPLOADS });
    expect(tally(chunked, (u) => String(u.status))).toEqual({ '413': UPLOADS });
    expect(declaredPeakMb).toBeLessThanOrEqual(declaredBoundMb);
    expect(chunkedPeakMb).toBeLessThanOrEqual(chunkedBoundMb);
    expect(grownMb).toBeLessThanOrEqual(RSS_AFTER_BOUND_MB);
    expect(repeatGrownMb).toBeLessThanOrEqual(RSS_REPEAT_BOUND_MB);
    expect(heapGrownMb).toBeLessThanOrEqual(HEAP_AFTER_BOUND_MB);
    expect(alive).toBe(200);
  });
});
