import type { Environment } from './environment.schema.js';

export type DatabaseSource = 'DATABASE_URL' | 'DB_URL' | 'POSTGRES_*' | 'embedded';

export interface ResolvedDatabaseUrl {
  url?: string;
  source: DatabaseSource;
  problem?: string;
}

type DatabaseVariables = Pick<
  Environment,
  'DATABASE_URL' | 'DB_URL' | 'POSTGRES_SERVER' | 'POSTGRES_USER' | 'POSTGRES_PASSWORD' | 'POSTGRES_DB' | 'POSTGRES_PORT'
>;

const POSTGRES_SCHEMES = ['postgresql:', 'postgres:', 'postgresql+asyncpg:', 'postgresql+psycopg:', 'postgresql+psycopg2:'];

/** DATABASE_URL, then legacy DB_URL, then POSTGRES_* parts; none means the embedded PGlite. */
export function resolveDatabaseUrl(env: DatabaseVariables): ResolvedDatabaseUrl {
  if (env.DATABASE_URL) return normalize(env.DATABASE_URL, 'DATABASE_URL');
  if (env.DB_URL) return normalize(env.DB_URL, 'DB_URL');
  if (env.POSTGRES_SERVER) {
    const user = encodeURIComponent(env.POSTGRES_USER);
    const password = env.POSTGRES_PASSWORD ? `:${encodeURIComponent(env.POSTGRES_PASSWORD)}` : '';
    const db = encodeURIComponent(env.POSTGRES_DB);
    return normalize(`postgresql://${user}${password}@${env.POSTGRES_SERVER}:${env.POSTGRES_PORT}/${db}`, 'POSTGRES_*');
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

// query parameters a driver reads as credentials (libpq and node-postgres take ?password= and ?sslpassword=)
const SECRET_PARAMETER = /pass|secret|token|key/i;

/** The URL with its password masked, in the userinfo or in the query, for logs. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    for (const name of [...parsed.searchParams.keys()]) {
      if (SECRET_PARAMETER.test(name)) parsed.searchParams.set(name, '***');
    }
    return parsed.toString();
  } catch {
    return '<invalid url>';
  }
}
