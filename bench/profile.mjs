// CPU profile of the built API under load: `node --cpu-prof` on dist/apps/api/src/main.js (production mode,
// PostgreSQL + Redis, pinned like the bench), GET /users/me and GET /health at c=50, then POST /auth/login at
// c=4, and a census of the SQL each request sends (through a counting proxy in front of PostgreSQL). Writes the raw profile to
// bench/results/api.cpuprofile (git-ignored; open it in Chrome DevTools or speedscope for a flame graph) and a
// summary to bench/results/profile-latest.md.
//
//   npm run build && node bench/profile.mjs          (PROFILE_DURATION=15 seconds per window)
import { readdirSync, renameSync, readFileSync, rmSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import autocannon from 'autocannon';
import {
  PREFIX,
  RESULTS_DIR,
  databaseUrl,
  freePort,
  gitDescribe,
  pgAdmin,
  pinSelf,
  pinningPlan,
  redisCleanup,
  sleep,
} from './lib.mjs';
import {
  ADMIN_DB_URL,
  REDIS_URL,
  apiEnv,
  bootApi,
  firstBootAndSeed,
  login,
  newIdentity,
  snapshotDist,
  stopProcess,
} from './api.mjs';
import { startCensusProxy, viaProxy } from './pg-census.mjs';
import { formatSummary, summarize } from './cpuprofile-top.mjs';

const DURATION = Number(process.env.PROFILE_DURATION || 15);
const nowUs = () => Number(process.hrtime.bigint() / 1000n);
const log = (...args) => console.log(`[profile ${new Date().toISOString().slice(11, 19)}]`, ...args);

async function load(port, path, token, seconds, body) {
  const r = await autocannon({
    url: `http://127.0.0.1:${port}${path}`,
    method: body ? 'POST' : 'GET',
    connections: body ? 4 : 50,
    pipelining: 1,
    duration: seconds,
    headers: token ? { authorization: `Bearer ${token}` } : body ? { 'content-type': 'application/json' } : {},
    body: body ? JSON.stringify(body) : undefined,
  });
  return { reqPerSec: Math.round(r.requests.total / r.duration), requests: r.requests.total, non2xx: r.non2xx, errors: r.errors };
}

const id = newIdentity('profile');
let api;
let admin;
let proxy;
let exitCode = 0;
try {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const main = snapshotDist();
  const plan = pinningPlan();
  if (plan.enabled) pinSelf(plan.loadCore);
  log(plan.note);
  admin = await pgAdmin(ADMIN_DB_URL);
  await admin.query(`CREATE DATABASE "${id.dbName}"`);
  const port = await freePort();
  await firstBootAndSeed(plan, id, { main, port, onSpawn: (p) => (api = p) });

  proxy = await startCensusProxy(ADMIN_DB_URL);
  const profDir = join(RESULTS_DIR, '.cpuprofile-tmp');
  rmSync(profDir, { recursive: true, force: true });
  mkdirSync(profDir, { recursive: true });
  const env = apiEnv(id, { port, databaseUrlOverride: viaProxy(databaseUrl(ADMIN_DB_URL, id.dbName), proxy.port) });
  log('booting the API with --cpu-prof (DB through the counting proxy)…');
  ({ proc: api } = await bootApi(plan, {
    main,
    port,
    env,
    logName: 'api-profile.log',
    nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${profDir}`],
  }));
  const userToken = await login(port, id.userEmail, id.userPassword);

  const windows = [];
  for (const [name, path, token, body] of [
    ['GET /users/me (bearer, c=50)', `${PREFIX}/users/me`, userToken],
    ['GET /health (c=50)', `${PREFIX}/health`, undefined],
    ['POST /auth/login (c=4)', `${PREFIX}/auth/login`, undefined, { email: id.userEmail, password: id.userPassword }],
  ]) {
    log(`${name}: 3 s warm-up, ${DURATION} s profiled…`);
    await load(port, path, token, 3, body);
    proxy.reset();
    const from = nowUs();
    const r = await load(port, path, token, DURATION, body);
    const to = nowUs();
    const census = proxy.snapshot();
    windows.push({ name, from, to, result: r, census });
    log(`  ${r.reqPerSec} req/s, ${(census.roundTrips / r.requests).toFixed(2)} DB round trips per request`);
  }

  await stopProcess(api);
  const file = readdirSync(profDir).find((f) => f.endsWith('.cpuprofile'));
  if (!file) throw new Error('no .cpuprofile written (did the API exit cleanly on SIGTERM?)');
  const target = join(RESULTS_DIR, 'api.cpuprofile');
  renameSync(join(profDir, file), target);
  rmSync(profDir, { recursive: true, force: true });
  const profile = JSON.parse(readFileSync(target, 'utf8'));

  const sections = [
    '# CPU profile of the API under load',
    '',
    `${new Date().toISOString()} · commit ${gitDescribe()} · Node ${process.version} · ${plan.note}`,
    '',
    'Production mode, PostgreSQL + Redis, WORKERS=1, LOG_LEVEL=WARNING; autocannon c=50, pipelining 1. The raw',
    'profile is bench/results/api.cpuprofile (git-ignored): open it in Chrome DevTools (Performance → Load profile)',
    'or https://www.speedscope.app for a flame graph. Throughput under the profiler is lower than in the bench,',
    'and the DB goes through a counting proxy here.',
    '',
  ];
  for (const w of windows) {
    const s = summarize(profile, { from: w.from, to: w.to, top: 30 });
    sections.push(`## ${w.name}`, '');
    sections.push(
      `${w.result.reqPerSec} req/s, ${w.result.non2xx} non-2xx, ${w.result.errors} errors; ` +
        `${w.census.roundTrips} DB round trips for ${w.result.requests} requests = ${(w.census.roundTrips / w.result.requests).toFixed(2)} per request`,
      '',
    );
    if (w.census.statements.length) {
      sections.push('| statements sent (per request) | SQL |', '| ---: | --- |');
      for (const st of w.census.statements.slice(0, 10)) {
        sections.push(`| ${(st.n / w.result.requests).toFixed(2)} | \`${st.sql.replace(/\|/g, '\\|')}\` |`);
      }
      sections.push('');
    }
    sections.push(formatSummary(`${w.name}: CPU`, s));
  }
  const md = sections.join('\n');
  writeFileSync(join(RESULTS_DIR, 'profile-latest.md'), md);
  console.log(md);
  log('wrote bench/results/profile-latest.md and bench/results/api.cpuprofile');
} catch (error) {
  console.error(`profile failed: ${error?.stack ?? error}`);
  exitCode = 2;
} finally {
  await stopProcess(api).catch(() => {});
  await proxy?.close().catch(() => {});
  if (admin) {
    await admin.query(`DROP DATABASE IF EXISTS "${id.dbName}" WITH (FORCE)`).catch(() => {});
    await admin.end().catch(() => {});
  }
  await redisCleanup(REDIS_URL, `${id.projectName}:`).catch(() => 0);
  await sleep(10);
}
process.exit(exitCode);
