import { randomBytes } from 'node:crypto';
import { availableParallelism, totalmem } from 'node:os';
import { registerAs, type ConfigType } from '@nestjs/config';
import { resolveDatabaseUrl } from './database-url.js';
import { environmentFrom, readProcessEnvironment, type RawEnvironment } from './environment.js';
import type { Environment } from './environment.schema.js';

export type PinoLevel = 'debug' | 'info' | 'warn' | 'error' | 'fatal';

const PINO_LEVELS: Record<Environment['LOG_LEVEL'], PinoLevel> = {
  DEBUG: 'debug',
  INFO: 'info',
  WARNING: 'warn',
  ERROR: 'error',
  CRITICAL: 'fatal',
};
const DEV_CORS_ORIGINS = ['http://localhost:3000', 'http://localhost:8080', 'http://127.0.0.1:3000'];
// Only for development: a stable key so sessions survive restarts. Never used when deployed.
const DEV_SECRET_KEY = 'development-only-secret-key-not-for-production-use';

/**
 * One feature's view of the environment: an @nestjs/config namespace (`registerAs`). Inject it with
 * `@Inject(slice.KEY)` and type it `ConfigType<typeof slice>`; `slice.from(env)` builds its value, a pure function
 * of the validated environment. Its value in an app is the one `AppConfigModule.forRoot(configuration)` registers
 * under that key (each app its own: the tests run several in one process); the namespace's own factory is never
 * the source, so loading it elsewhere (`ConfigModule.forFeature(slice)`) fails loudly instead of reading process.env.
 */
function slice<Name extends string, T extends Record<string, unknown>>(name: Name, build: (env: Environment) => T) {
  const notLoaded = (): T => {
    throw new Error(`the ${name} configuration comes from AppConfigModule.forRoot(configuration), not from this slice`);
  };
  return Object.assign(registerAs(name, notLoaded), { sliceName: name, from: build });
}

const deployed = (env: Environment): boolean => env.ENVIRONMENT === 'production' || env.ENVIRONMENT === 'staging';

export const appConfig = slice('app', (env) => ({
  name: env.PROJECT_NAME,
  version: env.PROJECT_VERSION,
  apiPrefix: '/' + env.API_V1_STR.replace(/^\/+|\/+$/g, ''),
  host: env.HOST,
  port: env.PORT,
  environment: env.ENVIRONMENT,
  isProduction: env.ENVIRONMENT === 'production',
  debug: env.DEBUG,
  /** Swagger UI and the served OpenAPI document; opt-in in production. */
  docsEnabled: env.DOCS_ENABLED ?? env.ENVIRONMENT !== 'production',
  logLevel: PINO_LEVELS[env.LOG_LEVEL],
  /** Prefix of every Redis key and channel, so apps sharing a Redis never collide. */
  keyNamespace: `${env.PROJECT_NAME}:${env.ENVIRONMENT}:`,
}));

export const authConfig = slice('auth', (env) => ({
  // development keeps sessions across restarts; a deployed staging never signs with a published key
  secretKey:
    env.SECRET_KEY && (env.ENVIRONMENT === 'production' || env.SECRET_KEY.length >= 32)
      ? env.SECRET_KEY
      : deployed(env)
        ? randomBytes(32).toString('hex')
        : DEV_SECRET_KEY,
  issuer: env.PROJECT_NAME,
  accessTokenExpireMinutes: env.ACCESS_TOKEN_EXPIRE_MINUTES,
  refreshTokenExpireDays: env.REFRESH_TOKEN_EXPIRE_DAYS,
  refreshReuseGraceMs: env.REFRESH_REUSE_GRACE_SECONDS * 1000,
  bcryptRounds: env.BCRYPT_ROUNDS ?? (env.ENVIRONMENT === 'production' ? 12 : 10),
  loginMaxAttempts: env.LOGIN_MAX_ATTEMPTS,
  loginMaxAttemptsPerAddress: env.LOGIN_MAX_ATTEMPTS_PER_ADDRESS,
  loginWindowSeconds: env.LOGIN_WINDOW_SECONDS,
  secureCookies: env.SECURE_COOKIES ?? env.ENVIRONMENT === 'production',
  adminEmail: env.ADMIN_EMAIL.toLowerCase(),
  adminPassword: env.ADMIN_PASSWORD,
}));

