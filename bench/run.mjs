// The benchmark suite: the built API (production mode, PostgreSQL + Redis, 1 worker) against the bare-Node
// baseline (bench/baseline.mjs) in the same run, on the same core. See bench/README.md.
//
//   npm run bench                       build, then the full run (~10 s per row; exits 1 when a target is missed)
//   BENCH_SHORT=1 node bench/run.mjs    ~3 s per row, short warm-up, reports only (never fails on targets)
//   BENCH_DURATION=20 node bench/run.mjs
//
// Framework floors (row group `frameworks`): right after the GET /health rows, a hello world on NestJS+Express,
// NestJS+Fastify, Express and Fastify (bench/frameworks.mjs) gets the same /health measurement, pinned like the
// baseline. Informational only: never part of the targets or the exit code.
//
// Other knobs: BENCH_DATABASE_URL (maintenance DB URL, default postgresql://postgres@127.0.0.1:5432/postgres;
// TEST_DATABASE_URL is used when set), BENCH_REDIS_URL / TEST_REDIS_URL (redis://127.0.0.1:6379),
// BENCH_BCRYPT_ROUNDS (12), BENCH_PROBE_RATE (200 req/s), BENCH_FANOUT_CLIENTS (500), BENCH_NO_PIN=1,
// BENCH_WARMUP (seconds), BENCH_STATS_FLUSH_MS (how long to wait for pg_stat counters).
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import pg from 'pg';
import {
  BENCH_DIR,
  PREFIX,
  RESULTS_DIR,
  backgroundLoad,
  closedLoop,
  cpuModel,
  databaseUrl,
  expectStatus,
  freePort,
  gitDescribe,
  noiseMeter,
  waitForQuiet,
  openLoopProbe,
  pgAdmin,
  pinSelf,
  pinningPlan,
  redisCleanup,
  request,
  round,
  rssMb,
  sleep,
  startProcess,
  stopProcess,
  xactCount,
} from './lib.mjs';
import {
  ADMIN_DB_URL,
  LOGIN_MAX_ATTEMPTS,
  RATE_LIMIT_CALLS,
  REDIS_URL,
  ROUNDS,
  apiEnv,
  bootApi,
  firstBootAndSeed,
  login,
  newIdentity,
  snapshotDist,
} from './api.mjs';
import { measureFanout, realtimeAvailable } from './fanout.mjs';
import { KINDS as FRAMEWORK_KINDS } from './frameworks.mjs';

const SHORT = process.env.BENCH_SHORT === '1';
const DURATION = Number(process.env.BENCH_DURATION) > 0 ? Number(process.env.BENCH_DURATION) : SHORT ? 3 : 10;
const WARMUP =
  Number(process.env.BENCH_WARMUP) >= 0 && process.env.BENCH_WARMUP ? Number(process.env.BENCH_WARMUP) : SHORT ? 1 : 3;
const PROBE_RATE = Number(process.env.BENCH_PROBE_RATE || 200);
const FANOUT_CLIENTS = Number(process.env.BENCH_FANOUT_CLIENTS || 500);
const RT_REQUESTS = SHORT ? 500 : 2000;
// Experiments: BENCH_ROWS=probe_idle,probe_storm (scenario ids, plus `frameworks`, `roundtrips` and `fanout`) runs
// only those;
// BENCH_API_ENV='{"UV_THREADPOOL_SIZE":"8"}' adds environment variables to the API (not the baseline).
const ONLY = process.env.BENCH_ROWS ? new Set(process.env.BENCH_ROWS.split(',').map((s) => s.trim())) : undefined;
const wanted = (id) => !ONLY || ONLY.has(id);
const API_ENV_EXTRA = process.env.BENCH_API_ENV ? JSON.parse(process.env.BENCH_API_ENV) : {};
// BENCH_WAIT_QUIET=120: before each row, wait up to that many seconds for other work on the machine to drop
// below 10% of all cores (a shared machine makes every number noisy; the "other CPU" column shows how much).
const QUIET_WAIT = Number(process.env.BENCH_WAIT_QUIET || 0);
const TARGETS = {
  usersMeRatio: 0.35,
  usersMeRoundTrips: 0.01, // "0 per request": ≤ 0.01 leaves room for one cache refill per TTL in N requests
  healthRatio: 0.35,
  stormP99Factor: 2,
  idleRssMb: 150,
  bootToReadyMs: 3000,
};

const ID = newIdentity('bench');
const DB_NAME = ID.dbName;
const PROJECT_NAME = ID.projectName;

const log = (...args) => console.log(`[bench ${new Date().toISOString().slice(11, 19)}]`, ...args);

