import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const TEST_SECRET_KEY = 'test-secret-key-0123456789abcdef0123456789abcdef';
export const TEST_ADMIN_PASSWORD = 'Admin-Initial-Pass-2026';

/** PostgreSQL server the integration suites use (CI points it at its own database). */
export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
/** Redis the integration suites use; tests namespace their keys so parallel files do not collide. */
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

export type Env = Record<string, string | undefined>;

/** A quiet, valid test environment; callers add the database and anything they test. */
export function baseEnv(overrides: Env = {}): Env {
  return {
    ENVIRONMENT: 'test',
    SECRET_KEY: TEST_SECRET_KEY,
    LOG_LEVEL: 'CRITICAL',
    ADMIN_PASSWORD: TEST_ADMIN_PASSWORD,
    BCRYPT_ROUNDS: '4',
    RUN_MIGRATIONS: 'true',
    HOST: '127.0.0.1',
    PORT: '0',
    ...overrides,
  };
}

export function tempDir(prefix = 'gad-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}
