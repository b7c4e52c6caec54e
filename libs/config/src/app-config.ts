import { randomBytes } from 'node:crypto';
import { cpus, totalmem } from 'node:os';
import { ENVIRONMENTS, LOG_LEVELS, VARIABLES } from './env-variables.js';
import { resolveDatabaseUrl, type DatabaseSource } from './database-url.js';

export type Environment = (typeof ENVIRONMENTS)[number];
export type PinoLevel = 'debug' | 'info' | 'warn' | 'error' | 'fatal';
type Env = Record<string, string | undefined>;

// Placeholders from published example configurations: never acceptable as real secrets.
export const PLACEHOLDER_SECRETS = [
  'tu_clave_secreta_minimo_32_caracteres_2024',
  'generar_con_openssl_rand_hex_32_aqui',
  'changeme',
  'change-me',
  'secret',
];

const DEV_CORS_ORIGINS = ['http://localhost:3000', 'http://localhost:8080', 'http://127.0.0.1:3000'];
const PINO_LEVELS: Record<(typeof LOG_LEVELS)[number], PinoLevel> = {
  DEBUG: 'debug',
  INFO: 'info',
  WARNING: 'warn',
  ERROR: 'error',
  CRITICAL: 'fatal',
};
// Only for development: a stable per-checkout key so sessions survive restarts.
const DEV_SECRET_KEY = 'development-only-secret-key-not-for-production-use';

/** Reads raw strings into typed values, collecting every problem instead of stopping at the first. */
class EnvReader {
  readonly problems: string[] = [];
  private readonly defaults = new Map(VARIABLES.map((v) => [v.name, v.default]));

  constructor(private readonly env: Env) {}

  raw(name: string): string | undefined {
    const value = this.env[name];
    return value === undefined || value.trim() === '' ? this.defaults.get(name) : value.trim();
  }

  string(name: string): string;
  string(name: string, optional: true): string | undefined;
  string(name: string, _optional?: true): string | undefined {
    return this.raw(name);
  }

  int(name: string, min = 0, max = Number.MAX_SAFE_INTEGER): number {
    return this.number(name, min, max, true);
  }

  number(name: string, min = 0, max = Number.MAX_SAFE_INTEGER, integer = false): number {
    const raw = this.raw(name);
    const value = Number(raw);
    if (raw === undefined || !Number.isFinite(value) || (integer && !Number.isInteger(value))) {
      this.problems.push(`${name} must be ${integer ? 'an integer' : 'a number'} (got "${raw ?? ''}")`);
      return Number(this.defaults.get(name) ?? min);
    }
    if (value < min || value > max) {
      this.problems.push(`${name} must be between ${min} and ${max} (got ${value})`);
    }
    return value;
  }

  optionalInt(name: string, min = 0, max = Number.MAX_SAFE_INTEGER): number | undefined {
    return this.raw(name) === undefined ? undefined : this.int(name, min, max);
  }

  boolean(name: string): boolean;
  boolean(name: string, optional: true): boolean | undefined;
  boolean(name: string, _optional?: true): boolean | undefined {
    const raw = this.raw(name);
    if (raw === undefined) return undefined;
    const lowered = raw.toLowerCase();
    if (['true', '1', 'yes', 'on'].includes(lowered)) return true;
    if (['false', '0', 'no', 'off'].includes(lowered)) return false;
    this.problems.push(`${name} must be true or false (got "${raw}")`);
    return false;
  }

  list(name: string): string[] {
    const raw = this.raw(name) ?? '[]';
    if (!raw.startsWith('['))
      return raw
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
    try {
      const parsed: unknown = JSON.parse(raw);
      if (Array.isArray(parsed) && parsed.every((item) => typeof item === 'string')) return parsed;
    } catch {
      // reported below
    }
    this.problems.push(`${name} must be a JSON list of strings, e.g. ["https://example.com"] (got ${raw})`);
    return [];
  }

  /** An absolute http(s) URL without a trailing slash, or undefined when unset. */
  httpUrl(name: string): string | undefined {
    const raw = this.raw(name)?.replace(/\/+$/, '');
    if (raw === undefined || raw === '') return undefined;
    if (URL.canParse(raw) && /^https?:$/.test(new URL(raw).protocol)) return raw;
    this.problems.push(`${name} must be an http:// or https:// URL (got "${raw}")`);
    return undefined;
  }

