import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { closedPort, createThrowawayDatabase, type ThrowawayDatabase } from './support/databases.js';
import { call } from './support/http.js';
import { ROOT } from './support/server-process.js';
import { tempDir } from './support/test-env.js';

// scripts/start.sh, the image's command, with the real build against real PostgreSQL.
const START = join(ROOT, 'scripts/start.sh');
const SECRET_KEY = 'start-script-secret-key-0123456789abcdef0123456789';
const ADMIN_PASSWORD = 'Start-Script-Admin-2026';

describe('scripts/start.sh', () => {
  let db: ThrowawayDatabase;
  beforeAll(async () => {
    db = await createThrowawayDatabase();
  });
  afterAll(async () => {
    await db?.drop();
  });

  const env = (extra: Record<string, string>) => ({
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: tempDir(),
    ENVIRONMENT: 'production',
    SECRET_KEY,
    ADMIN_PASSWORD,
    BCRYPT_ROUNDS: '10',
    HOST: '127.0.0.1',
    WORKERS: '1',
    LOG_LEVEL: 'ERROR',
    ...extra,
  });

  it('migrates, seeds the admin, serves, and stops cleanly (production, real PostgreSQL)', async () => {
    const port = await closedPort();
    const child = spawn('bash', [START], {
      env: env({ DATABASE_URL: db.url.replace('postgresql://', 'postgresql+asyncpg://'), PORT: String(port) }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    try {
      let ready = 0;
      for (let i = 0; i < 150 && ready !== 200; i++) {
        ready = await fetch(`http://127.0.0.1:${port}/api/v1/health/ready`).then(
          (r) => r.status,
          () => 0,
        );
        if (ready !== 200) await new Promise((r) => setTimeout(r, 200));
      }
      expect(ready).toBe(200);
      // the configuration as the app's own schema reads it, printed before the database is touched
      expect(output).toMatch(/effective configuration \(secrets masked\):\n/);
      expect(output).toMatch(/^ {2}SECRET_KEY +\(set\)$/m);
      expect(output).toMatch(/^ {2}workers +1 \(WORKERS\)$/m);
      expect(output).toMatch(/^ {2}database +postgresql:\/\/\S+ \(from DATABASE_URL\)$/m);
      expect(output.indexOf('effective configuration')).toBeLessThan(output.indexOf('migrations applied'));
      expect(output).toMatch(/migrations applied/);
      expect(output).toMatch(/admin admin@grupogad.com created/);
      expect(output).not.toContain(SECRET_KEY);
      expect(output).not.toContain(ADMIN_PASSWORD);
      const login = await call('POST', `http://127.0.0.1:${port}/api/v1/auth/login`, {
        email: 'admin@grupogad.com',
        password: ADMIN_PASSWORD,
      });
      expect(login.status).toBe(200);
    } finally {
      child.kill('SIGTERM');
    }
    const code = await new Promise((r) => child.once('exit', r));
    expect(code).toBe(0);
  });

  it('fails fast with a clear message when the database stays unreachable', async () => {
    const port = await closedPort();
    const result = spawnSync('bash', [START], {
      env: env({
        DATABASE_URL: `postgresql://gad:Pw-Not-To-Print@127.0.0.1:${port}/gad`,
        PORT: '0',
        DB_WAIT_RETRIES: '2',
        DB_WAIT_INTERVAL: '0.2',
      }),
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(/unreachable .*after 2 attempts/);
    expect(`${result.stdout}${result.stderr}`).not.toContain('Pw-Not-To-Print');
  });

  it('refuses a configuration the server would refuse, listing every problem, before waiting for any database', () => {
    const result = spawnSync('bash', [START], {
      env: env({
        DATABASE_URL: 'postgresql://gad:Pw-Not-To-Print@127.0.0.1:9/gad',
        WORKERS: 'many',
        DB_WAIT_RETRIES: '0',
        SECRET_KEY: 'short',
      }),
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('WORKERS must be a number (got "many")');
    expect(result.stderr).toContain('DB_WAIT_RETRIES must be at least 1 (got "0")');
    expect(result.stderr).toContain('SECRET_KEY must be at least 32 characters');
    expect(result.stderr).toContain('nothing was started');
    expect(result.stdout).not.toMatch(/attempt \d/);
    expect(`${result.stdout}${result.stderr}`).not.toContain('Pw-Not-To-Print');
  });
});
