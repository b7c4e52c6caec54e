// backup_db.sh / restore_db.sh against the real PostgreSQL server of the test suites
// (TEST_DATABASE_URL, default postgresql://postgres@127.0.0.1:5432/postgres): create data,
// back up, drop, restore, compare; and the refusals.
import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  appendFileSync,
  chmodSync,
  copyFileSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './helpers.js';

const BACKUP = join(ROOT, 'scripts/backup_db.sh');
const SCHEDULE = join(ROOT, 'scripts/backup_schedule.sh');
const RESTORE = join(ROOT, 'scripts/restore_db.sh');
const ADMIN = new URL(process.env.TEST_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres');
const HOST = ADMIN.hostname;
const PORT = ADMIN.port || '5432';
const SLOW = 60_000;

const suffix = `${process.pid}_${randomBytes(3).toString('hex')}`;
const DB = `kit_backup_${suffix}`;
const ROLE = `kit_backup_role_${suffix}`;
// distinctive, with characters that need URL encoding
const PASSWORD = `Kit-S3cret@Pw/${randomBytes(4).toString('hex')}`;
const URL_ASYNCPG = `postgresql+asyncpg://${ROLE}:${encodeURIComponent(PASSWORD)}@${HOST}:${PORT}/${DB}`;
const URL_PLAIN = `postgresql://${ROLE}:${encodeURIComponent(PASSWORD)}@${HOST}:${PORT}/${DB}`;

function adminEnv(): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    PGHOST: HOST,
    PGPORT: PORT,
    PGUSER: decodeURIComponent(ADMIN.username || 'postgres'),
    PGPASSWORD: decodeURIComponent(ADMIN.password),
    PGDATABASE: decodeURIComponent(ADMIN.pathname.slice(1) || 'postgres'),
  };
}

/** Run SQL as the admin (database `postgres`) or as the test role (its database). */
function sql(query: string, asRole = false): string {
  const target = asRole ? URL_PLAIN : (adminEnv().PGDATABASE as string);
  const r = spawnSync('psql', ['-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-d', target, '-c', query], {
    env: adminEnv(),
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`psql failed (${r.status}): ${r.stderr}`);
  return r.stdout.trim();
}

/** Scripts get a clean environment: no PG* variables, so the URL must carry everything. */
function run(script: string, env: Record<string, string>, args: string[] = []): SpawnSyncReturns<string> {
  return spawnSync('bash', [script, ...args], {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', ...env },
    encoding: 'utf8',
    timeout: SLOW,
    input: '',
  });
}

const output = (r: SpawnSyncReturns<string>) => `${r.stdout}\n${r.stderr}`;

function expectNoSecret(r: SpawnSyncReturns<string>): void {
  const out = output(r);
  expect(out).not.toContain(PASSWORD);
  expect(out).not.toContain(encodeURIComponent(PASSWORD));
}

const ROWS_SQL = `SELECT id || '|' || coalesce(name, '<null>') || '|' || qty FROM items ORDER BY id`;

let work: string;

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'kit-backup-'));
  sql(`CREATE ROLE "${ROLE}" LOGIN PASSWORD '${PASSWORD.replace(/'/g, "''")}'`);
  sql(`CREATE DATABASE "${DB}" OWNER "${ROLE}"`);
  sql(
    `CREATE TABLE items (id serial PRIMARY KEY, name text, qty integer NOT NULL DEFAULT 0);
     INSERT INTO items (name, qty) VALUES ('O''Brien', 1), ('ñandú ☕', 2), (NULL, 3), ('a;b -- c', 4);
     CREATE INDEX items_name_idx ON items (name);`,
    true,
  );
}, SLOW);

afterAll(() => {
  try {
    sql(`DROP DATABASE IF EXISTS "${DB}" WITH (FORCE)`);
    sql(`DROP ROLE IF EXISTS "${ROLE}"`);
  } finally {
    if (work) rmSync(work, { recursive: true, force: true });
  }
}, SLOW);

function backupFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.sql.gz'))
    .sort();
}

