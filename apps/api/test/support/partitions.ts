import { addMonths, monthStart, partitionName } from '@gad/database';

interface Queryable {
  query(sql: string, parameters?: unknown[]): Promise<unknown>;
}

/**
 * Monthly partitions of a log for every month from `from` through `to`: the app creates them only from the
 * current month on, and tests (like the bench) backdate rows.
 */
export async function ensurePartitions(db: Queryable, table: string, from: Date, to: Date): Promise<string[]> {
  const names: string[] = [];
  for (let month = monthStart(from); month <= monthStart(to); month = addMonths(month, 1)) {
    const name = partitionName(table, month);
    await db.query(
      `CREATE TABLE IF NOT EXISTS ${name} PARTITION OF ${table}
       FOR VALUES FROM ('${month.toISOString()}') TO ('${addMonths(month, 1).toISOString()}')`,
    );
    names.push(name);
  }
  return names;
}

/** The partitions attached to `table`, by name, sorted. */
export async function attachedPartitions(db: Queryable, table: string): Promise<string[]> {
  const rows = (await db.query(
    `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
     WHERE i.inhparent = to_regclass($1) ORDER BY c.relname`,
    [table],
  )) as { name: string }[] | { rows: { name: string }[] };
  return (Array.isArray(rows) ? rows : rows.rows).map((r) => r.name);
}

/** Tables named like a partition of `table` that are not attached to it (a half-done drop would leave one). */
export async function orphanPartitions(db: Queryable, table: string): Promise<string[]> {
  const rows = (await db.query(
    `SELECT c.relname AS name FROM pg_class c
     WHERE c.relname ~ ('^' || $1 || '_p[0-9]{4}_[0-9]{2}$') AND c.relkind IN ('r', 'p')
       AND NOT EXISTS (SELECT 1 FROM pg_inherits i WHERE i.inhrelid = c.oid AND i.inhparent = to_regclass($1))`,
    [table],
  )) as { name: string }[] | { rows: { name: string }[] };
  return (Array.isArray(rows) ? rows : rows.rows).map((r) => r.name);
}
