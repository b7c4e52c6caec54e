// Shared pieces of the bench: processes, pinning, PostgreSQL counters, HTTP helpers, load runs.
import autocannon from 'autocannon';
import { execFileSync, spawn } from 'node:child_process';
import { createWriteStream, existsSync, readFileSync, readdirSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';

export { sleep };
export const BENCH_DIR = dirname(fileURLToPath(import.meta.url));
export const ROOT = dirname(BENCH_DIR);
export const RESULTS_DIR = join(BENCH_DIR, 'results');
export const API_MAIN = join(ROOT, 'dist/apps/api/src/main.js');
export const PREFIX = '/api/v1';

// ---------------------------------------------------------------- pinning

/** taskset when present and the machine has ≥ 2 cores: servers on core 0, the load generator on core 1. */
export function pinningPlan() {
  let taskset;
  try {
    execFileSync('taskset', ['-V'], { stdio: 'ignore' });
    taskset = true;
  } catch {
    taskset = false;
  }
  const cores = cpus().length;
  const enabled = taskset && cores >= 2 && process.env.BENCH_NO_PIN !== '1';
  return {
    enabled,
    cores,
    serverCore: 0,
    loadCore: 1,
    note: enabled
      ? 'taskset: servers (API, baseline, framework floors) pinned to core 0; the bench process (autocannon, probes, socket clients) pinned to core 1 with `taskset -a -p -c 1` (all its threads). PostgreSQL and Redis are not pinned (system services).'
      : `no pinning (${taskset ? `${cores} core(s)` : 'taskset not found'}${process.env.BENCH_NO_PIN === '1' ? ', BENCH_NO_PIN=1' : ''}): servers and load generator share the CPU; ratios still compare like with like.`,
  };
}

/** Pins every thread of this process (the load generator) to one core. */
export function pinSelf(core) {
  execFileSync('taskset', ['-a', '-p', '-c', String(core), String(process.pid)], { stdio: 'ignore' });
}

/** [command, args] that start `node …args` pinned to `core` when pinning is on. */
export function nodeCommand(plan, args) {
  return plan.enabled ? ['taskset', ['-c', String(plan.serverCore), process.execPath, ...args]] : [process.execPath, args];
}

// ---------------------------------------------------------------- processes

export async function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/**
 * Spawns a server; stdout/stderr go to `logFile`. Returns { child, pid, exited, output() }.
 * With taskset, `taskset -c 0 node …` execs node, so the pid is node's own.
 */
export function startProcess(plan, args, { env, cwd = ROOT, logFile }) {
  const [cmd, argv] = nodeCommand(plan, args);
  const child = spawn(cmd, argv, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const log = logFile ? createWriteStream(logFile) : undefined;
  let output = '';
  const collect = (chunk) => {
    if (output.length < 200_000) output += chunk.toString();
    log?.write(chunk);
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  exited.then(() => log?.end());
  return { child, pid: child.pid, exited, output: () => output };
}

/** SIGTERM, then SIGKILL after `graceMs`. Only the process we started, by its pid. */
export async function stopProcess(proc, graceMs = 15_000) {
  if (!proc || proc.child.exitCode !== null || proc.child.signalCode !== null) return proc ? proc.exited : undefined;
  proc.child.kill('SIGTERM');
  const timer = setTimeout(() => proc.child.kill('SIGKILL'), graceMs);
  const result = await proc.exited;
  clearTimeout(timer);
  return result;
}

/** Resident set size in MB from /proc/<pid>/status (VmRSS), or null where /proc is missing. */
export function rssMb(pid) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = Number(/VmRSS:\s+(\d+)\s+kB/.exec(status)?.[1]);
    return Number.isFinite(kb) ? Math.round((kb / 1024) * 10) / 10 : null;
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------- HTTP

/** One request over a fresh connection; JSON body in and out. */
export function request(port, method, path, { body, token, headers = {}, timeoutMs = 30_000 } = {}) {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        method,
        path,
        agent: false,
        headers: {
          ...(payload ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {}),
          ...(token ? { authorization: `Bearer ${token}` } : {}),
          ...headers,
        },
      },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json;
          try {
            json = text ? JSON.parse(text) : undefined;
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode, headers: res.headers, text, json });
        });
      },
    );
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`${method} ${path}: timeout`)));
    req.on('error', reject);
    if (payload) req.write(payload);
    req.end();
  });
}

