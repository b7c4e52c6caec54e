import { parseConfig } from './app-config.js';
import { resolveDatabaseUrl, redactUrl } from './database-url.js';
import { VARIABLES } from './env-variables.js';

const STRONG_SECRET = 'a'.repeat(16) + 'b'.repeat(16) + 'c';

describe('parseConfig', () => {
  it('applies the documented defaults with an empty environment', () => {
    const { config, problems } = parseConfig({});
    expect(problems).toEqual([]);
    expect(config.environment).toBe('development');
    expect(config.app).toMatchObject({ name: 'GRUPO_GAD', version: '1.0.0', apiPrefix: '/api/v1', host: '0.0.0.0', port: 8000 });
    expect(config.security.accessTokenExpireMinutes).toBe(30);
    expect(config.security.bcryptRounds).toBe(10);
    expect(config.http.maxRequestBodySize).toBe(10_485_760);
    expect(config.http.workers).toBe(1);
    expect(config.database.embedded).toBe(true);
    expect(config.database.runMigrations).toBe(true);
    expect(config.database).toMatchObject({
      poolSize: 20,
      maxOverflow: 10,
      poolTimeoutMs: 30_000,
      poolRecycleSeconds: 3600,
      poolIdleTimeoutMs: 10_000,
      commandTimeoutMs: 60_000,
    });
    expect(config.http).toMatchObject({ workerCrashLimit: 5, workerCrashWindowMs: 60_000, cdnBaseUrl: undefined });
    expect(config.ws).toMatchObject({
      heartbeatIntervalMs: 30_000,
      maxConnections: 100,
      messageMaxSize: 1_048_576,
      connectionTimeoutMs: 300_000,
    });
    expect(config.ai).toMatchObject({
      configured: false,
      model: 'gpt-4',
      maxTokens: 2000,
      temperature: 0.7,
      requestTimeoutMs: 30_000,
    });
    expect(config.metrics).toMatchObject({ enabled: true, path: '/metrics', healthCheckPath: '/api/v1/health' });
    expect(config.admin.email).toBe('admin@grupogad.com');
  });

  it('adds the localhost origins in development only', () => {
    const dev = parseConfig({ CORS_ALLOWED_ORIGINS: '["https://app.example.com"]' }).config;
    expect(dev.security.corsAllowedOrigins).toEqual(expect.arrayContaining(['https://app.example.com', 'http://localhost:3000']));
    const staging = parseConfig({
      ENVIRONMENT: 'staging',
      SECRET_KEY: STRONG_SECRET,
      CORS_ALLOWED_ORIGINS: '["https://app.example.com"]',
    }).config;
    expect(staging.security.corsAllowedOrigins).toEqual(['https://app.example.com']);
  });

  it('parses JSON lists and rejects malformed ones', () => {
    const ok = parseConfig({ TRUSTED_PROXY_HOSTS: '["localhost","10.0.0.0/8"]' });
    expect(ok.config.security.trustedProxyHosts).toEqual(['localhost', '10.0.0.0/8']);
    const bad = parseConfig({ TRUSTED_PROXY_HOSTS: '["unterminated' });
    expect(bad.problems.join('\n')).toMatch(/TRUSTED_PROXY_HOSTS must be a JSON list/);
    expect(parseConfig({ CORS_ALLOWED_ORIGINS: '[1,2]' }).problems.join()).toMatch(/CORS_ALLOWED_ORIGINS/);
  });

  it('parses booleans and numbers strictly', () => {
    const { config, problems } = parseConfig({ DEBUG: 'yes', PORT: '9000', SECURE_COOKIES: 'TRUE' });
    expect(problems).toEqual([]);
    expect(config.debug).toBe(true);
    expect(config.app.port).toBe(9000);
    expect(config.security.secureCookies).toBe(true);
    const bad = parseConfig({ DEBUG: 'maybe', PORT: 'eighty', WS_MAX_CONNECTIONS: '-1' });
    expect(bad.problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^DEBUG must be true or false/),
        expect.stringMatching(/^PORT must be an integer/),
        expect.stringMatching(/^WS_MAX_CONNECTIONS must be between/),
      ]),
    );
  });

  it('refuses every weak production setting at once', () => {
    const { problems } = parseConfig({
      ENVIRONMENT: 'production',
      SECRET_KEY: 'short',
      DEBUG: 'true',
      CORS_ALLOWED_ORIGINS: '["*"]',
    });
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/SECRET_KEY must be at least 32 characters/),
        expect.stringMatching(/DEBUG must be false in production/),
        expect.stringMatching(/CORS_ALLOWED_ORIGINS must not contain "\*"/),
        expect.stringMatching(/no database is configured/),
        expect.stringMatching(/ADMIN_PASSWORD is missing/),
      ]),
    );
    expect(problems).toHaveLength(5);
  });

  it('refuses a missing or placeholder SECRET_KEY in production', () => {
    const base = { ENVIRONMENT: 'production', DATABASE_URL: 'postgresql://u:p@db/x', ADMIN_PASSWORD: 'x'.repeat(16) };
    expect(parseConfig(base).problems).toEqual([expect.stringMatching(/SECRET_KEY is missing/)]);
    expect(parseConfig({ ...base, SECRET_KEY: 'tu_clave_secreta_minimo_32_caracteres_2024' }).problems).toEqual([
      expect.stringMatching(/placeholder/),
    ]);
    expect(parseConfig({ ...base, SECRET_KEY: STRONG_SECRET }).problems).toEqual([]);
  });

  it('only warns outside production', () => {
    const { problems, warnings, config } = parseConfig({ ENVIRONMENT: 'staging', DEBUG: 'true', CORS_ALLOWED_ORIGINS: '["*"]' });
    expect(problems).toEqual([]);
    expect(warnings).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^DEBUG/),
        expect.stringMatching(/^CORS/),
        expect.stringMatching(/^SECRET_KEY/),
        expect.stringMatching(/^no database/),
      ]),
    );
    expect(config.security.secretKey.length).toBeGreaterThanOrEqual(32);
  });

  it('keeps bcrypt at cost 12 in production unless raised, and never below 10', () => {
    const prod = {
      ENVIRONMENT: 'production',
      SECRET_KEY: STRONG_SECRET,
      DATABASE_URL: 'postgresql://db/x',
      ADMIN_PASSWORD: 'x'.repeat(16),
    };
    expect(parseConfig(prod).config.security.bcryptRounds).toBe(12);
    expect(parseConfig({ ...prod, BCRYPT_ROUNDS: '13' }).config.security.bcryptRounds).toBe(13);
    expect(parseConfig({ ...prod, BCRYPT_ROUNDS: '8' }).problems).toEqual([
      expect.stringMatching(/BCRYPT_ROUNDS must be at least 10/),
    ]);
  });

  it('makes cookies Secure by default in production only, and warns when production turns it off', () => {
    const prod = {
      ENVIRONMENT: 'production',
      SECRET_KEY: STRONG_SECRET,
      DATABASE_URL: 'postgresql://db/x',
      ADMIN_PASSWORD: 'x'.repeat(16),
    };
    expect(parseConfig(prod).config.security.secureCookies).toBe(true);
    expect(parseConfig({}).config.security.secureCookies).toBe(false);
    const off = parseConfig({ ...prod, SECURE_COOKIES: 'false' });
    expect(off.config.security.secureCookies).toBe(false);
    expect(off.warnings).toEqual([expect.stringMatching(/SECURE_COOKIES=false in production/)]);
  });

  it('never signs with the published development key in staging', () => {
    const staging = parseConfig({ ENVIRONMENT: 'staging' }).config.security.secretKey;
    expect(staging).not.toBe(parseConfig({}).config.security.secretKey);
    expect(staging).toHaveLength(64);
  });

  it('takes CDN_BASE_URL as an http(s) URL without its trailing slash, and refuses anything else', () => {
    expect(parseConfig({ CDN_BASE_URL: 'https://cdn.example.com/assets/' }).config.http.cdnBaseUrl).toBe(
      'https://cdn.example.com/assets',
    );
    for (const bad of ['cdn.example.com', 'ftp://cdn.example.com', 'javascript:alert(1)']) {
      expect(parseConfig({ CDN_BASE_URL: bad }).problems).toEqual([expect.stringContaining('CDN_BASE_URL must be an http')]);
    }
  });

  it('documents every variable it reads exactly once', () => {
    const names = VARIABLES.map((v) => v.name);
    expect(new Set(names).size).toBe(names.length);
  });
});