  oneOf<T extends string>(name: string, values: readonly T[], transform = (v: string) => v): T {
    const raw = transform(this.raw(name) ?? '');
    if ((values as readonly string[]).includes(raw)) return raw as T;
    this.problems.push(`${name} must be one of ${values.join(', ')} (got "${raw}")`);
    return values[0];
  }
}

export interface DatabaseConfig {
  url?: string;
  source: DatabaseSource;
  embedded: boolean;
  dataDir: string;
  ssl: boolean;
  poolSize: number;
  maxOverflow: number;
  poolTimeoutMs: number;
  poolRecycleSeconds: number;
  /** How long a connection above poolSize may stay idle. */
  poolIdleTimeoutMs: number;
  commandTimeoutMs: number;
  runMigrations: boolean;
}

/** The one typed configuration object. Built once at boot; injected everywhere else. */
export class AppConfig {
  readonly environment!: Environment;
  readonly isProduction!: boolean;
  readonly debug!: boolean;
  readonly logLevel!: PinoLevel;
  readonly app!: { name: string; version: string; apiPrefix: string; host: string; port: number };
  readonly security!: {
    secretKey: string;
    accessTokenExpireMinutes: number;
    refreshTokenExpireDays: number;
    bcryptRounds: number;
    loginMaxAttempts: number;
    loginWindowSeconds: number;
    corsAllowedOrigins: string[];
    corsAllowCredentials: boolean;
    trustedProxyHosts: string[];
    forceHttps: boolean;
    secureCookies: boolean;
    hstsMaxAge: number;
  };
  readonly admin!: { email: string; password?: string };
  readonly database!: DatabaseConfig;
  readonly redis!: { url?: string; password?: string; required: boolean; cacheTtlSeconds: number };
  readonly http!: {
    maxRequestBodySize: number;
    requestTimeoutMs: number;
    workers: number;
    maxConnections: number;
    maxRequests: number;
    maxRequestsJitter: number;
    /** Crashes (after ready) tolerated within workerCrashWindowMs before the primary gives up. */
    workerCrashLimit: number;
    workerCrashWindowMs: number;
    keepAliveTimeoutMs: number;
    headersTimeoutMs: number;
    shutdownTimeoutMs: number;
    rateLimitCalls: number;
    rateLimitPeriodSeconds: number;
    cdnBaseUrl?: string;
  };
  readonly metrics!: { enabled: boolean; path: string; allowedHosts: string[]; token?: string; healthCheckPath: string };
  readonly ws!: { heartbeatIntervalMs: number; maxConnections: number; messageMaxSize: number; connectionTimeoutMs: number };
  readonly ai!: {
    apiKey?: string;
    baseUrl?: string;
    configured: boolean;
    model: string;
    maxTokens: number;
    temperature: number;
    requestTimeoutMs: number;
    maxRequestsPerMinute: number;
    userMaxRequestsPerMinute: number;
    maxConcurrentRequests: number;
    maxMessageLength: number;
    logRetentionDays: number;
  };

  constructor(values: AppConfig) {
    Object.assign(this, values);
  }
}

export interface ConfigResult {
  config: AppConfig;
  /** Refusals: the boot stops in production. */
  problems: string[];
  /** Reported but not fatal. */
  warnings: string[];
}

