// scripts/start.sh without a build: CONFIG_CMD / MIGRATE_CMD / SEED_CMD / SERVER_ENTRY stand in for the
// CLIs and the server, so only the script's own behaviour is under test (the real CLIs: start-script.e2e).
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './helpers.js';

const START = join(ROOT, 'scripts/start.sh');
const SLOW = 30_000;
const SECRETS = {
  db: 'Db-S3cret-Pw-9f1c',
  redis: 'Redis-S3cret-Pw-77aa',
  secretKey: 'sk-0123456789abcdef0123456789abcdef-kit',
  admin: 'Admin-S3cret-Pw-42',
};

let work: string;
let closedPort: number;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'kit-start-'));
  // a port that was free a moment ago: nothing listens there
  closedPort = await new Promise<number>((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
  // stands in for dist/apps/api/src/main.js: reports what it was started with
  writeFileSync(
    join(work, 'server.mjs'),
    `console.log('SERVER ' + JSON.stringify({ workers: process.env.WORKERS, cwd: process.cwd() }));\n`,
  );
});

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

function baseEnv(): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? '/tmp',
    ENVIRONMENT: 'production',
    DATABASE_URL: `postgresql+asyncpg://gad:${SECRETS.db}@127.0.0.1:${closedPort}/gad_db`,
    REDIS_URL: `redis://:${SECRETS.redis}@127.0.0.1:6379/0`,
    REDIS_PASSWORD: SECRETS.redis,
    SECRET_KEY: SECRETS.secretKey,
    ADMIN_EMAIL: 'admin@example.com',
    ADMIN_PASSWORD: SECRETS.admin,
    NODE_BIN: process.execPath,
    SERVER_ENTRY: join(work, 'server.mjs'),
    SEED_CMD: `touch ${join(work, 'seeded')}`,
    // prints what it was given, carelessly (the script must scrub it), like a configuration listing
    CONFIG_CMD: 'echo "effective configuration: DATABASE_URL $DATABASE_URL REDIS_URL $REDIS_URL"',
  };
}

function start(env: Record<string, string>): SpawnSyncReturns<string> & { ms: number } {
  const t0 = Date.now();
  const r = spawnSync('bash', [START], { env, encoding: 'utf8', timeout: 30_000, input: '' });
  return Object.assign(r, { ms: Date.now() - t0 });
}

function expectNoSecrets(r: SpawnSyncReturns<string>): void {
  const out = `${r.stdout}\n${r.stderr}`;
  for (const s of Object.values(SECRETS)) expect(out).not.toContain(s);
}

// Fails like the migrate CLI when the database is down: tries to connect, prints an error
// (carelessly including the URL, so the script's scrubbing is tested too) and exits 1.
const failingMigrate = (port: number) =>
  `node -e "require('net').connect(${port}, '127.0.0.1')` +
  `.on('connect', () => process.exit(0))` +
  `.on('error', (e) => { console.error('migrate: cannot connect to ' + process.env.DATABASE_URL + ': ' + e.code); process.exit(1); })"`;

