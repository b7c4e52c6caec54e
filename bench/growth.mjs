// Growth benchmark: does a request's cost stay flat as the tables grow?
//
//   npm run bench:growth      build, then: a database of 10k users and 50k audit rows and one of 1M users and
//                             5M audit rows (generate_series), each served by its own API; p50/p99 of the first, a
//                             middle and the last cursor page of /users and /audit, of /users/me and of login, at
//                             both sizes, their requests taken in turn. Writes
//                             bench/results/growth-latest.md and exits 1 when a target is missed.
// BENCH_GROWTH_USERS / BENCH_GROWTH_AUDIT (1000000 / 5000000) set the large size; BENCH_GROWTH_SAMPLES (1000 per
// row, the rows taken in turn; login 50).
// The audit rows spread over 150 days before yesterday, so the large size fills several monthly partitions.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import {
  PREFIX,
  RESULTS_DIR,
  databaseUrl,
  freePort,
  gitDescribe,
  percentile,
  pgAdmin,
  pinningPlan,
  request,
  sleep,
} from './lib.mjs';
import { ADMIN_DB_URL, apiEnv, bootApi, firstBootAndSeed, login, newIdentity, snapshotDist, stopProcess } from './api.mjs';
// the app's own naming of a month's partition (bench:growth builds first)
import { addMonths, monthStart, partitionName } from '../dist/libs/database/src/monthly-partitions.js';

const LARGE_USERS = Number(process.env.BENCH_GROWTH_USERS || 1_000_000);
const LARGE_AUDIT = Number(process.env.BENCH_GROWTH_AUDIT || 5_000_000);
const SAMPLES = Number(process.env.BENCH_GROWTH_SAMPLES || 1000);
/** The large size's audit rows span this many days before yesterday (inside AUDIT_RETENTION_DAYS' default 365). */
const AUDIT_SPREAD_DAYS = 150;
const LOGIN_SAMPLES = 50;
const SIZES = [
  { label: '10k users, 50k audit rows', users: 10_000, audit: 50_000 },
  { label: `${LARGE_USERS / 1e6}M users, ${LARGE_AUDIT / 1e6}M audit rows`, users: LARGE_USERS, audit: LARGE_AUDIT },
];
const CURSOR_P99_MAX_MS = 50;
const CURSOR_GROWTH_MAX = 2;
const FLAT_GROWTH_MAX = 1.2;

const log = (...args) => console.log(`[growth ${new Date().toISOString().slice(11, 19)}]`, ...args);

/**
 * audit_logs is partitioned by UTC month and the app makes partitions only from the current month on: the
 * months the backdated rows fall in are made here, named by MonthlyPartitions' own `partitionName`.
 */
async function auditPartitions(db) {
  const now = new Date();
  for (
    let m = monthStart(new Date(now.getTime() - (AUDIT_SPREAD_DAYS + 2) * 86_400_000));
    m < monthStart(now);
    m = addMonths(m, 1)
  ) {
    await db.query(
      `CREATE TABLE IF NOT EXISTS ${partitionName('audit_logs', m)} PARTITION OF audit_logs FOR VALUES FROM ('${m.toISOString()}') TO ('${addMonths(m, 1).toISOString()}')`,
    );
  }
}

/** Rows up to `users` users (one role each) and `audit` audit rows, in chunks, with progress. */
async function growTo(db, size) {
  const chunk = 250_000;
  const have = async (table) => Number((await db.query(`SELECT count(*)::bigint AS n FROM ${table}`)).rows[0].n);
  const hash = (await db.query(`SELECT hashed_password FROM users WHERE email = 'bench.user@example.com'`)).rows[0]
    .hashed_password;
  for (let from = await have('users'); from < size.users; from += chunk) {
    const to = Math.min(size.users, from + chunk);
    await db.query(
      `WITH inserted AS (
         INSERT INTO users (email, full_name, hashed_password, created_at, updated_at)
         SELECT 'grow' || i || '@example.com', 'Grow ' || i, $3, now() - (($2 - i) * interval '1 second'), now()
         FROM generate_series($1::int, $2::int - 1) AS i
         RETURNING id)
       INSERT INTO user_roles (user_id, role_name) SELECT id, 'operator' FROM inserted`,
      [from, to, hash],
    );
    log(`  users: ${to.toLocaleString('en')} of ${size.users.toLocaleString('en')}`);
  }
  const actions = `(ARRAY['auth.login','auth.login_failed','auth.logout','user.created','user.updated'])`;
  await auditPartitions(db);
  for (let from = await have('audit_logs'); from < size.audit; from += chunk * 4) {
    const to = Math.min(size.audit, from + chunk * 4);
    // row i is i steps older than a day ago: the large size spreads over AUDIT_SPREAD_DAYS, several monthly partitions
    await db.query(
      `INSERT INTO audit_logs (action, actor_id, target_id, ip, user_agent, request_id, changes, created_at)
       SELECT ${actions}[1 + i % 5], NULL, NULL, '203.0.113.' || (i % 250), 'growth', 'g' || i, '{"n":1}'::jsonb,
              now() - interval '1 day' - (i * $3::float8 * interval '1 millisecond')
       FROM generate_series($1::int, $2::int - 1) AS i`,
      [from, to, (AUDIT_SPREAD_DAYS * 86_400_000) / LARGE_AUDIT],
    );
    log(`  audit rows: ${to.toLocaleString('en')} of ${size.audit.toLocaleString('en')}`);
  }
  await db.query('VACUUM ANALYZE users');
  await db.query('VACUUM ANALYZE user_roles');
  await db.query('VACUUM ANALYZE audit_logs');
  // the load's dirty pages written out now, not by the checkpointer while requests are timed
  await db.query('CHECKPOINT');
  await sleep(5000);
}

