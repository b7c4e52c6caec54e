import { resolveDatabaseUrl, redactUrl } from './database-url.js';
import { variableDocs } from './docs.js';
import { validateEnvironment, type RawEnvironment } from './environment.js';
import { environmentSchema } from './environment.schema.js';
import { configurationOf } from './slices.js';

/** The environment's slices, with what validation reported. */
function parseConfig(raw: RawEnvironment) {
  const { env, problems, warnings } = validateEnvironment(raw);
  return { config: configurationOf(env), problems, warnings };
}

/** resolveDatabaseUrl takes validated variables: parse them the same way. */
const database = (raw: RawEnvironment) => resolveDatabaseUrl(validateEnvironment(raw).env);

const STRONG_SECRET = 'a'.repeat(16) + 'b'.repeat(16) + 'c';

describe('the environment schema and its slices', () => {
  it('applies the documented defaults with an empty environment', () => {
    const { config, problems } = parseConfig({});
    expect(problems).toEqual([]);
    expect(config.app.environment).toBe('development');
    expect(config.app).toMatchObject({ name: 'GRUPO_GAD', version: '1.0.0', apiPrefix: '/api/v1', host: '0.0.0.0', port: 8000 });
    expect(config.app.keyNamespace).toBe('GRUPO_GAD:development:');
    expect(config.auth.accessTokenExpireMinutes).toBe(30);
    expect(config.auth.bcryptRounds).toBe(10);
    expect(config.http.maxRequestBodySize).toBe(10_485_760);
    expect(config.cluster.workers).toBe(1);
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
    expect(config.cluster).toMatchObject({ workerCrashLimit: 5, workerCrashWindowMs: 60_000 });
    expect(config.http.cdnBaseUrl).toBeUndefined();
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
    expect(config.auth.adminEmail).toBe('admin@grupogad.com');
    expect(config.cache).toEqual({ ttlSeconds: 3600, memoryTtlSeconds: 15 });
  });

  it('adds the localhost origins in development only', () => {
    const dev = parseConfig({ CORS_ALLOWED_ORIGINS: '["https://app.example.com"]' }).config;
    expect(dev.http.corsAllowedOrigins).toEqual(expect.arrayContaining(['https://app.example.com', 'http://localhost:3000']));
    const staging = parseConfig({
      ENVIRONMENT: 'staging',
      SECRET_KEY: STRONG_SECRET,
      CORS_ALLOWED_ORIGINS: '["https://app.example.com"]',
    }).config;
    expect(staging.http.corsAllowedOrigins).toEqual(['https://app.example.com']);
  });

  it('parses JSON lists and rejects malformed ones', () => {
    const ok = parseConfig({ TRUSTED_PROXY_HOSTS: '["localhost","10.0.0.0/8"]' });
    expect(ok.config.http.trustedProxyHosts).toEqual(['localhost', '10.0.0.0/8']);
    const bad = parseConfig({ TRUSTED_PROXY_HOSTS: '["unterminated' });
    expect(bad.problems.join('\n')).toMatch(/TRUSTED_PROXY_HOSTS must be a JSON list/);
    expect(parseConfig({ CORS_ALLOWED_ORIGINS: '[1,2]' }).problems.join()).toMatch(/CORS_ALLOWED_ORIGINS/);
  });

  it('parses booleans and numbers strictly', () => {
    const { config, problems } = parseConfig({ DEBUG: 'yes', PORT: '9000', SECURE_COOKIES: 'TRUE' });
    expect(problems).toEqual([]);
    expect(config.app.debug).toBe(true);
    expect(config.app.port).toBe(9000);
    expect(config.auth.secureCookies).toBe(true);
    const bad = parseConfig({ DEBUG: 'maybe', PORT: 'eighty', WS_MAX_CONNECTIONS: '-1' });
    expect(bad.problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^DEBUG must be true or false/),
        expect.stringMatching(/^PORT must be a number \(got "eighty"\)/),
        expect.stringMatching(/^WS_MAX_CONNECTIONS must be at least 1 \(got "-1"\)/),
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
    expect(config.auth.secretKey.length).toBeGreaterThanOrEqual(32);
  });

  it('keeps bcrypt at cost 12 in production unless raised, and never below 10', () => {
    const prod = {
      ENVIRONMENT: 'production',
      SECRET_KEY: STRONG_SECRET,
      DATABASE_URL: 'postgresql://db/x',
      ADMIN_PASSWORD: 'x'.repeat(16),
    };
    expect(parseConfig(prod).config.auth.bcryptRounds).toBe(12);
    expect(parseConfig({ ...prod, BCRYPT_ROUNDS: '13' }).config.auth.bcryptRounds).toBe(13);
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
    expect(parseConfig(prod).config.auth.secureCookies).toBe(true);
    expect(parseConfig({}).config.auth.secureCookies).toBe(false);
    const off = parseConfig({ ...prod, SECURE_COOKIES: 'false' });
    expect(off.config.auth.secureCookies).toBe(false);
    expect(off.warnings).toEqual([expect.stringMatching(/SECURE_COOKIES=false in production/)]);
  });

  it('warns, in any environment, when the AI provider may take longer than a request may', () => {
    const slow = /AI_REQUEST_TIMEOUT \(30 s\) is not below REQUEST_TIMEOUT_SECONDS \(20 s\)/;
    const withProvider = { OPENAI_API_KEY: 'sk-test', REQUEST_TIMEOUT_SECONDS: '20' };
    expect(parseConfig(withProvider).warnings).toContainEqual(expect.stringMatching(slow));
    expect(parseConfig({ ...withProvider, ENVIRONMENT: 'production', SECRET_KEY: STRONG_SECRET }).warnings).toContainEqual(
      expect.stringMatching(slow),
    );
    // the defaults (30 s against 60 s), or no provider at all (every chat is the fallback, at once)
    expect(parseConfig({ OPENAI_API_KEY: 'sk-test' }).warnings).not.toContainEqual(expect.stringMatching(/AI_REQUEST_TIMEOUT/));
    expect(parseConfig({ REQUEST_TIMEOUT_SECONDS: '20' }).warnings).not.toContainEqual(
      expect.stringMatching(/AI_REQUEST_TIMEOUT/),
    );
  });

  it('never signs with the published development key in staging', () => {
    const staging = parseConfig({ ENVIRONMENT: 'staging' }).config.auth.secretKey;
    expect(staging).not.toBe(parseConfig({}).config.auth.secretKey);
    expect(staging).toHaveLength(64);
  });

  it('documents every variable it reads, with a group and a meaning', () => {
    const docs = variableDocs();
    expect(docs.map((v) => v.name)).toEqual(Object.keys(environmentSchema.shape));
    for (const v of docs) expect(v).toMatchObject({ group: expect.any(String), description: expect.stringMatching(/\S/) });
    expect(docs.find((v) => v.name === 'TRUSTED_PROXY_HOSTS')?.default).toBe('["localhost","127.0.0.1"]');
    expect(docs.find((v) => v.name === 'DEBUG')?.default).toBe('false');
    expect(docs.find((v) => v.name === 'SECRET_KEY')).toMatchObject({ default: undefined, secret: true });
  });

  it('treats a blank variable as unset and trims the others', () => {
    const { config, problems } = parseConfig({ PORT: '  ', PROJECT_NAME: ' GAD ', LOG_LEVEL: 'warn' });
    expect(problems).toEqual([]);
    expect(config.app).toMatchObject({ port: 8000, name: 'GAD', logLevel: 'warn' });
  });

  it('takes CDN_BASE_URL as an http(s) URL without its trailing slash, and refuses anything else', () => {
    expect(parseConfig({ CDN_BASE_URL: 'https://cdn.example.com/assets/' }).config.http.cdnBaseUrl).toBe(
      'https://cdn.example.com/assets',
    );
    for (const bad of ['cdn.example.com', 'ftp://cdn.example.com', 'javascript:alert(1)']) {
      expect(parseConfig({ CDN_BASE_URL: bad }).problems).toEqual([expect.stringContaining('CDN_BASE_URL must be an http')]);
    }
  });

  it('accepts a comma-separated list as well as a JSON one', () => {
    expect(parseConfig({ TRUSTED_PROXY_HOSTS: 'localhost, 10.0.0.0/8' }).config.http.trustedProxyHosts).toEqual([
      'localhost',
      '10.0.0.0/8',
    ]);
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
    expect(database({ DATABASE_URL: 'postgresql://a@h1/d1', DB_URL: 'postgresql://b@h2/d2', ...parts })).toEqual({
      source: 'DATABASE_URL',
      url: 'postgresql://a@h1/d1',
    });
    expect(database({ DB_URL: 'postgresql://b@h2/d2', ...parts })).toEqual({
      source: 'DB_URL',
      url: 'postgresql://b@h2/d2',
    });
    expect(database(parts)).toEqual({ source: 'POSTGRES_*', url: 'postgresql://gad:p%40ss%20word@db:5433/gad_db' });
    expect(database({})).toEqual({ source: 'embedded' });
  });

  it("accepts SQLAlchemy's asyncpg scheme and explains SQLite", () => {
    expect(database({ DATABASE_URL: 'postgresql+asyncpg://u:p@db:5432/gad' }).url).toBe('postgresql://u:p@db:5432/gad');
    const sqlite = database({ DATABASE_URL: 'sqlite+aiosqlite:///./dev.db' });
    expect(sqlite.url).toBeUndefined();
    expect(sqlite.problem).toMatch(/SQLite.*not support.*leave the database unset.*PGlite/);
    expect(parseConfig({ DATABASE_URL: 'sqlite+aiosqlite:///./dev.db' }).problems).toHaveLength(1);
  });

  it('turns SSL on from the URL', () => {
    expect(parseConfig({ DATABASE_URL: 'postgresql://u@db/x?sslmode=require' }).config.database.ssl).toBe(true);
    expect(parseConfig({ DATABASE_URL: 'postgresql://u@db/x' }).config.database.ssl).toBe(false);
  });

  it("refuses start.sh's numbers in any spelling bash arithmetic would misread", () => {
    for (const value of ['3.0', '1e2', '0x2', '08', '-1']) {
      expect(parseConfig({ DB_WAIT_RETRIES: value }).problems).toEqual([
        `DB_WAIT_RETRIES must be a whole number written in digits, without leading zeros (got "${value}")`,
      ]);
    }
    expect(parseConfig({ DB_WAIT_RETRIES: ' 12 ', MIGRATE_TIMEOUT_SECONDS: '0', DB_WAIT_INTERVAL: '0' }).problems).toEqual([]);
  });

  it('masks passwords for logs', () => {
    expect(redactUrl('postgresql://u:secret@db/x')).toBe('postgresql://u:***@db/x');
    // node-postgres reads ?password= too: masked wherever it sits, other parameters kept
    expect(redactUrl('postgresql://u@db/x?sslmode=require&password=Se%26cret&sslpassword=k')).toBe(
      'postgresql://u@db/x?sslmode=require&password=***&sslpassword=***',
    );
  });
});