describe('scripts/start.sh', () => {
  it(
    'fails after the bounded retry when the database is unreachable, naming the host, never a secret',
    () => {
      rmSync(join(work, 'seeded'), { force: true });
      const r = start({
        ...baseEnv(),
        MIGRATE_CMD: failingMigrate(closedPort),
        DB_WAIT_RETRIES: '2',
        DB_WAIT_INTERVAL: '0.2',
      });
      expect(r.status).not.toBe(0);
      expect(r.status).not.toBeNull(); // exited, not killed by the timeout
      expect(r.stderr).toContain(`database at 127.0.0.1:${closedPort}/gad_db is unreachable`);
      expect(r.stderr).toContain('after 2 attempts');
      expect(r.stdout).toContain('attempt 1/2');
      expect(r.stderr).toContain('ECONNREFUSED');
      expect(r.ms).toBeLessThan(20_000);
      // the configuration was printed first, its secrets scrubbed even where the CLI let one through
      expect(r.stdout.indexOf('effective configuration')).toBeLessThan(r.stdout.indexOf('attempt 1/2'));
      expect(r.stdout).toContain(`postgresql+asyncpg://gad:***@127.0.0.1:${closedPort}/gad_db`);
      expect(r.stdout).toContain('redis://:***@127.0.0.1:6379/0');
      expectNoSecrets(r);
      expect(existsSync(join(work, 'seeded'))).toBe(false);
      expect(r.stdout).not.toContain('SERVER ');
    },
    SLOW,
  );

  it(
    'retries until the migrations pass, seeds in production and execs the server, leaving the worker count to it',
    () => {
      rmSync(join(work, 'seeded'), { force: true });
      const counter = join(work, 'attempts');
      writeFileSync(counter, '');
      // fails twice, then succeeds
      const flaky = `echo x >> ${counter}; [ "$(wc -l < ${counter})" -ge 3 ]`;
      const r = start({ ...baseEnv(), MIGRATE_CMD: flaky, DB_WAIT_RETRIES: '5', DB_WAIT_INTERVAL: '0.1' });
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      expect(readFileSync(counter, 'utf8').trim().split('\n')).toHaveLength(3);
      expect(r.stdout).toContain('attempt 2/5');
      expect(r.stdout).toContain('migrations applied');
      expect(existsSync(join(work, 'seeded'))).toBe(true);
      const server = JSON.parse(/^SERVER (.*)$/m.exec(r.stdout)![1]) as { workers?: string; cwd: string };
      expect(server.workers).toBeUndefined(); // the server's own config decides, as it does without this script
      expect(server.cwd).toBe(ROOT);
      const explicit = start({ ...baseEnv(), MIGRATE_CMD: 'true', WORKERS: '3' });
      expect(explicit.stdout).toMatch(/^SERVER \{"workers":"3"/m);
      expectNoSecrets(r);
    },
    SLOW,
  );

  it(
    'scrubs a password given as ?password=, even one with a raw @, and reads padded numbers as the app does',
    () => {
      const url = 'postgresql://gad@db.internal:5432/gad_db?sslmode=disable&password=Hunter2@Tail-Secret-9';
      const r = start({
        ...baseEnv(),
        DATABASE_URL: url,
        MIGRATE_CMD: 'echo "migrate: cannot connect to $DATABASE_URL" >&2; exit 1',
        DB_WAIT_RETRIES: ' 2 ',
        DB_WAIT_INTERVAL: '0.1',
      });
      expect(r.status).toBe(1);
      expect(r.stdout).toContain('database: db.internal:5432/gad_db; waiting up to 2 tries');
      expect(r.stderr).toContain('after 2 attempts');
      for (const part of ['Hunter2', 'Tail-Secret-9']) expect(`${r.stdout}${r.stderr}`).not.toContain(part);
    },
    SLOW,
  );

  it(
    'stops before touching the database when the configuration is refused, showing why on stderr',
    () => {
      const migrated = join(work, 'migrated');
      rmSync(migrated, { force: true });
      const r = start({
        ...baseEnv(),
        CONFIG_CMD: `echo 'Refusing to start: 1 configuration problem(s):' >&2; echo '  - WORKERS must be a number (got "many")' >&2; exit 1`,
        MIGRATE_CMD: `touch ${migrated}`,
      });
      expect(r.status).toBe(1);
      expect(r.stderr).toContain('WORKERS must be a number (got "many")');
      expect(r.stderr).toContain('the configuration is refused (see above): nothing was started');
      expect(existsSync(migrated)).toBe(false);
      expect(r.stdout).not.toContain('SERVER ');
    },
    SLOW,
  );

  it(
    'does not seed outside production',
    () => {
      rmSync(join(work, 'seeded'), { force: true });
      const r = start({ ...baseEnv(), ENVIRONMENT: 'development', MIGRATE_CMD: 'true' });
      expect(r.status).toBe(0);
      expect(existsSync(join(work, 'seeded'))).toBe(false);
    },
    SLOW,
  );

  it(
    'says the app is not built instead of blaming the database',
    () => {
      const empty = mkdtempSync(join(work, 'empty-app-'));
      const env = baseEnv();
      delete (env as Partial<typeof env>).SERVER_ENTRY;
      const r = start({ ...env, APP_DIR: empty });
      expect(r.status).not.toBe(0);
      expect(r.stderr).toContain(`server entry ${empty}/dist/apps/api/src/main.js not found: run 'npm run build'`);
      const r2 = start({ ...baseEnv(), APP_DIR: empty });
      expect(r2.status).not.toBe(0);
      expect(r2.stderr).toContain(`migrate CLI ${empty}/dist/apps/api/src/cli/migrate.js not found`);
      const env3 = baseEnv();
      delete (env3 as Partial<typeof env3>).CONFIG_CMD;
      const r3 = start({ ...env3, APP_DIR: empty });
      expect(r3.status).not.toBe(0);
      expect(r3.stderr).toContain(`config CLI ${empty}/dist/apps/api/src/cli/effective-config.js not found`);
    },
    SLOW,
  );

  it(
    'fails when seeding fails',
    () => {
      const r = start({
        ...baseEnv(),
        MIGRATE_CMD: 'true',
        SEED_CMD: `echo "seed: bad admin password ${SECRETS.admin}" >&2; exit 3`,
      });
      expect(r.status).not.toBe(0);
      expect(r.stderr).toContain('seeding failed');
      expect(r.stdout).not.toContain('SERVER ');
      expectNoSecrets(r);
    },
    SLOW,
  );
});