/**
 * p50/p99 of `samples` sequential calls per row (after a few to warm up), the rows taken in turn — one call of
 * each, then the next round — so a moment of noise on the machine lands on every row alike instead of on
 * whichever row was running. Every answer must be 200.
 */
async function latencies(samples, calls) {
  const names = Object.keys(calls);
  const ms = Object.fromEntries(names.map((name) => [name, []]));
  for (let i = -5; i < samples; i++) {
    for (const name of names) {
      const started = performance.now();
      const res = await calls[name]();
      if (i >= 0) ms[name].push(performance.now() - started);
      if (res.status !== 200) throw new Error(`${name}: status ${res.status}: ${res.text.slice(0, 200)}`);
    }
  }
  return Object.fromEntries(
    names.map((name) => {
      const sorted = ms[name].sort((a, b) => a - b);
      return [name, { p50: percentile(sorted, 50), p99: percentile(sorted, 99) }];
    }),
  );
}

/** The next_cursor of the page at `skip` (an offset page, read once), to measure the cursor page after it. */
async function cursorAt(port, token, list, skip) {
  const res = await request(port, 'GET', `${PREFIX}/${list}?skip=${skip}&limit=100`, { token, timeoutMs: 120_000 });
  if (res.status !== 200 || !res.json.next_cursor) throw new Error(`no cursor at ${list} skip=${skip}: ${res.status}`);
  return res.json.next_cursor;
}

/** The rows of one size's API: the first, a middle and the last cursor page of each list, and /users/me. */
async function pageCalls(side) {
  const { port, tokens, size } = side;
  const get =
    (path, token = tokens.admin) =>
    () =>
      request(port, 'GET', `${PREFIX}${path}`, { token });
  const calls = {};
  for (const [list, total] of [
    ['users', size.users + 2],
    ['audit', size.audit],
  ]) {
    const middle = await cursorAt(port, tokens.admin, list, Math.floor(total / 2));
    const last = await cursorAt(port, tokens.admin, list, Math.max(0, total - 150));
    calls[`GET /${list} first page`] = get(`/${list}?limit=100`);
    calls[`GET /${list} cursor page, middle`] = get(`/${list}?limit=100&cursor=${encodeURIComponent(middle)}`);
    calls[`GET /${list} cursor page, last`] = get(`/${list}?limit=100&cursor=${encodeURIComponent(last)}`);
  }
  calls['GET /users/me'] = get('/users/me', tokens.user);
  return calls;
}

/** Every row of both sizes, taken in turn: each row's two sizes are measured in the same moments. */
async function measure(sides) {
  const key = (side, name) => `${side.size.label}\t${name}`;
  const pages = {};
  const logins = {};
  for (const side of sides) {
    for (const [name, call] of Object.entries(await pageCalls(side))) pages[key(side, name)] = call;
    const { port, id } = side;
    logins[key(side, 'POST /auth/login')] = () =>
      request(port, 'POST', `${PREFIX}/auth/login`, { body: { email: id.userEmail, password: id.userPassword } });
  }
  // bcrypt-bound (~0.2 s each): fewer samples, after the pages
  const all = { ...(await latencies(SAMPLES, pages)), ...(await latencies(LOGIN_SAMPLES, logins)) };
  return sides.map((side) => {
    const rows = {};
    for (const [name, value] of Object.entries(all)) {
      const [label, row] = name.split('\t');
      if (label === side.size.label) rows[row] = value;
    }
    return rows;
  });
}