describe('resolveDatabaseUrl', () => {
  it('prefers DATABASE_URL, then DB_URL, then POSTGRES_* parts', () => {
    const parts = {
      POSTGRES_SERVER: 'db',
      POSTGRES_USER: 'gad',
      POSTGRES_PASSWORD: 'p@ss word',
      POSTGRES_DB: 'gad_db',
      POSTGRES_PORT: '5433',
    };
    expect(resolveDatabaseUrl({ DATABASE_URL: 'postgresql://a@h1/d1', DB_URL: 'postgresql://b@h2/d2', ...parts })).toEqual({
      source: 'DATABASE_URL',
      url: 'postgresql://a@h1/d1',
    });
    expect(resolveDatabaseUrl({ DB_URL: 'postgresql://b@h2/d2', ...parts })).toEqual({
      source: 'DB_URL',
      url: 'postgresql://b@h2/d2',
    });
    expect(resolveDatabaseUrl(parts)).toEqual({ source: 'POSTGRES_*', url: 'postgresql://gad:p%40ss%20word@db:5433/gad_db' });
    expect(resolveDatabaseUrl({})).toEqual({ source: 'embedded' });
  });

  it("accepts SQLAlchemy's asyncpg scheme and explains SQLite", () => {
    expect(resolveDatabaseUrl({ DATABASE_URL: 'postgresql+asyncpg://u:p@db:5432/gad' }).url).toBe('postgresql://u:p@db:5432/gad');
    const sqlite = resolveDatabaseUrl({ DATABASE_URL: 'sqlite+aiosqlite:///./dev.db' });
    expect(sqlite.url).toBeUndefined();
    expect(sqlite.problem).toMatch(/SQLite.*not support.*leave the database unset.*PGlite/);
    expect(parseConfig({ DATABASE_URL: 'sqlite+aiosqlite:///./dev.db' }).problems).toHaveLength(1);
  });

  it('turns SSL on from the URL', () => {
    expect(parseConfig({ DATABASE_URL: 'postgresql://u@db/x?sslmode=require' }).config.database.ssl).toBe(true);
    expect(parseConfig({ DATABASE_URL: 'postgresql://u@db/x' }).config.database.ssl).toBe(false);
  });

  it('masks passwords for logs', () => {
    expect(redactUrl('postgresql://u:secret@db/x')).toBe('postgresql://u:***@db/x');
  });
});
