import type { SchemaParts } from '@gad/database';
import { MIGRATIONS } from '../../../migrations/index.js';

/** Every entity and migration the app knows; shared by the app, the tests and the CLI. */
export const SCHEMA: SchemaParts = {
  entities: [],
  migrations: MIGRATIONS,
};