/**
 * One database per size, each loaded once and served by its own API process (both pinned to the same core,
 * started after both loads): the two sizes are measured side by side in one window, as the main bench measures
 * the API beside its baseline, so noise on the machine cannot land on one size only.
 */
async function main() {
  const plan = pinningPlan();
  const admin = await pgAdmin(ADMIN_DB_URL);
  const sides = SIZES.map((size, i) => ({ size, id: newIdentity(`growth${i}`) }));
  try {
    const mainJs = snapshotDist();
    for (const side of sides) {
      await admin.query(`CREATE DATABASE ${side.id.dbName}`);
      side.created = true;
      side.db = await pgAdmin(databaseUrl(ADMIN_DB_URL, side.id.dbName));
      do side.port = await freePort();
      while (sides.some((other) => other !== side && other.port === side.port));
      await firstBootAndSeed(plan, side.id, { main: mainJs, port: side.port });
      log(`loading: ${side.size.label} (database ${side.id.dbName})`);
      const loadStarted = Date.now();
      await growTo(side.db, side.size);
      side.loadSeconds = Math.round((Date.now() - loadStarted) / 1000);
    }
    for (const [i, side] of sides.entries()) {
      side.api = await bootApi(plan, {
        main: mainJs,
        port: side.port,
        env: apiEnv(side.id, { port: side.port, runMigrations: false }),
        logName: `api-growth-${i}.log`,
      });
      side.tokens = {
        admin: await login(side.port, side.id.adminEmail, side.id.adminPassword),
        user: await login(side.port, side.id.userEmail, side.id.userPassword),
      };
    }
    await sleep(500);
    log('measuring both sizes, their requests taken in turn');
    const rows = await measure(sides);
    const results = sides.map((side, i) => ({ size: side.size, loadSeconds: side.loadSeconds, rows: rows[i] }));
    writeReport(results);
    return results;
  } finally {
    for (const side of sides) {
      if (side.api) await stopProcess(side.api.proc);
      await side.db?.end();
      if (side.created) await admin.query(`DROP DATABASE IF EXISTS ${side.id.dbName} WITH (FORCE)`);
    }
    await admin.end();
  }
}

function writeReport(results) {
  const [small, large] = results;
  const fmt = (n) => n.toFixed(2);
  const checks = [];
  const lines = [
    '# Growth benchmark',
    '',
    `${new Date().toISOString()} · commit ${gitDescribe()} · Node ${process.version} · \`npm run bench:growth\` (production mode, PostgreSQL, one worker; ${SAMPLES} sequential requests per row, the rows taken in turn; ${LOGIN_SAMPLES} for login)`,
    '',
    ...results.map(
      (r) => `- ${r.size.label}: loaded in ${r.loadSeconds} s (generate_series), then VACUUM ANALYZE and CHECKPOINT`,
    ),
    '',
    `| request (admin unless noted) | ${small.size.label}: p50 / p99 ms | ${large.size.label}: p50 / p99 ms | p99 ratio | target |`,
    '| --- | ---: | ---: | ---: | --- |',
  ];
  for (const name of Object.keys(small.rows)) {
    const a = small.rows[name];
    const b = large.rows[name];
    const ratio = b.p99 / a.p99;
    const cursor = name.includes('cursor page') || name.includes('first page');
    const target = cursor ? `p99 ≤ ${CURSOR_GROWTH_MAX}× and ≤ ${CURSOR_P99_MAX_MS} ms` : `p99 ≤ ${FLAT_GROWTH_MAX}×`;
    const pass = cursor ? ratio <= CURSOR_GROWTH_MAX && b.p99 <= CURSOR_P99_MAX_MS : ratio <= FLAT_GROWTH_MAX;
    checks.push({ name, pass, ratio, p99: b.p99 });
    lines.push(
      `| ${name} | ${fmt(a.p50)} / ${fmt(a.p99)} | ${fmt(b.p50)} / ${fmt(b.p99)} | ${ratio.toFixed(2)}× | ${pass ? 'PASS' : 'MISS'}: ${target} |`,
    );
  }
  const missed = checks.filter((c) => !c.pass);
  lines.push('', missed.length === 0 ? '**All targets met.**' : `**Missed:** ${missed.map((c) => c.name).join('; ')}.`, '');
  writeFileSync(join(RESULTS_DIR, 'growth-latest.md'), lines.join('\n'));
  console.log(lines.join('\n'));
  if (missed.length > 0) process.exitCode = 1;
}

await main();