export async function expectStatus(promise, status, what) {
  const res = await promise;
  if (res.status !== status) throw new Error(`${what}: expected ${status}, got ${res.status} ${res.text.slice(0, 300)}`);
  return res;
}

/** Polls GET `path` every `everyMs` until 200; returns ms since `since` (performance.now()). */
export async function waitFor200(port, path, { since, timeoutMs = 60_000, everyMs = 20, proc } = {}) {
  const start = since ?? performance.now();
  const deadline = start + timeoutMs;
  for (let i = 0; performance.now() < deadline && i < 100_000; i++) {
    if (proc && (proc.child.exitCode !== null || proc.child.signalCode !== null)) {
      throw new Error(`process exited before ${path} answered 200:\n${proc.output().slice(-3000)}`);
    }
    try {
      const res = await request(port, 'GET', path, { timeoutMs: 2000 });
      if (res.status === 200) return performance.now() - start;
    } catch {
      // not listening yet
    }
    await sleep(everyMs);
  }
  throw new Error(`${path} did not answer 200 within ${timeoutMs} ms${proc ? `:\n${proc.output().slice(-3000)}` : ''}`);
}

// ---------------------------------------------------------------- load

const round = (n, d = 2) => (n === null || n === undefined || Number.isNaN(n) ? null : Math.round(n * 10 ** d) / 10 ** d);
export { round };

/** autocannon with a warm-up run first; returns the measured run's summary. */
/**
 * Closed-loop autocannon run (after a warm-up). With `pid`, also the server's CPU time (user + system)
 * per answered request over the measured run: unlike req/s, it hardly moves when other work takes the
 * machine's cores, so it is the steadier number to compare servers by.
 */
export async function closedLoop({ port, path, method = 'GET', token, body, connections, durationSec, warmupSec, pid }) {
  const opts = {
    url: `http://127.0.0.1:${port}${path}`,
    method,
    connections,
    pipelining: 1,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body ? { 'content-type': 'application/json' } : {}),
    },
    body: body ? JSON.stringify(body) : undefined,
    timeout: 10,
  };
  if (warmupSec > 0) await autocannon({ ...opts, duration: warmupSec });
  const cpuBefore = pid ? readJiffies(pid) : 0;
  const r = await autocannon({ ...opts, duration: durationSec });
  const summary = summarizeAutocannon(r);
  if (pid && summary.requests > 0) {
    summary.cpuUsPerRequest = round(((readJiffies(pid) - cpuBefore) * (1e6 / CLOCK_TICKS)) / summary.requests, 1);
  }
  return summary;
}

// USER_HZ: /proc/<pid>/stat counts CPU time in these ticks (100 per second on Linux)
const CLOCK_TICKS = 100;

export function summarizeAutocannon(r) {
  return {
    reqPerSec: round(r.requests.total / r.duration, 1),
    requests: r.requests.total,
    p50: r.latency.p50,
    p99: r.latency.p99,
    latencyMean: round(r.latency.average, 2),
    non2xx: r.non2xx,
    errors: r.errors + r.timeouts,
    durationSec: round(r.duration, 2),
  };
}

/** Starts an autocannon run in the background; `stop()` ends it and resolves its summary. */
export function backgroundLoad({ port, path, method = 'GET', body, connections, maxSec }) {
  let finished;
  const done = new Promise((resolve) => {
    finished = resolve;
  });
  const instance = autocannon(
    {
      url: `http://127.0.0.1:${port}${path}`,
      method,
      connections,
      pipelining: 1,
      headers: body ? { 'content-type': 'application/json' } : {},
      body: body ? JSON.stringify(body) : undefined,
      duration: maxSec,
      timeout: 10,
    },
    (err, result) => finished(err ? { error: String(err) } : summarizeAutocannon(result)),
  );
  return {
    stop: () => {
      instance.stop();
      return done;
    },
  };
}