/** Parses and checks the environment. Pure: the caller decides whether problems stop the boot. */
export function parseConfig(env: Env): ConfigResult {
  const read = new EnvReader(env);
  const environment = read.oneOf('ENVIRONMENT', ENVIRONMENTS, (v) => v.toLowerCase());
  const isProduction = environment === 'production';
  const risks: string[] = []; // refused in production, warned elsewhere
  const warningsOnly: string[] = [];
  const deployed = isProduction || environment === 'staging';

  const debug = read.boolean('DEBUG');
  if (debug && deployed) risks.push('DEBUG must be false in production');

  let secretKey = read.string('SECRET_KEY', true);
  if (!secretKey) {
    risks.push('SECRET_KEY is missing (generate one with: openssl rand -hex 32)');
  } else if (PLACEHOLDER_SECRETS.includes(secretKey.toLowerCase())) {
    risks.push('SECRET_KEY is a placeholder from the example configuration: generate a real one');
  } else if (secretKey.length < 32) {
    risks.push(`SECRET_KEY must be at least 32 characters (it has ${secretKey.length})`);
  }
  if (!isProduction && (!secretKey || secretKey.length < 32)) {
    // development keeps sessions across restarts; a deployed staging never signs with a published key
    secretKey = deployed ? randomBytes(32).toString('hex') : DEV_SECRET_KEY;
  }

  const corsAllowedOrigins = read.list('CORS_ALLOWED_ORIGINS');
  if (corsAllowedOrigins.includes('*')) risks.push('CORS_ALLOWED_ORIGINS must not contain "*"');
  const origins = environment === 'development' ? [...new Set([...corsAllowedOrigins, ...DEV_CORS_ORIGINS])] : corsAllowedOrigins;

  const db = resolveDatabaseUrl(env);
  if (db.problem) read.problems.push(db.problem);
  if (db.source === 'embedded' && deployed) {
    risks.push('no database is configured (set DATABASE_URL); the embedded PGlite is for development only');
  }

  if (isProduction && read.boolean('SECURE_COOKIES', true) === false) {
    warningsOnly.push('SECURE_COOKIES=false in production: auth cookies will also travel over plain HTTP');
  }

  const adminPassword = read.string('ADMIN_PASSWORD', true);
  if (!adminPassword && isProduction) risks.push('ADMIN_PASSWORD is missing');

  const bcryptRounds = read.optionalInt('BCRYPT_ROUNDS', 4, 15) ?? (isProduction ? 12 : 10);
  if (isProduction && bcryptRounds < 10) risks.push('BCRYPT_ROUNDS must be at least 10 in production');

  const sslFromUrl = db.url ? /[?&](ssl|sslmode)=(require|true|verify-full|verify-ca)/i.test(db.url) : false;
  const workers =
    read.optionalInt('WORKERS', 1, 256) ??
    (isProduction ? Math.max(1, Math.min(cpus().length * 2 + 1, Math.floor(totalmem() / (256 * 1024 * 1024)))) : 1);

  const config = new AppConfig({
    environment,
    isProduction,
    debug,
    logLevel: PINO_LEVELS[read.oneOf('LOG_LEVEL', LOG_LEVELS, (v) => (v.toUpperCase() === 'WARN' ? 'WARNING' : v.toUpperCase()))],
    app: {
      name: read.string('PROJECT_NAME'),
      version: read.string('PROJECT_VERSION'),
      apiPrefix: '/' + read.string('API_V1_STR').replace(/^\/+|\/+$/g, ''),
      host: read.string('HOST'),
      port: read.int('PORT', 0, 65535),
    },
    security: {
      secretKey: secretKey ?? '',
      accessTokenExpireMinutes: read.int('ACCESS_TOKEN_EXPIRE_MINUTES', 1, 24 * 60),
      refreshTokenExpireDays: read.int('REFRESH_TOKEN_EXPIRE_DAYS', 1, 365),
      bcryptRounds,
      loginMaxAttempts: read.int('LOGIN_MAX_ATTEMPTS', 1, 1_000_000),
      loginWindowSeconds: read.int('LOGIN_WINDOW_SECONDS', 1, 86_400),
      corsAllowedOrigins: origins,
      corsAllowCredentials: read.boolean('CORS_ALLOW_CREDENTIALS'),
      trustedProxyHosts: read.list('TRUSTED_PROXY_HOSTS'),
      forceHttps: read.boolean('FORCE_HTTPS'),
      secureCookies: read.boolean('SECURE_COOKIES', true) ?? isProduction,
      hstsMaxAge: read.int('HSTS_MAX_AGE'),
    },
    admin: { email: read.string('ADMIN_EMAIL').toLowerCase(), password: adminPassword },
    database: {
      url: db.url,
      source: db.source,
      embedded: db.source === 'embedded',
      dataDir: read.string('DATA_DIR'),
      ssl: read.boolean('DATABASE_SSL') || sslFromUrl,
      poolSize: read.int('DB_POOL_SIZE', 1, 1000),
      maxOverflow: read.int('DB_MAX_OVERFLOW', 0, 1000),
      poolTimeoutMs: read.number('DB_POOL_TIMEOUT', 0.1) * 1000,
      poolRecycleSeconds: read.number('DB_POOL_RECYCLE', 1),
      poolIdleTimeoutMs: read.number('DB_POOL_IDLE_TIMEOUT', 0.1) * 1000,
      commandTimeoutMs: read.number('DB_COMMAND_TIMEOUT', 0.1) * 1000,
      runMigrations: read.boolean('RUN_MIGRATIONS', true) ?? !isProduction,
    },
    redis: {
      url: read.string('REDIS_URL', true),
      password: read.string('REDIS_PASSWORD', true),
      required: read.boolean('REDIS_REQUIRED'),
      cacheTtlSeconds: read.int('CACHE_TTL_SECONDS', 1),
    },
    http: {
      maxRequestBodySize: read.int('MAX_REQUEST_BODY_SIZE', 1024),
      requestTimeoutMs: read.number('REQUEST_TIMEOUT_SECONDS', 0.1) * 1000,
      workers,
      maxConnections: read.int('MAX_CONNECTIONS', 1),
      maxRequests: read.int('MAX_REQUESTS'),
      maxRequestsJitter: read.int('MAX_REQUESTS_JITTER'),
      workerCrashLimit: read.int('WORKER_CRASH_LIMIT', 0, 10_000),
      workerCrashWindowMs: read.int('WORKER_CRASH_WINDOW_SECONDS', 1, 86_400) * 1000,
      keepAliveTimeoutMs: read.number('KEEP_ALIVE_TIMEOUT', 0.1) * 1000,
      headersTimeoutMs: read.number('HEADERS_TIMEOUT_SECONDS', 0.1) * 1000,
      shutdownTimeoutMs: read.number('SHUTDOWN_TIMEOUT_SECONDS', 0) * 1000,
      rateLimitCalls: read.int('RATE_LIMIT_CALLS', 1),
      rateLimitPeriodSeconds: read.int('RATE_LIMIT_PERIOD', 1),
      cdnBaseUrl: read.httpUrl('CDN_BASE_URL'),
    },
    metrics: {
      enabled: read.boolean('ENABLE_METRICS'),
      path: '/' + read.string('METRICS_PATH').replace(/^\/+/, ''),
      allowedHosts: read.list('METRICS_ALLOWED_HOSTS'),
      token: read.string('METRICS_TOKEN', true),
      healthCheckPath: read.string('HEALTH_CHECK_PATH'),
    },
    ws: {
      heartbeatIntervalMs: read.number('WS_HEARTBEAT_INTERVAL', 1) * 1000,
      maxConnections: read.int('WS_MAX_CONNECTIONS', 1),
      messageMaxSize: read.int('WS_MESSAGE_MAX_SIZE', 1024),
      connectionTimeoutMs: read.number('WS_CONNECTION_TIMEOUT', 1) * 1000,
    },
    ai: {
      apiKey: read.string('OPENAI_API_KEY', true),
      baseUrl: read.string('OPENAI_BASE_URL', true),
      configured: Boolean(read.string('OPENAI_API_KEY', true) || read.string('OPENAI_BASE_URL', true)),
      model: read.string('OPENAI_MODEL'),
      maxTokens: read.int('OPENAI_MAX_TOKENS', 1),
      temperature: read.number('OPENAI_TEMPERATURE', 0, 2),
      requestTimeoutMs: read.number('AI_REQUEST_TIMEOUT', 0.1) * 1000,
      maxRequestsPerMinute: read.int('AI_MAX_REQUESTS_PER_MINUTE', 1),
      userMaxRequestsPerMinute: read.int('AI_USER_MAX_REQUESTS_PER_MINUTE', 1),
      maxConcurrentRequests: read.int('AI_MAX_CONCURRENT_REQUESTS', 1),
      maxMessageLength: read.int('AI_MAX_MESSAGE_LENGTH', 1),
      logRetentionDays: read.int('AI_LOG_RETENTION_DAYS', 1),
    },
  });

  const problems = [...read.problems];
  const warnings: string[] = [...warningsOnly];
  if (isProduction) problems.push(...risks);
  else warnings.push(...risks.map((risk) => `${risk} (refused in production)`));
  return { config, problems, warnings };
}
