export type DatabaseSource = 'DATABASE_URL' | 'DB_URL' | 'POSTGRES_*' | 'embedded';

export interface ResolvedDatabaseUrl {
  url?: string;
  source: DatabaseSource;
  problem?: string;
}

type Env = Record<string, string | undefined>;

const POSTGRES_SCHEMES = ['postgresql:', 'postgres:', 'postgresql+asyncpg:', 'postgresql+psycopg:', 'postgresql+psycopg2:'];

/** DATABASE_URL, then legacy DB_URL, then POSTGRES_* parts; none means the embedded PGlite. */
export function resolveDatabaseUrl(env: Env): ResolvedDatabaseUrl {
  for (const name of ['DATABASE_URL', 'DB_URL'] as const) {
    const raw = env[name]?.trim();
    if (raw) return normalize(raw, name);
  }
  const host = env.POSTGRES_SERVER?.trim();
  if (host) {
    const user = encodeURIComponent(env.POSTGRES_USER?.trim() || 'postgres');
    const password = env.POSTGRES_PASSWORD ? `:${encodeURIComponent(env.POSTGRES_PASSWORD)}` : '';
    const port = env.POSTGRES_PORT?.trim() || '5432';
    const db = encodeURIComponent(env.POSTGRES_DB?.trim() || 'gad_db');
    return normalize(`postgresql://${user}${password}@${host}:${port}/${db}`, 'POSTGRES_*');
  }
  return { source: 'embedded' };
}

function normalize(raw: string, source: DatabaseSource): ResolvedDatabaseUrl {
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    return { source, problem: `${source} is not a valid URL` };
  }
  if (parsed.protocol.startsWith('sqlite')) {
    return {
      source,
      problem: `${source} uses SQLite (${parsed.protocol.replace(/:$/, '')}), which this API does not support: leave the database unset to use the embedded PostgreSQL (PGlite), or give a postgresql:// URL`,
    };
  }
  if (!POSTGRES_SCHEMES.includes(parsed.protocol)) {
    return { source, problem: `${source} must be a postgresql:// URL (got ${parsed.protocol.replace(/:$/, '')}://)` };
  }
  return { source, url: raw.replace(/^[^:]+:/, 'postgresql:') };
}

/** The URL with its password masked, for logs. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '<invalid url>';
  }
}