describe('backup_db.sh → restore_db.sh round trip on PostgreSQL', () => {
  it(
    'backs up, survives a DROP TABLE and a changed row, and restores the same rows',
    () => {
      const original = sql(ROWS_SQL, true);
      expect(original.split('\n')).toHaveLength(4);
      const dir = join(work, 'roundtrip');

      const b = run(BACKUP, { DATABASE_URL: URL_ASYNCPG, BACKUP_DIR: dir });
      expect(b.stderr).toBe('');
      expect(b.status).toBe(0);
      expectNoSecret(b);
      const files = backupFiles(dir);
      expect(files).toHaveLength(1);
      expect(files[0]).toMatch(new RegExp(`^${DB}_\\d{8}_\\d{6}\\.sql\\.gz$`));
      expect(existsSync(join(dir, `${files[0]}.sha256`))).toBe(true);
      const check = spawnSync('sha256sum', ['-c', `${files[0]}.sha256`], { cwd: dir, encoding: 'utf8' });
      expect(check.status).toBe(0);
      const file = join(dir, files[0]);

      // drop → restore
      sql('DROP TABLE items', true);
      const r1 = run(RESTORE, { DATABASE_URL: URL_PLAIN }, [file]);
      expect(r1.stderr).toBe('');
      expect(r1.status).toBe(0);
      expectNoSecret(r1);
      expect(sql(ROWS_SQL, true)).toBe(original);
      // the sequence came back too
      expect(Number(sql(`INSERT INTO items (name) VALUES ('next') RETURNING id`, true))).toBe(5);

      // restore over the existing table (the --clean dump drops and recreates it)
      sql(`UPDATE items SET name = 'changed'`, true);
      const r2 = run(RESTORE, { DATABASE_URL: URL_ASYNCPG }, ['--yes', file]);
      expect(r2.status).toBe(0);
      expect(sql(ROWS_SQL, true)).toBe(original);
      expect(sql(`SELECT count(*) FROM pg_indexes WHERE indexname = 'items_name_idx'`, true)).toBe('1');
    },
    SLOW,
  );

  it(
    'takes the password from ?password= too (libpq reads it there), and never prints it',
    () => {
      const dir = join(work, 'query-password');
      const url = `postgresql://${ROLE}@${HOST}:${PORT}/${DB}?sslmode=disable&password=${encodeURIComponent(PASSWORD)}`;
      const b = run(BACKUP, { DATABASE_URL: url, BACKUP_DIR: dir });
      expect(b.stderr).toBe('');
      expect(b.status).toBe(0);
      expectNoSecret(b);
      expect(backupFiles(dir)).toHaveLength(1);
      const refused = run(BACKUP, { DATABASE_URL: `postgresql://${HOST}:${PORT}/?password=${encodeURIComponent(PASSWORD)}` });
      expect(refused.status).not.toBe(0);
      expect(refused.stderr).toContain('password=***');
      expectNoSecret(refused);
      // a raw '@' in the query is not the end of the user information
      const rawAt = run(BACKUP, { DATABASE_URL: `postgresql://${HOST}:${PORT}/?password=Raw@Tail-${suffix}` });
      expect(rawAt.status).not.toBe(0);
      expect(output(rawAt)).not.toContain(`Tail-${suffix}`);
    },
    SLOW,
  );

  it(
    'deletes this database’s backups older than BACKUP_RETENTION_DAYS and nothing else',
    () => {
      const dir = join(work, 'retention');
      const b0 = run(BACKUP, { DATABASE_URL: URL_PLAIN, BACKUP_DIR: dir });
      expect(b0.status).toBe(0);
      const fresh = backupFiles(dir)[0];

      const old = join(dir, `${DB}_20000101_000000.sql.gz`);
      const other = join(dir, `otherdb_20000101_000000.sql.gz`);
      const tenDaysAgo = new Date(Date.now() - 10 * 86_400_000);
      for (const f of [old, `${old}.sha256`, other]) {
        writeFileSync(f, 'x');
        utimesSync(f, tenDaysAgo, tenDaysAgo);
      }
      // fresh backup made "3 days ago": within the 7-day retention
      const recent = join(dir, fresh);
      const threeDaysAgo = new Date(Date.now() - 3 * 86_400_000);
      utimesSync(recent, threeDaysAgo, threeDaysAgo);

      // a new name second: backups are per-second
      spawnSync('sleep', ['1.1']);
      const b = run(BACKUP, { DATABASE_URL: URL_PLAIN, BACKUP_DIR: dir, BACKUP_RETENTION_DAYS: '7' });
      expect(b.status).toBe(0);
      expect(b.stdout).toContain('1 old backup(s) deleted');
      expect(existsSync(old)).toBe(false);
      expect(existsSync(`${old}.sha256`)).toBe(false);
      expect(existsSync(other)).toBe(true);
      expect(existsSync(recent)).toBe(true);
      expect(backupFiles(dir).filter((f) => f.startsWith(DB))).toHaveLength(2);
    },
    SLOW,
  );
});

