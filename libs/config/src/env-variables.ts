// Every environment variable the app reads, with its default and meaning.
// The README's configuration table is generated from this list (npm run docs:config).

export type VariableKind = 'string' | 'int' | 'number' | 'boolean' | 'json-list' | 'enum' | 'secret' | 'url';

export interface VariableSpec {
  name: string;
  kind: VariableKind;
  default?: string;
  description: string;
  group: string;
  values?: readonly string[];
}

export const ENVIRONMENTS = ['development', 'test', 'staging', 'production'] as const;
export const LOG_LEVELS = ['DEBUG', 'INFO', 'WARNING', 'ERROR', 'CRITICAL'] as const;

export const VARIABLES: readonly VariableSpec[] = [
  // Critical
  {
    group: 'Security',
    name: 'SECRET_KEY',
    kind: 'secret',
    description: 'Signs JWTs (HS256). ≥ 32 characters; required in production. Generate with `openssl rand -hex 32`.',
  },
  {
    group: 'Security',
    name: 'ACCESS_TOKEN_EXPIRE_MINUTES',
    kind: 'int',
    default: '30',
    description: 'Access-token lifetime in minutes.',
  },
  {
    group: 'Security',
    name: 'REFRESH_TOKEN_EXPIRE_DAYS',
    kind: 'int',
    default: '7',
    description: 'Refresh-token (session) lifetime in days.',
  },
  {
    group: 'Security',
    name: 'BCRYPT_ROUNDS',
    kind: 'int',
    description: 'bcrypt cost; default 12 in production, 10 elsewhere; at least 10 in production.',
  },
  {
    group: 'Security',
    name: 'LOGIN_MAX_ATTEMPTS',
    kind: 'int',
    default: '5',
    description: 'Failed logins allowed per client IP and per account within LOGIN_WINDOW_SECONDS.',
  },
  { group: 'Security', name: 'LOGIN_WINDOW_SECONDS', kind: 'int', default: '60', description: 'Window for LOGIN_MAX_ATTEMPTS.' },
  {
    group: 'Security',
    name: 'ADMIN_EMAIL',
    kind: 'string',
    default: 'admin@grupogad.com',
    description: 'Email of the admin account created at first boot.',
  },
  {
    group: 'Security',
    name: 'ADMIN_PASSWORD',
    kind: 'secret',
    description:
      'Initial admin password (must be changed at first login). Required in production; generated and printed once in development.',
  },
  {
    group: 'Security',
    name: 'CORS_ALLOWED_ORIGINS',
    kind: 'json-list',
    default: '[]',
    description:
      'JSON list of allowed CORS origins. Never `*` in production. Development adds http://localhost:3000, http://localhost:8080 and http://127.0.0.1:3000.',
  },
  {
    group: 'Security',
    name: 'CORS_ALLOW_CREDENTIALS',
    kind: 'boolean',
    default: 'true',
    description: 'Allow cookies on CORS requests.',
  },
  {
    group: 'Security',
    name: 'TRUSTED_PROXY_HOSTS',
    kind: 'json-list',
    default: '["localhost","127.0.0.1"]',
    description:
      'JSON list of proxies (IPs or CIDR ranges; `localhost` means 127.0.0.1 and ::1) whose X-Forwarded-* headers are honoured.',
  },
  {
    group: 'Security',
    name: 'FORCE_HTTPS',
    kind: 'boolean',
    default: 'false',
    description: 'Redirect plain-HTTP requests to HTTPS (probes exempt) and send HSTS.',
  },
  {
    group: 'Security',
    name: 'SECURE_COOKIES',
    kind: 'boolean',
    description: 'Mark auth cookies `Secure`. Default true in production, false elsewhere.',
  },
  {
    group: 'Security',
    name: 'HSTS_MAX_AGE',
    kind: 'int',
    default: '31536000',
    description: 'HSTS max-age in seconds (production or FORCE_HTTPS).',
  },
  // Database
  {
    group: 'Database',
    name: 'DATABASE_URL',
    kind: 'url',
    description:
      "PostgreSQL URL (`postgresql://`, or SQLAlchemy's `postgresql+asyncpg://`). Precedence: DATABASE_URL, DB_URL, POSTGRES_*. Unset: embedded PGlite (development only).",
  },
  { group: 'Database', name: 'DB_URL', kind: 'url', description: 'Legacy name for DATABASE_URL.' },
  { group: 'Database', name: 'POSTGRES_SERVER', kind: 'string', description: 'PostgreSQL host, used when no URL is set.' },
  {
    group: 'Database',
    name: 'POSTGRES_USER',
    kind: 'string',
    default: 'postgres',
    description: 'PostgreSQL user (with POSTGRES_SERVER).',
  },
  { group: 'Database', name: 'POSTGRES_PASSWORD', kind: 'secret', description: 'PostgreSQL password (with POSTGRES_SERVER).' },
  {
    group: 'Database',
    name: 'POSTGRES_DB',
    kind: 'string',
    default: 'gad_db',
    description: 'Database name (with POSTGRES_SERVER).',
  },
  {
    group: 'Database',
    name: 'POSTGRES_PORT',
    kind: 'int',
    default: '5432',
    description: 'PostgreSQL port (with POSTGRES_SERVER).',
  },
  {
    group: 'Database',
    name: 'DATABASE_SSL',
    kind: 'boolean',
    default: 'false',
    description: 'Use TLS to PostgreSQL (also on when the URL has `ssl=require` or `sslmode=require`).',
  },
  {
    group: 'Database',
    name: 'DB_POOL_SIZE',
    kind: 'int',
    default: '20',
    description: 'Pool connections kept open once opened (SQLAlchemy `pool_size`).',
  },
  {
    group: 'Database',
    name: 'DB_MAX_OVERFLOW',
    kind: 'int',
    default: '10',
    description: 'Extra connections under load (SQLAlchemy `max_overflow`); pool max = size + overflow; closed when idle.',
  },
  {
    group: 'Database',
    name: 'DB_POOL_TIMEOUT',
    kind: 'number',
    default: '30',
    description: 'Seconds to wait for a pooled connection.',
  },
  {
    group: 'Database',
    name: 'DB_POOL_RECYCLE',
    kind: 'number',
    default: '3600',
    description: 'Seconds after which a connection is replaced.',
  },
  {
    group: 'Database',
    name: 'DB_POOL_IDLE_TIMEOUT',
    kind: 'number',
    default: '10',
    description: 'Seconds an overflow connection (beyond DB_POOL_SIZE) may stay idle before it is closed.',
  },
  { group: 'Database', name: 'DB_COMMAND_TIMEOUT', kind: 'number', default: '60', description: 'Statement timeout in seconds.' },
  {
    group: 'Database',
    name: 'RUN_MIGRATIONS',
    kind: 'boolean',
    description: 'Apply pending migrations at boot (under an advisory lock). Default true except in production.',
  },
  {
    group: 'Database',
    name: 'DATA_DIR',
    kind: 'string',
    default: './.data',
    description: 'Where the embedded PGlite database lives (`$DATA_DIR/pglite`).',
  },
  // Application
  {
    group: 'Application',
    name: 'PROJECT_NAME',
    kind: 'string',
    default: 'GRUPO_GAD',
    description: 'Name in docs, logs and the JWT `iss` claim.',
  },
  {
    group: 'Application',
    name: 'PROJECT_VERSION',
    kind: 'string',
    default: '1.0.0',
    description: 'Version shown in docs and health.',
  },
  { group: 'Application', name: 'API_V1_STR', kind: 'string', default: '/api/v1', description: 'Prefix of every REST route.' },
  {
    group: 'Application',
    name: 'ENVIRONMENT',
    kind: 'enum',
    default: 'development',
    values: ENVIRONMENTS,
    description: 'development, test, staging or production.',
  },
  {
    group: 'Application',
    name: 'LOG_LEVEL',
    kind: 'enum',
    default: 'INFO',
    values: LOG_LEVELS,
    description: 'DEBUG, INFO, WARNING, ERROR or CRITICAL.',
  },
  {
    group: 'Application',
    name: 'DEBUG',
    kind: 'boolean',
    default: 'false',
    description: 'Development diagnostics (stack traces in 5xx bodies). Refused in production.',
  },
  { group: 'Application', name: 'HOST', kind: 'string', default: '0.0.0.0', description: 'Bind address.' },
  { group: 'Application', name: 'PORT', kind: 'int', default: '8000', description: 'Bind port.' },
  // Performance
  {
    group: 'Performance',
    name: 'MAX_REQUEST_BODY_SIZE',
    kind: 'int',
    default: '10485760',
    description: 'Largest accepted request body in bytes (413 above).',
  },
  {
    group: 'Performance',
    name: 'REQUEST_TIMEOUT_SECONDS',
    kind: 'number',
    default: '60',
    description: 'A request still running after this answers 503; one not fully received by then is cut off (408).',
  },
  {
    group: 'Performance',
    name: 'WORKERS',
    kind: 'int',
    description: 'Worker processes (node:cluster). Default 1 outside production; in production 2 × cores + 1, capped by memory.',
  },
  {
    group: 'Performance',
    name: 'MAX_CONNECTIONS',
    kind: 'int',
    default: '1000',
    description: 'Concurrent HTTP connections per worker, besides up to WS_MAX_CONNECTIONS Socket.IO connections.',
  },
  {
    group: 'Performance',
    name: 'MAX_REQUESTS',
    kind: 'int',
    default: '0',
    description: 'Recycle a worker after this many requests (0 = never), like gunicorn.',
  },
  {
    group: 'Performance',
    name: 'MAX_REQUESTS_JITTER',
    kind: 'int',
    default: '50',
    description: 'Random extra requests before recycling, so workers do not restart together.',
  },
  {
    group: 'Performance',
    name: 'WORKER_CRASH_LIMIT',
    kind: 'int',
    default: '5',
    description:
      'With WORKERS > 1, a worker that crashes after it was ready is replaced after 1, 2, 4 … (at most 30) seconds; more than this many crashes within WORKER_CRASH_WINDOW_SECONDS stop the process (exit 1).',
  },
  {
    group: 'Performance',
    name: 'WORKER_CRASH_WINDOW_SECONDS',
    kind: 'int',
    default: '60',
    description: 'The window for WORKER_CRASH_LIMIT.',
  },
  {
    group: 'Performance',
    name: 'KEEP_ALIVE_TIMEOUT',
    kind: 'number',
    default: '5',
    description: 'HTTP keep-alive timeout in seconds.',
  },
  {
    group: 'Performance',
    name: 'HEADERS_TIMEOUT_SECONDS',
    kind: 'number',
    default: '10',
    description: 'A client must send its request headers within this (cuts slowloris connections).',
  },
  {
    group: 'Performance',
    name: 'SHUTDOWN_TIMEOUT_SECONDS',
    kind: 'number',
    default: '30',
    description: 'Grace period for in-flight requests on SIGTERM.',
  },
  {
    group: 'Performance',
    name: 'RATE_LIMIT_CALLS',
    kind: 'int',
    default: '100',
    description: 'Requests per client per RATE_LIMIT_PERIOD.',
  },
  { group: 'Performance', name: 'RATE_LIMIT_PERIOD', kind: 'int', default: '60', description: 'Rate-limit window in seconds.' },
  {
    group: 'Performance',
    name: 'CDN_BASE_URL',
    kind: 'string',
    description:
      "A pull CDN in front of /static (e.g. https://cdn.example.com): in staging and production the dashboard loads its content-hashed assets from `$CDN_BASE_URL/static/…` and its CSP allows that origin. Unset: from this host's /static.",
  },
  // Cache
  {
    group: 'Cache',
    name: 'REDIS_URL',
    kind: 'url',
    description: 'Redis URL (`redis://` or `rediss://`). Unset: in-memory cache, counters and fan-out (one process).',
  },
  { group: 'Cache', name: 'REDIS_PASSWORD', kind: 'secret', description: 'Redis password when not in the URL.' },
  {
    group: 'Cache',
    name: 'REDIS_REQUIRED',
    kind: 'boolean',
    default: 'false',
    description: 'Readiness fails (503) while Redis is down.',
  },
  { group: 'Cache', name: 'CACHE_TTL_SECONDS', kind: 'int', default: '3600', description: 'Default cache TTL.' },
  // Monitoring
  { group: 'Monitoring', name: 'ENABLE_METRICS', kind: 'boolean', default: 'true', description: 'Serve Prometheus metrics.' },
  {
    group: 'Monitoring',
    name: 'METRICS_PATH',
    kind: 'string',
    default: '/metrics',
    description: 'Metrics path (outside the API prefix).',
  },
  {
    group: 'Monitoring',
    name: 'METRICS_ALLOWED_HOSTS',
    kind: 'json-list',
    default: '["127.0.0.0/8","::1","10.0.0.0/8","172.16.0.0/12","192.168.0.0/16"]',
    description: 'Client addresses (IPs or CIDR) that may read metrics without a token.',
  },
  {
    group: 'Monitoring',
    name: 'METRICS_TOKEN',
    kind: 'secret',
    description: 'Bearer token that grants metrics access from anywhere.',
  },
  { group: 'Monitoring', name: 'HEALTH_CHECK_PATH', kind: 'string', default: '/api/v1/health', description: 'Liveness path.' },
  // WebSockets
  {
    group: 'WebSockets',
    name: 'WS_HEARTBEAT_INTERVAL',
    kind: 'number',
    default: '30',
    description: 'Socket.IO ping interval in seconds.',
  },
  {
    group: 'WebSockets',
    name: 'WS_MAX_CONNECTIONS',
    kind: 'int',
    default: '100',
    description: 'Most concurrent sockets (per process; cluster-wide with Redis).',
  },
  {
    group: 'WebSockets',
    name: 'WS_MESSAGE_MAX_SIZE',
    kind: 'int',
    default: '1048576',
    description: 'Largest socket message in bytes.',
  },
  {
    group: 'WebSockets',
    name: 'WS_CONNECTION_TIMEOUT',
    kind: 'number',
    default: '300',
    description: 'Idle seconds before a socket is closed.',
  },
  // AI
  { group: 'AI', name: 'OPENAI_API_KEY', kind: 'secret', description: 'Key for the OpenAI-compatible provider.' },
  {
    group: 'AI',
    name: 'OPENAI_BASE_URL',
    kind: 'url',
    description:
      'Base URL of any OpenAI-compatible endpoint (Ollama, vLLM, …). With no key and no URL the provider is not configured.',
  },
  { group: 'AI', name: 'OPENAI_MODEL', kind: 'string', default: 'gpt-4', description: 'Model name.' },
  {
    group: 'AI',
    name: 'OPENAI_MAX_TOKENS',
    kind: 'int',
    default: '2000',
    description: 'Largest `max_tokens` a chat may ask for (and the default).',
  },
  { group: 'AI', name: 'OPENAI_TEMPERATURE', kind: 'number', default: '0.7', description: 'Default temperature.' },
  {
    group: 'AI',
    name: 'AI_REQUEST_TIMEOUT',
    kind: 'number',
    default: '30',
    description: 'Seconds before a provider call gives up (fallback).',
  },
  {
    group: 'AI',
    name: 'AI_MAX_REQUESTS_PER_MINUTE',
    kind: 'int',
    default: '60',
    description: 'Provider calls per minute (sliding window; shared through Redis).',
  },
  {
    group: 'AI',
    name: 'AI_USER_MAX_REQUESTS_PER_MINUTE',
    kind: 'int',
    default: '20',
    description: 'Chats per user per minute, inside the global AI_MAX_REQUESTS_PER_MINUTE window.',
  },
  {
    group: 'AI',
    name: 'AI_MAX_CONCURRENT_REQUESTS',
    kind: 'int',
    default: '5',
    description: 'In-flight provider calls per process.',
  },
  {
    group: 'AI',
    name: 'AI_MAX_MESSAGE_LENGTH',
    kind: 'int',
    default: '4000',
    description: 'Longest chat message in characters.',
  },
  { group: 'AI', name: 'AI_LOG_RETENTION_DAYS', kind: 'int', default: '30', description: 'Days to keep AI interaction records.' },
  // Backups (read by scripts/backup_db.sh)
  {
    group: 'Backups',
    name: 'BACKUP_DIR',
    kind: 'string',
    default: './backups',
    description: 'Where scripts/backup_db.sh writes dumps.',
  },
  { group: 'Backups', name: 'BACKUP_RETENTION_DAYS', kind: 'int', default: '7', description: 'Days of backups kept.' },
  {
    group: 'Backups',
    name: 'BACKUP_INTERVAL_SECONDS',
    kind: 'int',
    default: '86400',
    description: 'How often scripts/backup_schedule.sh (the compose `backup` service) runs a backup; it also runs one at start.',
  },
];