function percentile(sorted, p) {
  if (sorted.length === 0) return null;
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[idx];
}
export { percentile };

/**
 * Open-loop probe: GET `path` at a fixed `rate` for `durationSec`, whatever the answers do (autocannon is
 * closed-loop and would slow down with the server). Latency is measured from each request's *scheduled*
 * send time, so queueing anywhere (client, kernel, server) counts and coordinated omission does not hide it.
 */
export async function openLoopProbe({ port, path, rate = 200, durationSec = 10, timeoutMs = 5000 }) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const total = Math.max(1, Math.round(rate * durationSec));
  const interval = 1000 / rate;
  const latencies = [];
  let non2xx = 0;
  let errors = 0;
  const inflight = new Set();
  const fire = (scheduled) => {
    const p = new Promise((resolve) => {
      const req = http.get({ host: '127.0.0.1', port, path, agent }, (res) => {
        res.resume();
        res.on('end', () => {
          latencies.push(performance.now() - scheduled);
          if (res.statusCode < 200 || res.statusCode >= 300) non2xx += 1;
          resolve();
        });
      });
      req.setTimeout(timeoutMs, () => req.destroy(new Error('timeout')));
      req.on('error', () => {
        errors += 1;
        resolve();
      });
    });
    inflight.add(p);
    p.then(() => inflight.delete(p));
  };
  const start = performance.now();
  let sent = 0;
  await new Promise((resolve) => {
    const tick = () => {
      const now = performance.now();
      while (sent < total && start + sent * interval <= now) {
        fire(start + sent * interval);
        sent += 1;
      }
      if (sent >= total) return resolve();
      setTimeout(tick, Math.max(0, start + sent * interval - performance.now()));
    };
    tick();
  });
  await Promise.all([...inflight]);
  const elapsed = (performance.now() - start) / 1000;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  return {
    reqPerSec: round(latencies.length / elapsed, 1),
    requests: latencies.length,
    p50: round(percentile(latencies, 50), 2),
    p99: round(percentile(latencies, 99), 2),
    max: round(latencies[latencies.length - 1] ?? null, 2),
    non2xx,
    errors,
    durationSec: round(elapsed, 2),
  };
}

/** Runs `fn` with a bounded number of requests in flight. */
export async function runConcurrent(n, concurrency, fn) {
  let next = 0;
  const workers = Array.from({ length: Math.min(concurrency, n) }, async () => {
    while (next < n) {
      const i = next++;
      await fn(i);
    }
  });
  await Promise.all(workers);
}

// ---------------------------------------------------------------- PostgreSQL

/** Admin connection to the maintenance database (never the bench database, so our reads are not counted). */
export async function pgAdmin(adminUrl) {
  const client = new pg.Client({ connectionString: adminUrl, application_name: 'gad-bench' });
  await client.connect();
  return client;
}

export function databaseUrl(adminUrl, dbName) {
  const url = new URL(adminUrl);
  url.pathname = `/${dbName}`;
  return url.toString();
}

/**
 * Transactions committed + rolled back in `dbName`, from pg_stat_database. Every statement the app sends
 * outside an explicit transaction is its own transaction, so on a read path this counts round trips.
 * The snapshot is cleared first so the read is fresh (stats_fetch_consistency may cache it).
 */
export async function xactCount(client, dbName) {
  await client.query('SELECT pg_stat_clear_snapshot()');
  const { rows } = await client.query(
    'SELECT (xact_commit + xact_rollback)::bigint AS n FROM pg_stat_database WHERE datname = $1',
    [dbName],
  );
  return Number(rows[0]?.n ?? 0);
}

// ---------------------------------------------------------------- Redis

