import { effectiveConfiguration } from './effective.js';
import { configurationFrom, productionWorkers } from './slices.js';

const MB = 2 ** 20;
const PRODUCTION = {
  ENVIRONMENT: 'production',
  SECRET_KEY: 'k'.repeat(40),
  ADMIN_PASSWORD: 'Admin-Initial-Pass-1',
  DATABASE_URL: 'postgresql+asyncpg://gad:Db-Pass-9@db.internal:5432/gad_db',
  REDIS_URL: 'redis://:Redis-Pass-7@cache.internal:6379/0',
  OPENAI_API_KEY: 'sk-test-not-a-real-key',
  METRICS_TOKEN: 'token://looks-like-a-url',
  OPENAI_BASE_URL: 'https://proxy-user:Proxy-Pass-3@llm.internal/v1',
};

describe('productionWorkers', () => {
  it('is 2 × CPUs + 1, with no more workers than 256 MB each fits in the memory limit', () => {
    expect(productionWorkers(2, 8192 * MB).workers).toBe(5);
    expect(productionWorkers(8, 1024 * MB).workers).toBe(4);
    // a 256 MB container (the production compose file's limit) on any host: one worker
    expect(productionWorkers(1, 256 * MB).workers).toBe(1);
    expect(productionWorkers(4, 100 * MB).workers).toBe(1);
  });

  it('falls back to the machine memory when no limit is set (0, or 2^64 from an unlimited cgroup)', () => {
    const unlimited = productionWorkers(1, 0);
    expect(unlimited.workers).toBe(3);
    expect(productionWorkers(1, 2 ** 64).workers).toBe(unlimited.workers);
    expect(unlimited.reason).toMatch(/^2 × 1 CPUs \+ 1 = 3; \d+ MB at 256 MB a worker = \d+$/);
  });
});

describe('effectiveConfiguration', () => {
  it('lists the variables that are set, masking secrets (URLs keep all but the password), then what derives from them', () => {
    const lines = new Map(
      effectiveConfiguration(configurationFrom({ ...PRODUCTION, WORKERS: '3' }), { ...PRODUCTION, WORKERS: '3' }),
    );
    expect(lines.get('ENVIRONMENT')).toBe('production');
    expect(lines.get('SECRET_KEY')).toBe('(set)');
    expect(lines.get('ADMIN_PASSWORD')).toBe('(set)');
    expect(lines.get('OPENAI_API_KEY')).toBe('(set)');
    expect(lines.get('METRICS_TOKEN')).toBe('(set)'); // a secret that merely looks like a URL
    expect(lines.get('DATABASE_URL')).toBe('postgresql+asyncpg://gad:***@db.internal:5432/gad_db');
    expect(lines.get('REDIS_URL')).toBe('redis://:***@cache.internal:6379/0');
    expect(lines.get('OPENAI_BASE_URL')).toBe('https://proxy-user:***@llm.internal/v1'); // not a secret, but a URL
    expect(lines.get('workers')).toBe('3 (WORKERS)');
    expect(lines.get('database')).toBe('postgresql://gad:***@db.internal:5432/gad_db (from DATABASE_URL)');
    expect(lines.get('redis')).toBe('redis://:***@cache.internal:6379/0');
    expect(lines.has('PORT')).toBe(false); // not set: its default is in the README, not repeated here
    const printed = JSON.stringify([...lines]);
    for (const secret of [
      'k'.repeat(40),
      'Admin-Initial-Pass-1',
      'Db-Pass-9',
      'Redis-Pass-7',
      'sk-test-not-a-real-key',
      'Proxy-Pass-3',
      'looks-like-a-url',
    ])
      expect(printed).not.toContain(secret);
  });

  it('says where the worker count comes from when WORKERS is not set', () => {
    const production = new Map(effectiveConfiguration(configurationFrom(PRODUCTION), PRODUCTION));
    expect(production.get('workers')).toMatch(
      /^\d+ \(production default: 2 × \d+ CPUs \+ 1 = \d+; \d+ MB at 256 MB a worker = \d+\)$/,
    );
    const development = new Map(effectiveConfiguration(configurationFrom({}), {}));
    expect(development.get('workers')).toBe('1 (one outside production)');
    expect(development.get('database')).toBe('embedded PGlite in ./.data/pglite');
    expect(development.get('redis')).toBe('none: in-memory cache, counters and fan-out (one process)');
  });
});