describe('backup_schedule.sh (the compose backup service)', () => {
  it(
    'backs up at once and then every BACKUP_INTERVAL_SECONDS, keeps going after a failure, and stops on SIGTERM',
    async () => {
      const dir = join(work, 'scheduled');
      const child = spawn('bash', [SCHEDULE], {
        env: {
          PATH: process.env.PATH ?? '/usr/bin:/bin',
          DATABASE_URL: URL_PLAIN,
          BACKUP_DIR: dir,
          BACKUP_INTERVAL_SECONDS: '1',
        },
      });
      let out = '';
      child.stdout.on('data', (d) => (out += d));
      child.stderr.on('data', (d) => (out += d));
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      const until = async (done: () => boolean, what: string) => {
        for (const started = Date.now(); !done(); await new Promise((r) => setTimeout(r, 100))) {
          if (Date.now() - started > 20_000) throw new Error(`timed out waiting for ${what}:\n${out}`);
        }
      };
      await until(() => existsSync(dir) && backupFiles(dir).length >= 2, 'two backups');
      // a failure (the directory turns into a file) is reported and the loop goes on
      rmSync(dir, { recursive: true });
      writeFileSync(dir, 'in the way');
      await until(() => /backup failed \(above\); next attempt in 1 s/.test(out), 'a reported failure');
      rmSync(dir);
      await until(() => existsSync(dir) && backupFiles(dir).length >= 1, 'a backup after the failure');
      const stopping = Date.now();
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(Date.now() - stopping).toBeLessThan(5000);
      expect(out).toMatch(/a backup now, then every 1 s/);
      expect(out).toMatch(/backup_schedule: stopped/);
      expect(out).not.toContain(PASSWORD);
      expect(out).not.toContain(encodeURIComponent(PASSWORD));
    },
    SLOW,
  );

  it('refuses an interval that is not a whole number of seconds', () => {
    const r = run(SCHEDULE, { DATABASE_URL: URL_PLAIN, BACKUP_INTERVAL_SECONDS: '1h' });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/BACKUP_INTERVAL_SECONDS must be a whole number of seconds \(got '1h'\)/);
  });
});