export const httpConfig = slice('http', (env) => ({
  maxRequestBodySize: env.MAX_REQUEST_BODY_SIZE,
  maxSmallRequestBodySize: Math.min(env.MAX_SMALL_REQUEST_BODY_SIZE, env.MAX_REQUEST_BODY_SIZE),
  json: {
    maxDepth: env.JSON_MAX_DEPTH,
    maxObjectKeys: env.JSON_MAX_OBJECT_KEYS,
    maxTotalKeys: env.JSON_MAX_TOTAL_KEYS,
    maxArrayItems: env.JSON_MAX_ARRAY_ITEMS,
  },
  requestTimeoutMs: env.REQUEST_TIMEOUT_SECONDS * 1000,
  keepAliveTimeoutMs: env.KEEP_ALIVE_TIMEOUT * 1000,
  headersTimeoutMs: env.HEADERS_TIMEOUT_SECONDS * 1000,
  maxConnections: env.MAX_CONNECTIONS,
  corsAllowedOrigins:
    env.ENVIRONMENT === 'development'
      ? [...new Set([...env.CORS_ALLOWED_ORIGINS, ...DEV_CORS_ORIGINS])]
      : env.CORS_ALLOWED_ORIGINS,
  corsAllowCredentials: env.CORS_ALLOW_CREDENTIALS,
  trustedProxyHosts: env.TRUSTED_PROXY_HOSTS,
  forceHttps: env.FORCE_HTTPS,
  hstsMaxAge: env.HSTS_MAX_AGE,
  cdnBaseUrl: env.CDN_BASE_URL,
  rateLimitCalls: env.RATE_LIMIT_CALLS,
  rateLimitPeriodSeconds: env.RATE_LIMIT_PERIOD,
}));

/** What one worker needs: ~155 MB idle, ~210 MB after a burst (bench/README.md). */
const MEMORY_PER_WORKER = 256 * 1024 * 1024;

/**
 * Production's default worker count: gunicorn's 2 × CPUs + 1, and no more workers than the memory holds.
 * Both see a container's limits: Node's CPU count follows the cgroup CPU quota, constrainedMemory() the memory limit.
 */
export function productionWorkers(
  cpus = availableParallelism(),
  memoryLimit = process.constrainedMemory(),
): { workers: number; reason: string } {
  const memory = memoryLimit > 0 ? Math.min(memoryLimit, totalmem()) : totalmem();
  const byCpu = cpus * 2 + 1;
  const byMemory = Math.max(1, Math.floor(memory / MEMORY_PER_WORKER));
  return {
    workers: Math.min(byCpu, byMemory),
    reason: `2 × ${cpus} CPUs + 1 = ${byCpu}; ${Math.floor(memory / 2 ** 20)} MB at 256 MB a worker = ${byMemory}`,
  };
}

export const clusterConfig = slice('cluster', (env) => ({
  workers: env.WORKERS ?? (env.ENVIRONMENT === 'production' ? productionWorkers().workers : 1),
  maxRequests: env.MAX_REQUESTS,
  maxRequestsJitter: env.MAX_REQUESTS_JITTER,
  /** Crashes (after ready) tolerated within workerCrashWindowMs before the primary gives up. */
  workerCrashLimit: env.WORKER_CRASH_LIMIT,
  workerCrashWindowMs: env.WORKER_CRASH_WINDOW_SECONDS * 1000,
  shutdownTimeoutMs: env.SHUTDOWN_TIMEOUT_SECONDS * 1000,
}));

export const databaseConfig = slice('database', (env) => {
  const { url, source } = resolveDatabaseUrl(env);
  const sslFromUrl = url ? /[?&](ssl|sslmode)=(require|true|verify-full|verify-ca)/i.test(url) : false;
  return {
    url,
    source,
    embedded: source === 'embedded',
    dataDir: env.DATA_DIR,
    ssl: env.DATABASE_SSL || sslFromUrl,
    poolSize: env.DB_POOL_SIZE,
    maxOverflow: env.DB_MAX_OVERFLOW,
    poolTimeoutMs: env.DB_POOL_TIMEOUT * 1000,
    poolRecycleSeconds: env.DB_POOL_RECYCLE,
    /** How long a connection above poolSize may stay idle. */
    poolIdleTimeoutMs: env.DB_POOL_IDLE_TIMEOUT * 1000,
    commandTimeoutMs: env.DB_COMMAND_TIMEOUT * 1000,
    runMigrations: env.RUN_MIGRATIONS ?? env.ENVIRONMENT !== 'production',
  };
});