/** Deletes keys under `prefix*` (best effort, bounded). Uses the `redis` client the app already depends on. */
export async function redisCleanup(redisUrl, prefix) {
  const { createClient } = await import('redis');
  const client = createClient({ url: redisUrl, socket: { connectTimeout: 2000, reconnectStrategy: false } });
  client.on('error', () => {});
  let deleted = 0;
  try {
    await client.connect();
    let cursor = '0';
    for (let i = 0; i < 10_000; i++) {
      const res = await client.scan(cursor, { MATCH: `${prefix}*`, COUNT: 500 });
      cursor = String(res.cursor);
      if (res.keys.length) deleted += await client.del(res.keys);
      if (cursor === '0') break;
    }
  } finally {
    await client.quit().catch(() => {});
  }
  return deleted;
}

// ---------------------------------------------------------------- misc

export function gitDescribe() {
  try {
    const sha = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT }).toString().trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: ROOT }).toString().trim();
    return dirty ? `${sha}+dirty` : sha;
  } catch {
    return 'unknown';
  }
}

export function cpuModel() {
  return cpus()[0]?.model?.trim() ?? 'unknown';
}

export function exists(path) {
  return existsSync(path);
}

// ---------------------------------------------------------------- machine noise

const SYSTEM_UNDER_TEST = new Set(['postgres', 'redis-server']);

function readJiffies(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]); // utime + stime
  } catch {
    return 0;
  }
}

/** CPU time (jiffies) per pid of the bench, its servers, and PostgreSQL/Redis: everything that is "us". */
function ownJiffies(pids) {
  const out = new Map();
  for (const pid of pids) out.set(String(pid), readJiffies(pid));
  let entries;
  try {
    entries = readdirSync('/proc');
  } catch {
    return out;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry) || out.has(entry)) continue;
    let comm;
    try {
      comm = readFileSync(`/proc/${entry}/comm`, 'utf8').trim();
    } catch {
      continue;
    }
    if (SYSTEM_UNDER_TEST.has(comm)) out.set(entry, readJiffies(entry));
  }
  return out;
}

/** CPU our processes used between two ownJiffies() maps (processes that exited in between are left out). */
function ownDelta(before, after) {
  let total = 0;
  for (const [pid, j] of after) total += Math.max(0, j - (before.get(pid) ?? 0));
  return total;
}

function machineJiffies() {
  try {
    const [, ...fields] = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/);
    const n = fields.map(Number);
    const idle = n[3] + (n[4] || 0);
    const total = n.slice(0, 8).reduce((a, b) => a + b, 0);
    return { busy: total - idle, total };
  } catch {
    return null;
  }
}

/**
 * Samples how much of the machine other work used (everything but the bench, its servers, PostgreSQL and
 * Redis), as a percentage of all cores. `pids()` lists our own processes. Returns null without /proc.
 */
export function noiseMeter(pids) {
  const start = () => ({ machine: machineJiffies(), own: ownJiffies(pids()) });
  return {
    start,
    stop(s) {
      const machine = machineJiffies();
      if (!machine || !s.machine) return null;
      const total = machine.total - s.machine.total;
      if (total <= 0) return null;
      const foreign = machine.busy - s.machine.busy - ownDelta(s.own, ownJiffies(pids()));
      return Math.min(100, Math.max(0, Math.round((foreign / total) * 1000) / 10));
    },
  };
}

/** Waits (bounded) until other work uses less than `maxPct` of the machine over a 1 s sample. */
export async function waitForQuiet(meter, { maxPct = 10, maxWaitSec = 0, log = () => {} } = {}) {
  let last = null;
  const deadline = Date.now() + maxWaitSec * 1000;
  for (let i = 0; i < 10_000; i++) {
    const s = meter.start();
    await sleep(1000);
    last = meter.stop(s);
    if (last === null || last < maxPct || Date.now() >= deadline) break;
    if (i % 15 === 0) log(`machine busy with other work (${last}% of all cores); waiting for it to quiet down…`);
  }
  return last;
}
