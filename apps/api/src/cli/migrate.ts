import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { ConfigError, readConfiguration, redactUrl } from '@gad/config';
import { buildDataSourceOptions, runPendingMigrations } from '@gad/database';
import { SCHEMA } from '../schema.js';

// npm run migration:run | migration:revert | migration:show — the same options function as the app.
const command = process.argv[2] ?? 'run';
if (!['run', 'revert', 'show'].includes(command)) {
  console.error(`usage: migrate.js [run|revert|show] (got "${command}")`);
  process.exit(2);
}

const { configuration: config, problems } = readConfiguration();
if (problems.length > 0) {
  console.error(new ConfigError(problems).message);
  process.exit(1);
}
const where = config.database.embedded
  ? `embedded PGlite in ${config.database.dataDir}/pglite`
  : redactUrl(config.database.url ?? '');
const dataSource = new DataSource(buildDataSourceOptions(config, SCHEMA));
try {
  await dataSource.initialize();
} catch (error) {
  console.error(`cannot reach the database (${where}): ${(error as Error).message}`);
  process.exit(1);
}

try {
  if (command === 'run') {
    const applied = await runPendingMigrations(dataSource);
    console.log(applied.length ? `applied: ${applied.map((m) => m.name).join(', ')}` : 'no pending migrations');
  } else if (command === 'revert') {
    await dataSource.undoLastMigration({ transaction: 'each' });
    console.log('reverted the last migration');
  } else {
    const pending = await dataSource.showMigrations();
    console.log(pending ? 'there are pending migrations' : 'the schema is up to date');
  }
  await dataSource.destroy();
} catch (error) {
  console.error(`migration ${command} failed: ${(error as Error).message}`);
  await dataSource.destroy().catch(() => undefined);
  process.exit(1);
}