export const redisConfig = slice('redis', (env) => ({
  url: env.REDIS_URL,
  password: env.REDIS_PASSWORD,
  required: env.REDIS_REQUIRED,
}));

export const cacheConfig = slice('cache', (env) => ({
  ttlSeconds: env.CACHE_TTL_SECONDS,
  memoryTtlSeconds: env.CACHE_MEMORY_TTL_SECONDS,
}));

export const metricsConfig = slice('metrics', (env) => ({
  enabled: env.ENABLE_METRICS,
  path: '/' + env.METRICS_PATH.replace(/^\/+/, ''),
  allowedHosts: env.METRICS_ALLOWED_HOSTS,
  token: env.METRICS_TOKEN,
  healthCheckPath: env.HEALTH_CHECK_PATH,
}));

export const wsConfig = slice('ws', (env) => ({
  heartbeatIntervalMs: env.WS_HEARTBEAT_INTERVAL * 1000,
  maxConnections: env.WS_MAX_CONNECTIONS,
  maxConnectionsPerUser: Math.min(env.WS_MAX_CONNECTIONS_PER_USER, env.WS_MAX_CONNECTIONS),
  messageMaxSize: env.WS_MESSAGE_MAX_SIZE,
  connectionTimeoutMs: env.WS_CONNECTION_TIMEOUT * 1000,
}));

export const auditConfig = slice('audit', (env) => ({
  retentionDays: env.AUDIT_RETENTION_DAYS,
}));

export const aiConfig = slice('ai', (env) => ({
  apiKey: env.OPENAI_API_KEY,
  baseUrl: env.OPENAI_BASE_URL,
  configured: Boolean(env.OPENAI_API_KEY || env.OPENAI_BASE_URL),
  model: env.OPENAI_MODEL,
  maxTokens: env.OPENAI_MAX_TOKENS,
  temperature: env.OPENAI_TEMPERATURE,
  requestTimeoutMs: env.AI_REQUEST_TIMEOUT * 1000,
  maxRequestsPerMinute: env.AI_MAX_REQUESTS_PER_MINUTE,
  userMaxRequestsPerMinute: env.AI_USER_MAX_REQUESTS_PER_MINUTE,
  maxConcurrentRequests: env.AI_MAX_CONCURRENT_REQUESTS,
  maxConcurrentPerUser: Math.min(env.AI_MAX_CONCURRENT_PER_USER, env.AI_MAX_CONCURRENT_REQUESTS),
  maxMessageLength: env.AI_MAX_MESSAGE_LENGTH,
  logRetentionDays: env.AI_LOG_RETENTION_DAYS,
  storeExcerpts: env.AI_STORE_EXCERPTS,
}));

export const SLICES = [
  appConfig,
  authConfig,
  httpConfig,
  clusterConfig,
  databaseConfig,
  redisConfig,
  cacheConfig,
  metricsConfig,
  wsConfig,
  auditConfig,
  aiConfig,
] as const;

/** Every slice of one environment, for code that runs before or outside Nest (bootstrap, CLIs, tests). */
export interface Configuration {
  app: ConfigType<typeof appConfig>;
  auth: ConfigType<typeof authConfig>;
  http: ConfigType<typeof httpConfig>;
  cluster: ConfigType<typeof clusterConfig>;
  database: ConfigType<typeof databaseConfig>;
  redis: ConfigType<typeof redisConfig>;
  cache: ConfigType<typeof cacheConfig>;
  metrics: ConfigType<typeof metricsConfig>;
  ws: ConfigType<typeof wsConfig>;
  audit: ConfigType<typeof auditConfig>;
  ai: ConfigType<typeof aiConfig>;
}

export function configurationOf(env: Environment): Configuration {
  return Object.fromEntries(SLICES.map((s) => [s.sliceName, s.from(env)])) as unknown as Configuration;
}

/** Every slice of an explicit environment (tests, tools); throws ConfigError listing every problem. */
export function configurationFrom(raw: RawEnvironment): Configuration {
  return configurationOf(environmentFrom(raw));
}

/** This process's configuration, validated once, with what the boot must report. */
export function readConfiguration(): { configuration: Configuration; problems: string[]; warnings: string[] } {
  const { env, problems, warnings } = readProcessEnvironment();
  return { configuration: configurationOf(env), problems, warnings };
}
