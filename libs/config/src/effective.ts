import { redactUrl } from './database-url.js';
import { environmentSchema, type VariableMeta } from './environment.schema.js';
import type { RawEnvironment } from './environment.js';
import { productionWorkers, type Configuration } from './slices.js';

const URL_LIKE = /^[a-z][\w+.-]*:\/\//i;

/**
 * What a process will run with, for an operator to read before it starts (scripts/start.sh prints it):
 * every variable the environment sets, secrets masked (any URL keeps all but its credentials), then what the
 * rules derive from them. Names in capitals are variables; the derived lines are in lower case.
 * Read after readConfiguration(), so `.env` is included where it applies.
 */
export function effectiveConfiguration(
  config: Configuration,
  raw: RawEnvironment = process.env,
): [name: string, value: string][] {
  const lines: [string, string][] = [];
  for (const [name, schema] of Object.entries(environmentSchema.shape)) {
    const value = raw[name]?.trim();
    if (!value) continue;
    const { secret } = schema.meta() as unknown as VariableMeta;
    // a secret URL (DATABASE_URL, REDIS_URL) shows all but its credentials; any other secret only that it is set
    const url = URL_LIKE.test(value) && (!secret || name.endsWith('_URL'));
    lines.push([name, url ? redactUrl(value) : secret ? '(set)' : value]);
  }
  const workersFrom = raw.WORKERS?.trim()
    ? 'WORKERS'
    : config.app.environment === 'production'
      ? `production default: ${productionWorkers().reason}`
      : 'one outside production';
  const { database, redis } = config;
  lines.push(
    ['workers', `${config.cluster.workers} (${workersFrom})`],
    [
      'database',
      database.embedded
        ? `embedded PGlite in ${database.dataDir}/pglite`
        : `${redactUrl(database.url ?? '')} (from ${database.source})`,
    ],
    ['redis', redis.url ? redactUrl(redis.url) : 'none: in-memory cache, counters and fan-out (one process)'],
  );
  return lines;
}
