// Every migration, in order. Listed explicitly so the app, the tests and the CLI load the same set
// without globbing (globs differ between ts sources and the compiled dist).
import { InitialSchema1764300000000 } from './1764300000000-initial-schema.js';
import { AiInteractions1764300001000 } from './1764300001000-ai-interactions.js';
import { KeysetPages1764300002000 } from './1764300002000-keyset-pages.js';
import { MonthlyLogPartitions1764300003000 } from './1764300003000-monthly-log-partitions.js';

export const MIGRATIONS = [
  InitialSchema1764300000000,
  AiInteractions1764300001000,
  KeysetPages1764300002000,
  MonthlyLogPartitions1764300003000,
];
