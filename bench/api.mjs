// Starting the built API for the bench: environment, a frozen copy of dist/, first boot + seeding, logins.
import { randomBytes } from 'node:crypto';
import { cpSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import {
  BENCH_DIR,
  PREFIX,
  RESULTS_DIR,
  ROOT,
  databaseUrl,
  exists,
  expectStatus,
  request,
  startProcess,
  stopProcess,
  waitFor200,
} from './lib.mjs';

export const ADMIN_DB_URL =
  process.env.BENCH_DATABASE_URL || process.env.TEST_DATABASE_URL || 'postgresql://postgres@127.0.0.1:5432/postgres';
export const REDIS_URL = process.env.BENCH_REDIS_URL || process.env.TEST_REDIS_URL || 'redis://127.0.0.1:6379';
export const ROUNDS = Number(process.env.BENCH_BCRYPT_ROUNDS || 12);
export const RATE_LIMIT_CALLS = 100_000_000;
export const LOGIN_MAX_ATTEMPTS = 1_000_000;

/** Names and secrets unique to one bench run, so databases and Redis keys never collide. */
export function newIdentity(kind = 'bench') {
  const suffix = `${Date.now().toString(36)}_${process.pid}`;
  return {
    dbName: `gad_${kind}_${suffix}`,
    projectName: `gad_${kind}_${suffix}`,
    secretKey: randomBytes(32).toString('hex'), // 64 characters
    adminEmail: 'admin@grupogad.com',
    adminInitialPassword: `Bench-Admin-Initial-${randomBytes(6).toString('hex')}`,
    adminPassword: `Bench-Admin-${randomBytes(8).toString('hex')}`,
    userEmail: 'bench.user@example.com',
    userPassword: `Bench-User-${randomBytes(8).toString('hex')}`,
  };
}

/**
 * Copies dist/ to bench/.work/dist so that a rebuild by someone else during the run cannot change the code
 * under test half-way (bare imports still resolve to the repository's node_modules). BENCH_NO_SNAPSHOT=1
 * runs dist/ in place.
 */
export function snapshotDist() {
  const source = join(ROOT, 'dist');
  if (!exists(join(source, 'apps/api/src/main.js'))) {
    throw new Error('dist/apps/api/src/main.js not found: run `npm run build` first (npm run bench does).');
  }
  if (process.env.BENCH_NO_SNAPSHOT === '1') return join(source, 'apps/api/src/main.js');
  const target = join(BENCH_DIR, '.work/dist');
  rmSync(target, { recursive: true, force: true });
  cpSync(source, target, { recursive: true });
  return join(target, 'apps/api/src/main.js');
}

export function apiEnv(id, { port, runMigrations = true, databaseUrlOverride, extra = {} }) {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    LANG: process.env.LANG ?? 'C.UTF-8',
    NODE_ENV: 'production',
    ENVIRONMENT: 'production',
    SECRET_KEY: id.secretKey,
    ADMIN_EMAIL: id.adminEmail,
    ADMIN_PASSWORD: id.adminInitialPassword,
    DATABASE_URL: databaseUrlOverride ?? databaseUrl(ADMIN_DB_URL, id.dbName),
    REDIS_URL,
    PROJECT_NAME: id.projectName,
    WORKERS: '1',
    LOG_LEVEL: 'WARNING',
    RUN_MIGRATIONS: String(runMigrations),
    HOST: '127.0.0.1',
    PORT: String(port),
    BCRYPT_ROUNDS: String(ROUNDS),
    RATE_LIMIT_CALLS: String(RATE_LIMIT_CALLS),
    LOGIN_MAX_ATTEMPTS: String(LOGIN_MAX_ATTEMPTS),
    LOGIN_MAX_ATTEMPTS_PER_ADDRESS: String(LOGIN_MAX_ATTEMPTS),
    WS_MAX_CONNECTIONS: '2000',
    // the fan-out row's 500 sockets share one operator's token
    WS_MAX_CONNECTIONS_PER_USER: '2000',
    ...extra,
  };
}

/**
 * The node flags scripts/start.sh (the image's command) runs the server with; BENCH_NODE_FLAGS adds more
 * (V8 flags NODE_OPTIONS refuses, e.g. BENCH_NODE_FLAGS=--trace-gc).
 */
export const PRODUCTION_NODE_FLAGS = [
  ...readFileSync(join(ROOT, 'scripts/lib/node-flags'), 'utf8').trim().split(/\s+/),
  ...(process.env.BENCH_NODE_FLAGS ? process.env.BENCH_NODE_FLAGS.split(' ') : []),
];

/** Spawns the API and waits for /health/ready; readyMs counts from spawn. */
export async function bootApi(plan, { main, env, port, logName, nodeArgs = PRODUCTION_NODE_FLAGS, onSpawn }) {
  const since = performance.now();
  const proc = startProcess(plan, [...nodeArgs, main], { env, logFile: join(RESULTS_DIR, logName) });
  onSpawn?.(proc);
  const ms = await waitFor200(port, `${PREFIX}/health/ready`, { since, timeoutMs: 120_000, proc });
  return { proc, readyMs: Math.round(ms) };
}

export async function login(port, email, password) {
  const res = await expectStatus(
    request(port, 'POST', `${PREFIX}/auth/login`, { body: { email, password } }),
    200,
    `login ${email}`,
  );
  return res.json.access_token;
}

/** First boot on the empty database: migrations, the admin's forced password change, one operator. */
export async function firstBootAndSeed(plan, id, { main, port, onSpawn }) {
  const first = await bootApi(plan, {
    main,
    port,
    env: apiEnv(id, { port, runMigrations: true }),
    logName: 'api-first-boot.log',
    onSpawn,
  });
  try {
    const initial = await login(port, id.adminEmail, id.adminInitialPassword);
    await expectStatus(
      request(port, 'POST', `${PREFIX}/auth/change-password`, {
        token: initial,
        body: { current_password: id.adminInitialPassword, new_password: id.adminPassword },
      }),
      204,
      'admin change-password',
    );
    const adminToken = await login(port, id.adminEmail, id.adminPassword);
    await expectStatus(
      request(port, 'POST', `${PREFIX}/users`, {
        token: adminToken,
        body: { email: id.userEmail, full_name: 'Bench User', password: id.userPassword },
      }),
      201,
      'create user',
    );
  } finally {
    await stopProcess(first.proc);
  }
  return first.readyMs;
}

export { stopProcess };