const state = { api: undefined, baseline: undefined, framework: undefined, admin: undefined, dbCreated: false, cleaned: false };
const FRAMEWORKS_NOTE =
  'framework floors (`… (hello)` rows, bench/frameworks.mjs): a hello world serving only GET /api/v1/health → {"status":"ok"} on each framework with its defaults (NestJS with logger off and the api/v1 prefix), pinned and loaded exactly like the /health row — the ceiling the framework leaves before any of our own code runs. Informational: not part of the targets or the exit code.';

async function startBaseline(plan) {
  const proc = startProcess(plan, [join(BENCH_DIR, 'baseline.mjs')], {
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      NODE_ENV: 'production',
      PORT: '0',
      HOST: '127.0.0.1',
      SECRET_KEY: ID.secretKey,
      PROJECT_NAME,
      BCRYPT_ROUNDS: String(ROUNDS),
      BASELINE_USERS: JSON.stringify([
        {
          email: ID.adminEmail,
          password: ID.adminPassword,
          full_name: 'Administrador Sistema',
          is_superuser: true,
          roles: ['admin'],
        },
        { email: ID.userEmail, password: ID.userPassword, full_name: 'Bench User', roles: ['operator'] },
      ]),
    },
    logFile: join(RESULTS_DIR, 'baseline.log'),
  });
  state.baseline = proc;
  for (let i = 0; i < 600; i++) {
    const match = /READY (\d+) (.*)/.exec(proc.output());
    if (match) {
      const users = JSON.parse(match[2]);
      return { proc, port: Number(match[1]), userId: users.find((u) => u.email === ID.userEmail).id };
    }
    if (proc.child.exitCode !== null) throw new Error(`baseline exited:\n${proc.output()}`);
    await sleep(50);
  }
  throw new Error(`baseline did not start:\n${proc.output()}`);
}

/** Starts one framework hello world (bench/frameworks.mjs) pinned like the baseline; waits for `READY <port>`. */
async function startFramework(plan, kind) {
  const proc = startProcess(plan, [join(BENCH_DIR, 'frameworks.mjs')], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, NODE_ENV: 'production', KIND: kind, PORT: '0', HOST: '127.0.0.1' },
    logFile: join(RESULTS_DIR, `framework-${kind}.log`),
  });
  state.framework = proc;
  for (let i = 0; i < 600; i++) {
    const match = /READY (\d+)/.exec(proc.output());
    if (match) return { proc, port: Number(match[1]) };
    if (proc.child.exitCode !== null || proc.child.signalCode !== null) throw new Error(`exited:\n${proc.output()}`);
    await sleep(50);
  }
  await stopProcess(proc, 2000);
  throw new Error(`did not start:\n${proc.output()}`);
}

/**
 * Round trips per request, from pg_stat_database on the dedicated bench database. PostgreSQL ≥ 15 flushes a
 * backend's counters when it goes idle, but at most once a second and otherwise within 10 s
 * (PGSTAT_IDLE_INTERVAL); ≤ 14 sends them to the collector every 500 ms. So every read waits `flushMs` after
 * the last request. A background window of the same length (no requests) is subtracted.
 */
async function roundTrips(admin, flushMs, measurements) {
  const out = {};
  await sleep(flushMs);
  let before = await xactCount(admin, DB_NAME);
  let lastAt = performance.now();
  for (const m of measurements) {
    await m.run();
    await sleep(flushMs);
    const after = await xactCount(admin, DB_NAME);
    const now = performance.now();
    out[m.name] = { requests: m.requests, transactions: after - before, windowMs: Math.round(now - lastAt) };
    before = after;
    lastAt = now;
  }
  await sleep(flushMs);
  const idleAfter = await xactCount(admin, DB_NAME);
  const idleWindowMs = performance.now() - lastAt;
  const backgroundPerMs = (idleAfter - before) / idleWindowMs;
  for (const m of measurements) {
    const r = out[m.name];
    r.background = round(backgroundPerMs * r.windowMs, 2);
    r.perRequest = round(Math.max(0, r.transactions - r.background) / r.requests, 3);
  }
  return { ...out, backgroundTransactionsPerSecond: round(backgroundPerMs * 1000, 3) };
}

function sendN(port, path, token, amount, connections = 10) {
  return autocannon({
    url: `http://127.0.0.1:${port}${path}`,
    connections,
    pipelining: 1,
    amount,
    headers: token ? { authorization: `Bearer ${token}` } : {},
    timeout: 10,
  }).then((r) => {
    if (r.non2xx || r.errors) throw new Error(`${path}: ${r.non2xx} non-2xx, ${r.errors} errors while counting round trips`);
    return r;
  });
}

/**
 * The API's event-loop delay since the previous call, from prom-client's default metrics on /metrics
 * (monitorEventLoopDelay; prom-client resets it on every scrape). Null when metrics are off or unreadable.
 */
