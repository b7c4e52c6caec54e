import { z } from 'zod';

/** What the README table and `.env.example` say about a variable. */
export interface VariableMeta {
  [key: string]: unknown;
  group: string;
  description: string;
  /** Never printed: masked in the effective configuration, empty in `.env.example`. */
  secret?: boolean;
}

export const ENVIRONMENTS = ['development', 'test', 'staging', 'production'] as const;
export const LOG_LEVELS = ['DEBUG', 'INFO', 'WARNING', 'ERROR', 'CRITICAL'] as const;
export type EnvironmentName = (typeof ENVIRONMENTS)[number];

const int = (min: number, max = Number.MAX_SAFE_INTEGER) => z.coerce.number().int().min(min).max(max);
/** Digits only (no `3.0`, `1e2`, `0x2` or `08`): for the variables a shell script does arithmetic with. */
const digits = (min: number, max = Number.MAX_SAFE_INTEGER) =>
  z
    .string()
    .regex(/^(0|[1-9]\d*)$/, 'must be a whole number written in digits, without leading zeros')
    .transform(Number)
    .pipe(z.number().min(min).max(max));
const num = (min: number, max = Number.MAX_SAFE_INTEGER) => z.coerce.number().min(min).max(max);
const bool = () => z.stringbool();
const text = () => z.string();
/** An absolute http(s) URL; a trailing slash is dropped. */
const httpUrl = () =>
  z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' }).transform((url) => url.replace(/\/+$/, ''));
/** A JSON list of strings (`["a","b"]`) or, for convenience, a comma-separated one. */
const list = () =>
  z
    .string()
    .transform((raw, ctx) => {
      if (!raw.startsWith('['))
        return raw
          .split(',')
          .map((item) => item.trim())
          .filter(Boolean);
      try {
        return JSON.parse(raw) as unknown;
      } catch {
        ctx.addIssue({ code: 'custom', message: 'must be a JSON list of strings, e.g. ["https://example.com"]' });
        return z.NEVER;
      }
    })
    .pipe(z.array(z.string(), { error: 'must be a JSON list of strings, e.g. ["https://example.com"]' }));
const caseless = <T extends readonly [string, ...string[]]>(values: T, normalize: (raw: string) => string) =>
  z.preprocess((raw) => (typeof raw === 'string' ? normalize(raw) : raw), z.enum(values));

const security = (description: string, secret = false): VariableMeta => ({ group: 'Security', description, secret });
const database = (description: string, secret = false): VariableMeta => ({ group: 'Database', description, secret });
const application = (description: string): VariableMeta => ({ group: 'Application', description });
const performance = (description: string): VariableMeta => ({ group: 'Performance', description });
const cache = (description: string, secret = false): VariableMeta => ({ group: 'Cache', description, secret });
const monitoring = (description: string, secret = false): VariableMeta => ({ group: 'Monitoring', description, secret });
const sockets = (description: string): VariableMeta => ({ group: 'WebSockets', description });
const audit = (description: string): VariableMeta => ({ group: 'Audit', description });
const ai = (description: string, secret = false): VariableMeta => ({ group: 'AI', description, secret });
const backups = (description: string): VariableMeta => ({ group: 'Backups', description });
const startup = (description: string): VariableMeta => ({ group: 'Startup', description });

/**
 * Every environment variable the app reads: its type, bounds, default and meaning, in one declaration.
 * Validation (all problems at once), the typed config slices, the README table and `.env.example` all
 * come from here. Unset and blank variables take their default; those without one stay undefined.
 */