describe('refusals: clear message, non-zero exit, no password', () => {
  it('backup without DATABASE_URL', () => {
    const r = run(BACKUP, { BACKUP_DIR: join(work, 'nourl') });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/DATABASE_URL is not set/);
    expect(existsSync(join(work, 'nourl'))).toBe(false);
  });

  it('backup with a URL that is not PostgreSQL', () => {
    const r = run(BACKUP, { DATABASE_URL: `mysql://u:${PASSWORD}@h/db`, BACKUP_DIR: join(work, 'mysql') });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/must be a postgresql:\/\/ URL/);
    expectNoSecret(r);
  });

  it('backup into a path that is a file, or under a file', () => {
    const file = join(work, 'a-file');
    writeFileSync(file, 'not a directory');
    const r1 = run(BACKUP, { DATABASE_URL: URL_PLAIN, BACKUP_DIR: file });
    expect(r1.status).not.toBe(0);
    expect(r1.stderr).toMatch(/BACKUP_DIR '.*a-file' exists but is not a directory/);
    expectNoSecret(r1);
    const r2 = run(BACKUP, { DATABASE_URL: URL_PLAIN, BACKUP_DIR: join(file, 'backups') });
    expect(r2.status).not.toBe(0);
    expect(r2.stderr).toMatch(/does not exist and cannot be created/);
    expectNoSecret(r2);
  });

  const nonRoot = typeof process.getuid === 'function' && process.getuid() !== 0;
  (nonRoot ? it : it.skip)('backup into a read-only directory (non-root only: root can write anywhere)', () => {
    const dir = join(work, 'readonly');
    spawnSync('mkdir', ['-p', dir]);
    chmodSync(dir, 0o555);
    const r = run(BACKUP, { DATABASE_URL: URL_PLAIN, BACKUP_DIR: dir });
    chmodSync(dir, 0o755);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/is not writable/);
  });

  it(
    'backup of an unreachable database leaves no file behind',
    () => {
      const dir = join(work, 'unreachable');
      const url = `postgresql://${ROLE}:${encodeURIComponent(PASSWORD)}@127.0.0.1:1/${DB}`;
      const r = run(BACKUP, { DATABASE_URL: url, BACKUP_DIR: dir });
      expect(r.status).not.toBe(0);
      expect(r.stderr).toMatch(/pg_dump of 127\.0\.0\.1:1\/kit_backup_\w+ failed/);
      expectNoSecret(r);
      expect(readdirSync(dir)).toEqual([]);
    },
    SLOW,
  );

  describe('restore', () => {
    let dir: string;
    let good: string;
    beforeAll(() => {
      dir = join(work, 'restore-refusals');
      const b = run(BACKUP, { DATABASE_URL: URL_PLAIN, BACKUP_DIR: dir });
      expect(b.status).toBe(0);
      good = join(dir, backupFiles(dir)[0]);
    }, SLOW);

    it('without DATABASE_URL', () => {
      const r = run(RESTORE, {}, [good]);
      expect(r.status).not.toBe(0);
      expect(r.stderr).toMatch(/DATABASE_URL is not set/);
    });

    it('without a file, or with a missing one', () => {
      const r1 = run(RESTORE, { DATABASE_URL: URL_PLAIN });
      expect(r1.status).not.toBe(0);
      expect(r1.stderr).toMatch(/no backup file given/);
      expectNoSecret(r1);
      const r2 = run(RESTORE, { DATABASE_URL: URL_PLAIN }, [join(dir, 'nope.sql.gz')]);
      expect(r2.status).not.toBe(0);
      expect(r2.stderr).toMatch(/backup file '.*nope\.sql\.gz' does not exist/);
      expectNoSecret(r2);
    });

    it(
      'with a bad checksum, and leaves the database untouched',
      () => {
        const before = sql(ROWS_SQL, true);
        const tampered = join(dir, `${DB}_29990101_000000.sql.gz`);
        copyFileSync(good, tampered);
        copyFileSync(`${good}.sha256`, `${tampered}.sha256`);
        appendFileSync(tampered, Buffer.from([0]));
        const r = run(RESTORE, { DATABASE_URL: URL_PLAIN }, [tampered]);
        expect(r.status).not.toBe(0);
        expect(r.stderr).toMatch(/checksum mismatch/);
        expectNoSecret(r);
        expect(sql(ROWS_SQL, true)).toBe(before);
      },
      SLOW,
    );

    it('without the checksum file', () => {
      const unsummed = join(dir, `${DB}_29990101_000001.sql.gz`);
      copyFileSync(good, unsummed);
      const r = run(RESTORE, { DATABASE_URL: URL_PLAIN }, [unsummed]);
      expect(r.status).not.toBe(0);
      expect(r.stderr).toMatch(/checksum file '.*\.sha256' is missing/);
      expectNoSecret(r);
    });
  });
});