async function metricsText(port) {
  try {
    const res = await request(port, 'GET', '/metrics', { timeoutMs: 5000 });
    return res.status === 200 ? res.text : null;
  } catch {
    return null;
  }
}

/** V8 heap and external memory from prom-client's default metrics: where the RSS goes. */
async function memoryBreakdown(port) {
  const text = await metricsText(port);
  if (!text) return null;
  const read = (name) => {
    const m = new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.eE+-]+)$`, 'm').exec(text);
    return m ? round(Number(m[1]) / 1048576, 1) : null;
  };
  return {
    heapTotalMb: read('nodejs_heap_size_total_bytes'),
    heapUsedMb: read('nodejs_heap_size_used_bytes'),
    externalMb: read('nodejs_external_memory_bytes'),
  };
}

async function eventLoopLag(port) {
  try {
    const res = await request(port, 'GET', '/metrics', { timeoutMs: 5000 });
    if (res.status !== 200) return null;
    const read = (name) => {
      const m = new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.eE+-]+)$`, 'm').exec(res.text);
      return m ? round(Number(m[1]) * 1000, 2) : null;
    };
    return { p99Ms: read('nodejs_eventloop_lag_p99_seconds'), maxMs: read('nodejs_eventloop_lag_max_seconds') };
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------- reporting

const fmt = (v, d = 1) => (v === null || v === undefined ? '—' : typeof v === 'number' ? v.toFixed(d) : String(v));

function ratioText(row, base) {
  if (!base) return '—';
  if (row.kind === 'probe') return base.p99 > 0 ? `p99 ${(row.p99 / base.p99).toFixed(2)}×` : '—';
  return base.reqPerSec > 0 ? `${Math.round((row.reqPerSec / base.reqPerSec) * 100)}%` : '—';
}

function tableLines(rows) {
  const header = [
    'row',
    'server',
    'conn',
    'req/s',
    'p50 ms',
    'p99 ms',
    'non-2xx',
    'errors',
    'vs baseline',
    'CPU µs/req',
    'other CPU',
  ];
  const lines = rows.map((r) => [
    r.label,
    r.server,
    String(r.connections),
    fmt(r.reqPerSec),
    fmt(r.p50, 2),
    fmt(r.p99, 2),
    String(r.non2xx),
    String(r.errors),
    r.server !== 'baseline'
      ? ratioText(
          r,
          rows.find((b) => b.id === (r.ratioTo ?? r.id) && b.server === 'baseline'),
        )
      : '',
    r.cpuUsPerRequest === undefined ? '—' : fmt(r.cpuUsPerRequest),
    r.otherCpuPct === null || r.otherCpuPct === undefined ? '—' : `${Math.round(r.otherCpuPct)}%`,
  ]);
  return { header, lines };
}

function consoleTable(rows) {
  const { header, lines } = tableLines(rows);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const line = (cells) => cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...lines.map(line)].join('\n');
}

function markdownTable(rows) {
  const { header, lines } = tableLines(rows);
  return [
    `| ${header.join(' | ')} |`,
    `|${header.map((_, i) => (i < 2 ? ' --- ' : ' ---: ')).join('|')}|`,
    ...lines.map((l) => `| ${l.join(' | ')} |`),
  ].join('\n');
}

function extrasLines(result) {
  const m = result.metrics;
  const rt = m.roundTrips ?? {};
  const f = m.fanout;
  const lag = (id) => result.rows.find((r) => r.id === id && r.server === 'api')?.eventLoopLag;
  const lagText = (l) => (l ? `p99 ${fmt(l.p99Ms, 1)} ms, max ${fmt(l.maxMs, 1)} ms` : '—');
  const floors = result.rows.filter((r) => r.id === 'frameworks');
  return [
    ...(floors.length || m.frameworkFailures?.length
      ? [
          FRAMEWORKS_NOTE +
            (m.frameworkFailures?.length
              ? ` Not measured: ${m.frameworkFailures.map((x) => `${x.server} (${x.error})`).join('; ')}.`
              : ''),
        ]
      : []),
    `API event-loop delay (prom-client, /metrics) during the /health probe: idle ${lagText(lag('probe_idle'))}; during the login storm ${lagText(lag('probe_storm'))}`,
    `API idle RSS before load: ${fmt(m.idleRssMb)} MB` +
      (m.idleMemory
        ? ` (V8 heap ${fmt(m.idleMemory.heapUsedMb)} used of ${fmt(m.idleMemory.heapTotalMb)} MB, external ${fmt(m.idleMemory.externalMb)} MB)`
        : '') +
      `; after the run: ${fmt(m.rssAfterMb)} MB (baseline idle ${fmt(m.baselineIdleRssMb)} MB)`,
    `boot to ready on PostgreSQL (migrations already applied): ${fmt(m.bootToReadyMs, 0)} ms (first boot, applying migrations: ${fmt(m.firstBootMs, 0)} ms)`,
    `DB round trips per GET /users/me on a warm cache: ${fmt(rt.usersMe?.perRequest, 3)} (${rt.usersMe?.transactions ?? '—'} transactions for ${rt.usersMe?.requests ?? '—'} requests, background ${fmt(rt.usersMe?.background, 2)})` +
      (rt.calibration ? `; calibration: ${fmt(rt.calibration.perRequest, 3)} per statement read back (expected 1.000)` : ''),
    f?.ok
      ? `Socket.IO fan-out to ${f.clients} clients: p50 ${fmt(f.p50, 2)} ms, p99 ${fmt(f.p99, 2)} ms, max ${fmt(f.max, 2)} ms (${f.broadcasts} broadcasts, ${f.receipts} receipts, ${f.missing} missing)`
      : `Socket.IO fan-out: ${f?.note ?? 'not run'}`,
  ];
}