export const environmentSchema = z.object({
  // --- Security
  SECRET_KEY: text()
    .optional()
    .meta(security('Signs JWTs (HS256). ≥ 32 characters; required in production. Generate with `openssl rand -hex 32`.', true)),
  ACCESS_TOKEN_EXPIRE_MINUTES: int(1, 24 * 60)
    .default(30)
    .meta(security('Access-token lifetime in minutes.')),
  REFRESH_TOKEN_EXPIRE_DAYS: int(1, 365).default(7).meta(security('Refresh-token (session) lifetime in days.')),
  REFRESH_REUSE_GRACE_SECONDS: int(0, 60)
    .default(10)
    .meta(
      security(
        'A refresh token presented again within this many seconds of its rotation (two tabs refreshing at once) gets a fresh pair in the same session; later reuse revokes the session. 0 turns the grace off.',
      ),
    ),
  BCRYPT_ROUNDS: int(4, 15)
    .optional()
    .meta(security('bcrypt cost; default 12 in production, 10 elsewhere; at least 10 in production.')),
  LOGIN_MAX_ATTEMPTS: int(1, 1_000_000)
    .default(5)
    .meta(security('Failed logins allowed per (account, client address) within LOGIN_WINDOW_SECONDS.')),
  LOGIN_MAX_ATTEMPTS_PER_ADDRESS: int(1, 1_000_000)
    .default(20)
    .meta(security('Failed logins allowed per client address, across accounts, within LOGIN_WINDOW_SECONDS.')),
  LOGIN_WINDOW_SECONDS: int(1, 86_400).default(60).meta(security('Window for LOGIN_MAX_ATTEMPTS.')),
  ADMIN_EMAIL: text()
    .default('admin@grupogad.com')
    .meta(
      security(
        'Email of the admin account created at boot while no active superuser exists (never because this email is missing).',
      ),
    ),
  ADMIN_PASSWORD: text()
    .optional()
    .meta(
      security(
        'Initial admin password (must be changed at first login). Required in production; generated and printed once in development.',
        true,
      ),
    ),
  CORS_ALLOWED_ORIGINS: list()
    .default([])
    .meta(
      security(
        'JSON list of allowed CORS origins. Never `*` in production. Development adds http://localhost:3000, http://localhost:8080 and http://127.0.0.1:3000.',
      ),
    ),
  CORS_ALLOW_CREDENTIALS: bool().default(true).meta(security('Allow cookies on CORS requests.')),
  TRUSTED_PROXY_HOSTS: list()
    .default(['localhost', '127.0.0.1'])
    .meta(
      security(
        'JSON list of proxies (IPs or CIDR ranges; `localhost` means 127.0.0.1 and ::1) whose X-Forwarded-* headers are honoured.',
      ),
    ),
  FORCE_HTTPS: bool().default(false).meta(security('Redirect plain-HTTP requests to HTTPS (probes exempt) and send HSTS.')),
  SECURE_COOKIES: bool().optional().meta(security('Mark auth cookies `Secure`. Default true in production, false elsewhere.')),
  HSTS_MAX_AGE: int(0).default(31_536_000).meta(security('HSTS max-age in seconds (production or FORCE_HTTPS).')),

  // --- Database
  DATABASE_URL: text()
    .optional()
    .meta(
      database(
        "PostgreSQL URL (`postgresql://`, or SQLAlchemy's `postgresql+asyncpg://`). Precedence: DATABASE_URL, DB_URL, POSTGRES_*. Unset: embedded PGlite (development only).",
        true,
      ),
    ),
  DB_URL: text().optional().meta(database('Legacy name for DATABASE_URL.', true)),
  POSTGRES_SERVER: text().optional().meta(database('PostgreSQL host, used when no URL is set.')),
  POSTGRES_USER: text().default('postgres').meta(database('PostgreSQL user (with POSTGRES_SERVER).')),
  POSTGRES_PASSWORD: text().optional().meta(database('PostgreSQL password (with POSTGRES_SERVER).', true)),
  POSTGRES_DB: text().default('gad_db').meta(database('Database name (with POSTGRES_SERVER).')),
  POSTGRES_PORT: int(1, 65_535).default(5432).meta(database('PostgreSQL port (with POSTGRES_SERVER).')),
  DATABASE_SSL: bool()
    .default(false)
    .meta(database('Use TLS to PostgreSQL (also on when the URL has `ssl=require` or `sslmode=require`).')),
  DB_POOL_SIZE: int(1, 1000).default(20).meta(database('Pool connections kept open once opened (SQLAlchemy `pool_size`).')),
  DB_MAX_OVERFLOW: int(0, 1000)
    .default(10)
    .meta(database('Extra connections under load (SQLAlchemy `max_overflow`); pool max = size + overflow; closed when idle.')),
  DB_POOL_TIMEOUT: num(0.1).default(30).meta(database('Seconds to wait for a pooled connection.')),
  DB_POOL_RECYCLE: num(1).default(3600).meta(database('Seconds after which a connection is replaced.')),
  DB_POOL_IDLE_TIMEOUT: num(0.1)
    .default(10)
    .meta(database('Seconds an overflow connection (beyond DB_POOL_SIZE) may stay idle before it is closed.')),
  DB_COMMAND_TIMEOUT: num(0.1).default(60).meta(database('Statement timeout in seconds.')),
  RUN_MIGRATIONS: bool()
    .optional()
    .meta(database('Apply pending migrations at boot (under an advisory lock). Default true except in production.')),
  DATA_DIR: text().default('./.data').meta(database('Where the embedded PGlite database lives (`$DATA_DIR/pglite`).')),

  // --- Application
  PROJECT_NAME: text().default('GRUPO_GAD').meta(application('Name in docs, logs and the JWT `iss` claim.')),
  PROJECT_VERSION: text().default('1.0.0').meta(application('Version shown in docs and health.')),
  API_V1_STR: text().default('/api/v1').meta(application('Prefix of every REST route.')),
  ENVIRONMENT: caseless(ENVIRONMENTS, (raw) => raw.toLowerCase())
    .default('development')
    .meta(application('development, test, staging or production.')),
  LOG_LEVEL: caseless(LOG_LEVELS, (raw) => (raw.toUpperCase() === 'WARN' ? 'WARNING' : raw.toUpperCase()))
    .default('INFO')
    .meta(application('DEBUG, INFO, WARNING, ERROR or CRITICAL.')),
  DEBUG: bool().default(false).meta(application('Development diagnostics (stack traces in 5xx bodies). Refused in production.')),
  DOCS_ENABLED: bool()
    .optional()
    .meta(
      application(
        'Serve Swagger UI (/api/docs) and the OpenAPI document (${API_V1_STR}/openapi.json, .yaml). Default true, except in production where it is opt-in (false unless set).',
      ),
    ),
  HOST: text().default('0.0.0.0').meta(application('Bind address.')),
  PORT: int(0, 65_535).default(8000).meta(application('Bind port.')),

  // --- Performance
  MAX_REQUEST_BODY_SIZE: int(1024)
    .default(10_485_760)
    .meta(performance('Largest accepted request body in bytes, for the routes that take large bodies (AI chat); 413 above.')),
  MAX_SMALL_REQUEST_BODY_SIZE: int(1024)
    .default(32_768)
    .meta(performance('Largest accepted request body in bytes on every other route (login, refresh, user writes); 413 above.')),
  JSON_MAX_DEPTH: int(1, 1000)
    .default(16)
    .meta(performance('Deepest nesting of objects and arrays in a JSON body or socket event (400 above).')),
  JSON_MAX_OBJECT_KEYS: int(1).default(64).meta(performance('Most keys in one JSON object (400 above).')),
  JSON_MAX_TOTAL_KEYS: int(1).default(1000).meta(performance('Most keys in a whole JSON body or socket event (400 above).')),
  JSON_MAX_ARRAY_ITEMS: int(1).default(1000).meta(performance('Most items in one JSON array (400 above).')),
  REQUEST_TIMEOUT_SECONDS: num(0.1)
    .default(60)
    .meta(performance('A request still running after this answers 503; one not fully received by then is cut off (408).')),
  WORKERS: int(1, 256)
    .optional()
    .meta(
      performance(
        'Worker processes (node:cluster). Default 1 outside production; in production 2 × CPUs + 1, at most one per 256 MB of memory (container CPU and memory limits included).',
      ),
    ),
  MAX_CONNECTIONS: int(1)
    .default(1000)
    .meta(performance('Concurrent HTTP connections per worker, besides up to WS_MAX_CONNECTIONS Socket.IO connections.')),
  MAX_REQUESTS: int(0).default(0).meta(performance('Recycle a worker after this many requests (0 = never), like gunicorn.')),
  MAX_REQUESTS_JITTER: int(0)
    .default(50)
    .meta(performance('Random extra requests before recycling, so workers do not restart together.')),
  WORKER_CRASH_LIMIT: int(0, 10_000)
    .default(5)
    .meta(
      performance(
        'With WORKERS > 1, a worker that crashes after it was ready is replaced after 1, 2, 4 … (at most 30) seconds; more than this many crashes within WORKER_CRASH_WINDOW_SECONDS stop the process (exit 1).',
      ),
    ),
  WORKER_CRASH_WINDOW_SECONDS: int(1, 86_400).default(60).meta(performance('The window for WORKER_CRASH_LIMIT.')),
  KEEP_ALIVE_TIMEOUT: num(0.1).default(5).meta(performance('HTTP keep-alive timeout in seconds.')),
  HEADERS_TIMEOUT_SECONDS: num(0.1)
    .default(10)
    .meta(performance('A client must send its request headers within this (cuts slowloris connections).')),
  SHUTDOWN_TIMEOUT_SECONDS: num(0).default(30).meta(performance('Grace period for in-flight requests on SIGTERM.')),
  RATE_LIMIT_CALLS: int(1).default(100).meta(performance('Requests per client per RATE_LIMIT_PERIOD.')),
  RATE_LIMIT_PERIOD: int(1).default(60).meta(performance('Rate-limit window in seconds.')),
  CDN_BASE_URL: httpUrl()
    .optional()
    .meta(
      performance(
        "A pull CDN in front of /static (e.g. https://cdn.example.com): in staging and production the dashboard loads its content-hashed assets from `$CDN_BASE_URL/static/…` and its CSP allows that origin. Unset: from this host's /static.",
      ),
    ),

  // --- Cache
  REDIS_URL: text()
    .optional()
    .meta(cache('Redis URL (`redis://` or `rediss://`). Unset: in-memory cache, counters and fan-out (one process).', true)),
  REDIS_PASSWORD: text().optional().meta(cache('Redis password when not in the URL.', true)),
  REDIS_REQUIRED: bool().default(false).meta(cache('Readiness fails (503) while Redis is down.')),
  CACHE_TTL_SECONDS: int(1).default(3600).meta(cache('How long Redis (or the memory store) keeps a cached value.')),
  CACHE_MEMORY_TTL_SECONDS: int(1, 300)
    .default(15)
    .meta(
      cache(
        'How long a process keeps its own copy of a hot value (who is calling, their record); evictions reach every process first, this only bounds a lost one.',
      ),
    ),

  // --- Monitoring
  ENABLE_METRICS: bool().default(true).meta(monitoring('Serve Prometheus metrics.')),
  METRICS_PATH: text().default('/metrics').meta(monitoring('Metrics path (outside the API prefix).')),
  METRICS_ALLOWED_HOSTS: list()
    .default(['127.0.0.0/8', '::1', '10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16'])
    .meta(monitoring('Client addresses (IPs or CIDR) that may read metrics without a token.')),
  METRICS_TOKEN: text().optional().meta(monitoring('Bearer token that grants metrics access from anywhere.', true)),
  HEALTH_CHECK_PATH: text().default('/api/v1/health').meta(monitoring('Liveness path.')),

  // --- WebSockets
  WS_HEARTBEAT_INTERVAL: num(1).default(30).meta(sockets('Socket.IO ping interval in seconds.')),
  WS_MAX_CONNECTIONS: int(1).default(100).meta(sockets('Most concurrent sockets (per process; cluster-wide with Redis).')),
  WS_MAX_CONNECTIONS_PER_USER: int(1)
    .default(10)
    .meta(sockets('Most concurrent sockets of one user (cluster-wide with Redis); kept below WS_MAX_CONNECTIONS.')),
  WS_MESSAGE_MAX_SIZE: int(1024).default(1_048_576).meta(sockets('Largest socket message in bytes.')),
  WS_CONNECTION_TIMEOUT: num(1).default(300).meta(sockets('Idle seconds before a socket is closed.')),

  // --- Audit
  AUDIT_RETENTION_DAYS: int(1)
    .default(365)
    .meta(
      audit(
        'Days to keep audit trail rows. The trail is partitioned by calendar month (UTC): the scheduler drops whole months past this and trims the month the cutoff falls in.',
      ),
    ),

  // --- AI
  OPENAI_API_KEY: text().optional().meta(ai('Key for the OpenAI-compatible provider.', true)),
  OPENAI_BASE_URL: text()
    .optional()
    .meta(
      ai('Base URL of any OpenAI-compatible endpoint (Ollama, vLLM, …). With no key and no URL the provider is not configured.'),
    ),
  OPENAI_MODEL: text().default('gpt-4').meta(ai('Model name.')),
  OPENAI_MAX_TOKENS: int(1).default(2000).meta(ai('Largest `max_tokens` a chat may ask for (and the default).')),
  OPENAI_TEMPERATURE: num(0, 2).default(0.7).meta(ai('Default temperature.')),
  AI_REQUEST_TIMEOUT: num(0.1).default(30).meta(ai('Seconds before a provider call gives up (fallback).')),
  AI_MAX_REQUESTS_PER_MINUTE: int(1).default(60).meta(ai('Provider calls per minute (shared through Redis).')),
  AI_USER_MAX_REQUESTS_PER_MINUTE: int(1)
    .default(20)
    .meta(ai('Chats per user per minute, inside the global AI_MAX_REQUESTS_PER_MINUTE.')),
  AI_MAX_CONCURRENT_REQUESTS: int(1).default(5).meta(ai('In-flight provider calls per process.')),
  AI_MAX_CONCURRENT_PER_USER: int(1)
    .default(2)
    .meta(ai("In-flight provider calls per user per process; a user's further chats wait their turn, users served in rotation.")),
  AI_MAX_MESSAGE_LENGTH: int(1).default(4000).meta(ai('Longest chat message in characters.')),
  AI_LOG_RETENTION_DAYS: int(1)
    .default(30)
    .meta(
      ai('Days to keep AI interaction records (partitioned by month like the audit trail, dropped and trimmed the same way).'),
    ),
  AI_STORE_EXCERPTS: bool()
    .default(false)
    .meta(
      ai(
        'Keep the first 100 characters of each chat message in the interaction record (`message_excerpt`), with obvious secrets (keys, tokens, passwords) redacted. Off: the excerpt is empty. Messages are never logged either way.',
      ),
    ),

  // --- Backups (read by scripts/backup_db.sh; declared here so they are validated and documented)
  BACKUP_DIR: text().default('./backups').meta(backups('Where scripts/backup_db.sh writes dumps.')),
  BACKUP_RETENTION_DAYS: int(1).default(7).meta(backups('Days of backups kept.')),
  BACKUP_INTERVAL_SECONDS: int(60)
    .default(86_400)
    .meta(
      backups('How often scripts/backup_schedule.sh (the compose `backup` service) runs a backup; it also runs one at start.'),
    ),

  // --- Startup (read by scripts/start.sh, the image's command; declared here so they are validated and documented)
  DB_WAIT_RETRIES: digits(1, 10_000)
    .default(30)
    .meta(
      startup(
        "scripts/start.sh (the image's command): attempts at applying the migrations, which double as the wait for the database.",
      ),
    ),
  DB_WAIT_INTERVAL: num(0, 3600).default(2).meta(startup('Seconds between those attempts.')),
  MIGRATE_TIMEOUT_SECONDS: digits(0)
    .default(600)
    .meta(startup('Longest one migration (or seed) run may take before it is stopped (0 = no limit).')),
});

/** The validated environment: every variable typed, defaults applied. */
export type Environment = z.output<typeof environmentSchema>;
export type VariableName = keyof Environment;