function targetsLines(result) {
  return result.targets.map((t) => `${t.pass ? 'PASS' : 'MISS'}  ${t.name}: ${t.actual} (target ${t.target})`);
}

function markdown(result) {
  const meta = result.meta;
  return [
    `# Benchmark results`,
    '',
    `${meta.date} · commit ${meta.commit} · Node ${meta.node} · ${meta.cpu} × ${meta.cores} · ${meta.mode} run (${meta.durationSec} s per row, ${meta.warmupSec} s warm-up)`,
    '',
    `- ${meta.pinning}`,
    `- ${meta.limits}`,
    `- bcrypt cost ${meta.bcryptRounds} on both servers; open-loop probe at ${meta.probeRate} req/s; pipelining 1.`,
    "- `CPU µs/req`: the server process's CPU time (user + system, from /proc) per answered request over the measured run; it moves far less than req/s when other work takes the cores.",
    '- `other CPU`: share of all cores that processes other than the bench, its two servers, PostgreSQL and Redis used during the row: the noise in that row.',
    `- load average before/after the run: ${meta.loadAverageBefore.join(', ')} / ${meta.loadAverageAfter.join(', ')} (other work on the machine makes numbers noisy; ratios within one run are what the targets use).`,
    `- DB round trips: ${meta.roundTripMethod}`,
    '',
    markdownTable(result.rows),
    '',
    ...extrasLines(result).map((l) => `- ${l}`),
    '',
    '## Targets',
    '',
    ...targetsLines(result).map((l) => `- ${l}`),
    '',
    result.meta.short
      ? '_Short run: targets are reported, never enforced._'
      : result.passed
        ? '**All targets met.**'
        : '**Targets missed.**',
    '',
  ].join('\n');
}

// ---------------------------------------------------------------- main

async function cleanup() {
  if (state.cleaned) return;
  state.cleaned = true;
  await Promise.all([stopProcess(state.api), stopProcess(state.baseline), stopProcess(state.framework, 2000)]).catch(() => {});
  if (state.admin) {
    if (state.dbCreated) {
      await state.admin
        .query(`DROP DATABASE IF EXISTS "${DB_NAME}" WITH (FORCE)`)
        .catch((e) => log(`could not drop ${DB_NAME}: ${e.message}`));
    }
    await state.admin.end().catch(() => {});
  }
  await redisCleanup(REDIS_URL, `${PROJECT_NAME}:`).catch(() => 0);
}

async function main() {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const main = snapshotDist();
  const plan = pinningPlan();
  if (plan.enabled) pinSelf(plan.loadCore);
  log(plan.note);
  log(`${SHORT ? 'short' : 'full'} run: ${DURATION} s per row, ${WARMUP} s warm-up; database ${DB_NAME}; API ${main}`);
  const loadBefore = loadavg().map((l) => round(l, 2));
  if (loadBefore[0] > plan.cores * 0.5) {
    log(
      `warning: the machine is busy before the run (load average ${loadBefore.join(', ')} on ${plan.cores} cores): numbers will be noisy`,
    );
  }

  state.admin = await pgAdmin(ADMIN_DB_URL);
  const serverVersion = Number((await state.admin.query('SHOW server_version_num')).rows[0].server_version_num);
  const flushMs = Number(process.env.BENCH_STATS_FLUSH_MS) || (serverVersion >= 150000 ? 11_000 : 1_000);
  await state.admin.query(`CREATE DATABASE "${DB_NAME}"`);
  state.dbCreated = true;

  // First boot: applies migrations and seeds the admin; finish the forced password change, create a user.
  const port = await freePort();
  log('first boot (RUN_MIGRATIONS=true, empty database), seeding…');
  const firstBootMs = await firstBootAndSeed(plan, ID, { main, port, onSpawn: (p) => (state.api = p) });

  // Second boot: migrations already applied — this is the boot-to-ready figure.
  log('second boot (migrations already applied): timing spawn → first 200 from /health/ready…');
  const { proc: api, readyMs: bootToReadyMs } = await bootApi(plan, {
    main,
    port,
    env: apiEnv(ID, { port, runMigrations: true, extra: API_ENV_EXTRA }),
    logName: 'api.log',
    onSpawn: (p) => (state.api = p),
  });
  await sleep(2000);
  const idleRssMb = rssMb(api.pid);
  const idleMemory = await memoryBreakdown(port);
  log(`boot to ready ${bootToReadyMs} ms; idle RSS ${idleRssMb} MB (${JSON.stringify(idleMemory)})`);

  const adminToken = await login(port, ID.adminEmail, ID.adminPassword);
  const userToken = await login(port, ID.userEmail, ID.userPassword);
  const me = await expectStatus(request(port, 'GET', `${PREFIX}/users/me`, { token: userToken }), 200, 'GET /users/me');
  const userId = me.json.id;
  await expectStatus(request(port, 'GET', `${PREFIX}/users/${userId}`, { token: adminToken }), 200, 'GET /users/{id} as admin');

  const baseline = await startBaseline(plan);
  await sleep(500);
  const baselineIdleRssMb = rssMb(baseline.proc.pid);
  const bAdminToken = await login(baseline.port, ID.adminEmail, ID.adminPassword);
  const bUserToken = await login(baseline.port, ID.userEmail, ID.userPassword);
  await expectStatus(request(baseline.port, 'GET', `${PREFIX}/users/me`, { token: bUserToken }), 200, 'baseline /users/me');

  const servers = [
    {
      server: 'baseline',
      port: baseline.port,
      pid: state.baseline?.pid,
      adminToken: bAdminToken,
      userToken: bUserToken,
      userId: baseline.userId,
    },
    { server: 'api', port, pid: state.api?.pid, adminToken, userToken, userId },
  ];
  const loginBody = { email: ID.userEmail, password: ID.userPassword };
  const scenarios = [
    { id: 'health', label: 'GET /health', kind: 'closed', connections: 50, path: () => `${PREFIX}/health` },
    // Framework floors: the /health row above on a hello world per framework (informational).
    { id: 'frameworks', label: 'GET /health', kind: 'frameworks', connections: 50 },
    {
      id: 'users_me',
      label: 'GET /users/me (bearer)',
      kind: 'closed',
      connections: 50,
      path: () => `${PREFIX}/users/me`,
      token: (s) => s.userToken,
    },
    {
      id: 'users_id',
      label: 'GET /users/{id} (admin)',
      kind: 'closed',
      connections: 50,
      path: (s) => `${PREFIX}/users/${s.userId}`,
      token: (s) => s.adminToken,
    },
    {
      id: 'login',
      label: 'POST /auth/login',
      kind: 'closed',
      connections: 4,
      method: 'POST',
      body: loginBody,
      path: () => `${PREFIX}/auth/login`,
    },
    { id: 'probe_idle', label: `/health open-loop ${PROBE_RATE}/s idle`, kind: 'probe', connections: 'open' },
    {
      id: 'probe_storm',
      label: `/health open-loop ${PROBE_RATE}/s, login storm c=4`,
      kind: 'probe',
      connections: 'open',
      storm: true,
    },
  ];

  const rows = [];
  const frameworkFailures = [];
  const meter = noiseMeter(() => [process.pid, state.api?.pid, state.baseline?.pid, state.framework?.pid].filter(Boolean));
  for (const sc of scenarios.filter((x) => wanted(x.id))) {
    if (sc.kind === 'frameworks') {
      const health = scenarios.find((x) => x.id === 'health');
      const measureHealth = (s) =>
        closedLoop({
          port: s.port,
          path: health.path(s),
          connections: health.connections,
          durationSec: DURATION,
          warmupSec: WARMUP,
          pid: s.pid ?? s.proc?.pid,
        });
      // The ratios need the baseline's /health row: measure it here when the health rows were not selected.
      if (!rows.some((r) => r.id === 'health' && r.server === 'baseline')) {
        if (QUIET_WAIT > 0) await waitForQuiet(meter, { maxWaitSec: QUIET_WAIT, log });
        log(`${health.label} → baseline (reference for the framework floors)…`);
        const noise = meter.start();
        const r = await measureHealth(servers[0]);
        r.otherCpuPct = meter.stop(noise);
        rows.push({
          id: 'health',
          label: health.label,
          kind: 'closed',
          server: 'baseline',
          connections: health.connections,
          ...r,
        });
        log(
          `  ${fmt(r.reqPerSec)} req/s, p50 ${fmt(r.p50, 2)} ms, p99 ${fmt(r.p99, 2)} ms, non-2xx ${r.non2xx}, errors ${r.errors}`,
        );
      }
      for (const [kind, server] of Object.entries(FRAMEWORK_KINDS)) {
        let fw;
        try {
          fw = await startFramework(plan, kind);
          await expectStatus(request(fw.port, 'GET', health.path(fw)), 200, `${server} ${health.path(fw)}`);
          await sleep(500);
          const idleRss = rssMb(fw.proc.pid);
          if (QUIET_WAIT > 0) await waitForQuiet(meter, { maxWaitSec: QUIET_WAIT, log });
          log(`${sc.label} → ${server}…`);
          const noise = meter.start();
          const r = await measureHealth(fw);
          r.otherCpuPct = meter.stop(noise);
          r.idleRssMb = idleRss;
          rows.push({
            id: sc.id,
            label: sc.label,
            kind: 'closed',
            server,
            framework: kind,
            ratioTo: 'health',
            informational: true,
            connections: health.connections,
            ...r,
          });
          log(
            `  ${fmt(r.reqPerSec)} req/s, p50 ${fmt(r.p50, 2)} ms, p99 ${fmt(r.p99, 2)} ms, non-2xx ${r.non2xx}, errors ${r.errors}; idle RSS ${fmt(idleRss)} MB`,
          );
        } catch (error) {
          // Informational rows: a framework that cannot start is reported, never fails the run.
          const message = String(error?.message ?? error).split('\n')[0];
          frameworkFailures.push({ server, error: message });
          log(`  ${server} not measured: ${String(error?.message ?? error).slice(0, 2000)}`);
        } finally {
          await stopProcess(fw?.proc ?? state.framework, 2000);
          state.framework = undefined;
        }
      }
      continue;
    }
    for (const s of servers) {
      if (QUIET_WAIT > 0) await waitForQuiet(meter, { maxWaitSec: QUIET_WAIT, log });
      log(`${sc.label} → ${s.server}…`);
      const noise = meter.start();
      let r;
      if (sc.kind === 'closed') {
        r = await closedLoop({
          port: s.port,
          path: sc.path(s),
          method: sc.method,
          token: sc.token?.(s),
          body: sc.body,
          connections: sc.connections,
          durationSec: DURATION,
          warmupSec: WARMUP,
          pid: s.pid,
        });
      } else {
        const path = `${PREFIX}/health`;
        await openLoopProbe({ port: s.port, path, rate: PROBE_RATE, durationSec: WARMUP }); // warm-up
        if (s.server === 'api') await eventLoopLag(s.port); // resets prom-client's event-loop histogram
        if (sc.storm) {
          const storm = backgroundLoad({
            port: s.port,
            path: `${PREFIX}/auth/login`,
            method: 'POST',
            body: loginBody,
            connections: 4,
            maxSec: DURATION + WARMUP + 30,
          });
          await sleep(WARMUP * 1000 || 1000); // let the storm reach steady state
          r = await openLoopProbe({ port: s.port, path, rate: PROBE_RATE, durationSec: DURATION });
          const stormResult = await storm.stop();
          r.storm = stormResult;
          if (stormResult.non2xx || stormResult.errors) {
            r.non2xx += stormResult.non2xx ?? 0;
            r.errors += stormResult.errors ?? 0;
          }
        } else {
          r = await openLoopProbe({ port: s.port, path, rate: PROBE_RATE, durationSec: DURATION });
        }
        if (s.server === 'api') r.eventLoopLag = await eventLoopLag(s.port);
      }
      r.otherCpuPct = meter.stop(noise);
      rows.push({ id: sc.id, label: sc.label, kind: sc.kind, server: s.server, connections: sc.connections, ...r });
      log(
        `  ${fmt(r.reqPerSec)} req/s, p50 ${fmt(r.p50, 2)} ms, p99 ${fmt(r.p99, 2)} ms, non-2xx ${r.non2xx}, errors ${r.errors}` +
          (r.eventLoopLag
            ? `; API event-loop delay p99 ${fmt(r.eventLoopLag.p99Ms, 1)} ms, max ${fmt(r.eventLoopLag.maxMs, 1)} ms`
            : '') +
          (r.storm ? `; storm ${fmt(r.storm.reqPerSec)} logins/s` : ''),
      );
    }
  }

  // Database round trips per authenticated request on a warm cache.
  let roundTripResult = { usersMe: { perRequest: null }, skipped: true };
  if (wanted('roundtrips')) {
    log(`counting database round trips (pg_stat_database, waits ${flushMs} ms for each stats flush)…`);
    await sendN(port, `${PREFIX}/users/me`, userToken, 200); // make sure the cache is warm
    const measurements = [
      { name: 'usersMe', requests: RT_REQUESTS, run: () => sendN(port, `${PREFIX}/users/me`, userToken, RT_REQUESTS) },
    ];
    // Calibration (full runs): 200 statements that read a table, sent by the bench on its own idle connection to
    // the bench database, must count as 200 — this checks the flush wait. (Statements that touch no table, like
    // the readiness probe's `SELECT 1`, are not flushed by PostgreSQL ≥ 15 until a later one does: not usable.)
    let calibration;
    if (!SHORT) {
      calibration = new pg.Client({
        connectionString: databaseUrl(ADMIN_DB_URL, DB_NAME),
        application_name: 'gad-bench-calibration',
      });
      await calibration.connect();
      measurements.push({
        name: 'calibration',
        requests: 200,
        run: async () => {
          for (let i = 0; i < 200; i++) await calibration.query('SELECT count(*) FROM migrations');
        },
      });
    }
    try {
      roundTripResult = await roundTrips(state.admin, flushMs, measurements);
    } finally {
      await calibration?.end();
    }
    log(`  ${JSON.stringify(roundTripResult)}`);
  }

  // Socket.IO fan-out, when realtime exists.
  let fanout = { ok: false, note: 'not run (BENCH_ROWS)' };
  const available = wanted('fanout') ? await realtimeAvailable(port, userToken) : fanout;
  if (available.ok) {
    log(`Socket.IO fan-out to ${FANOUT_CLIENTS} clients…`);
    fanout = await measureFanout({
      port,
      adminToken,
      listenerToken: userToken,
      clients: FANOUT_CLIENTS,
      broadcasts: SHORT ? 10 : 20,
    });
  } else if (wanted('fanout')) {
    fanout = { ok: false, note: available.note };
  }
  log(`  fan-out: ${fanout.ok ? `p50 ${fanout.p50} ms, p99 ${fanout.p99} ms` : fanout.note}`);

  await sleep(2000);
  const rssAfterMb = rssMb(api.pid);

  const get = (id, server) => rows.find((r) => r.id === id && r.server === server);
  const has = (...ids) => ids.every((id) => get(id, 'api') && get(id, 'baseline'));
  const ratio = (id) => get(id, 'api').reqPerSec / get(id, 'baseline').reqPerSec;
  const bad = rows.filter((r) => !r.informational && (r.non2xx > 0 || r.errors > 0));
  const notRun = (name, target) => ({ name, target, actual: 'not run', pass: true, skipped: true });
  const targets = [
    has('users_me')
      ? {
          name: 'GET /users/me req/s vs baseline',
          target: `≥ ${TARGETS.usersMeRatio * 100}%`,
          actual: `${(ratio('users_me') * 100).toFixed(1)}%`,
          pass: ratio('users_me') >= TARGETS.usersMeRatio,
        }
      : notRun('GET /users/me req/s vs baseline', `≥ ${TARGETS.usersMeRatio * 100}%`),
    roundTripResult.skipped
      ? notRun('DB round trips per GET /users/me (warm cache)', '0')
      : {
          name: 'DB round trips per GET /users/me (warm cache)',
          target: `0 (≤ ${TARGETS.usersMeRoundTrips})`,
          actual: fmt(roundTripResult.usersMe.perRequest, 3),
          pass: roundTripResult.usersMe.perRequest <= TARGETS.usersMeRoundTrips,
        },
    has('health')
      ? {
          name: 'GET /health req/s vs baseline',
          target: `≥ ${TARGETS.healthRatio * 100}%`,
          actual: `${(ratio('health') * 100).toFixed(1)}%`,
          pass: ratio('health') >= TARGETS.healthRatio,
        }
      : notRun('GET /health req/s vs baseline', `≥ ${TARGETS.healthRatio * 100}%`),
    has('probe_idle', 'probe_storm')
      ? (() => {
          const idleP99 = get('probe_idle', 'api').p99;
          const stormP99 = get('probe_storm', 'api').p99;
          return {
            name: '/health p99 during login storm vs idle',
            target: `≤ ${TARGETS.stormP99Factor}× idle`,
            actual: `${fmt(stormP99, 2)} ms vs ${fmt(idleP99, 2)} ms idle (${(stormP99 / idleP99).toFixed(2)}×)`,
            pass: stormP99 <= TARGETS.stormP99Factor * idleP99,
          };
        })()
      : notRun('/health p99 during login storm vs idle', `≤ ${TARGETS.stormP99Factor}× idle`),
    {
      name: 'API idle RSS',
      target: `≤ ${TARGETS.idleRssMb} MB`,
      actual: `${fmt(idleRssMb)} MB`,
      pass: idleRssMb !== null && idleRssMb <= TARGETS.idleRssMb,
    },
    {
      name: 'boot to ready on PostgreSQL',
      target: `≤ ${TARGETS.bootToReadyMs} ms`,
      actual: `${bootToReadyMs} ms`,
      pass: bootToReadyMs <= TARGETS.bootToReadyMs,
    },
    (() => {
      const problems = bad.map((r) => `${r.label} [${r.server}]: ${r.non2xx} non-2xx, ${r.errors} errors`);
      const connectErrors = Object.values(fanout.connectErrors ?? {}).reduce((a, b) => a + b, 0);
      if (fanout.ok && (fanout.missing > 0 || connectErrors > 0)) {
        problems.push(`fan-out: ${fanout.missing} receipts missing, ${connectErrors} sockets refused`);
      }
      return {
        name: 'no non-2xx responses or errors (no row here is about limits)',
        target: '0',
        actual: problems.length ? problems.join('; ') : '0',
        pass: problems.length === 0,
      };
    })(),
  ];

  const result = {
    meta: {
      date: new Date().toISOString(),
      commit: gitDescribe(),
      node: process.version,
      cpu: cpuModel(),
      cores: plan.cores,
      mode: SHORT ? 'short' : 'full',
      short: SHORT,
      durationSec: DURATION,
      warmupSec: WARMUP,
      bcryptRounds: ROUNDS,
      probeRate: PROBE_RATE,
      rowsFilter: ONLY ? [...ONLY] : undefined,
      apiEnvExtra: Object.keys(API_ENV_EXTRA).length ? API_ENV_EXTRA : undefined,
      loadAverageBefore: loadBefore,
      loadAverageAfter: loadavg().map((l) => round(l, 2)),
      pinning: plan.note,
      limits: `RATE_LIMIT_CALLS=${RATE_LIMIT_CALLS} and LOGIN_MAX_ATTEMPTS=${LOGIN_MAX_ATTEMPTS} on the API so the limiters do not distort throughput rows (throttling itself is tested elsewhere); ENVIRONMENT=production, NODE_ENV=production, WORKERS=1, LOG_LEVEL=WARNING, PostgreSQL ${serverVersion}, Redis at ${REDIS_URL}.`,
      roundTripMethod: `pg_stat_database (xact_commit + xact_rollback) deltas on the dedicated database ${DB_NAME}, read from a connection to the maintenance database after pg_stat_clear_snapshot() and a ${flushMs} ms wait for the stats flush, minus an idle background window.`,
    },
    rows,
    metrics: {
      idleRssMb,
      idleMemory,
      rssAfterMb,
      baselineIdleRssMb,
      bootToReadyMs,
      firstBootMs,
      roundTrips: roundTripResult,
      fanout,
      frameworkFailures: frameworkFailures.length ? frameworkFailures : undefined,
    },
    targets,
    passed: targets.every((t) => t.pass),
  };

  const table = consoleTable(rows);
  console.log(`\n${table}\n`);
  for (const l of extrasLines(result)) console.log(l);
  console.log(`\n${result.meta.limits}\n${result.meta.pinning}\n`);
  for (const l of targetsLines(result)) console.log(l);
  // Experiments (a subset of rows, or extra API environment) must not replace the committed picture.
  const stem = ONLY || Object.keys(API_ENV_EXTRA).length ? 'experiment' : 'latest';
  writeFileSync(join(RESULTS_DIR, `${stem}.json`), `${JSON.stringify(result, null, 2)}\n`);
  writeFileSync(join(RESULTS_DIR, `${stem}.md`), markdown(result));
  log(`wrote bench/results/${stem}.json and bench/results/${stem}.md`);
  return result;
}

let exitCode = 0;
const onSignal = (signal) => {
  log(`${signal}: cleaning up`);
  cleanup().finally(() => process.exit(130));
};
process.once('SIGINT', onSignal);
process.once('SIGTERM', onSignal);
try {
  const result = await main();
  if (!result.passed) {
    const missed = result.targets.filter((t) => !t.pass).map((t) => t.name);
    if (SHORT) log(`short run: ${missed.length} target(s) missed, reported only: ${missed.join('; ')}`);
    else {
      console.error(`\nTargets missed: ${missed.join('; ')}`);
      exitCode = 1;
    }
  }
} catch (error) {
  console.error(`bench failed: ${error?.stack ?? error}`);
  exitCode = 2;
} finally {
  await cleanup();
}
process.exit(exitCode);
