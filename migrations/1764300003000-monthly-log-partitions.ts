import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Each log, its indexes (name → columns) as the keyset-pages migration left them. */
const LOGS: Record<string, Record<string, string>> = {
  audit_logs: {
    audit_logs_created_at_id_idx: 'created_at, id',
    audit_logs_actor_created_at_id_idx: 'actor_id, created_at, id',
    audit_logs_action_created_at_id_idx: 'action, created_at, id',
  },
  ai_interactions: {
    ai_interactions_created_at_id_idx: 'created_at, id',
    ai_interactions_user_created_at_id_idx: 'user_id, created_at, id',
    ai_interactions_source_created_at_id_idx: 'source, created_at, id',
  },
};

// A migration keeps its own copy of these (libs/database's MonthlyPartitions has the live ones): what it ran
// once must not change when the library does.
const monthStart = (date: Date): Date => new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), 1));
const addMonths = (month: Date, n: number): Date => new Date(Date.UTC(month.getUTCFullYear(), month.getUTCMonth() + n, 1));
const partitionName = (table: string, month: Date): string =>
  `${table}_p${month.getUTCFullYear()}_${String(month.getUTCMonth() + 1).padStart(2, '0')}`;

/**
 * The audit trail and the AI interaction log become range-partitioned by calendar month (UTC), so retention
 * drops whole partitions instead of deleting rows. Partitions cover every existing row and run two months
 * ahead; the scheduler (MonthlyPartitions) keeps creating them. No DEFAULT partition: a row in it could
 * never be dropped, and each new partition would have to scan it. The primary key includes the partition
 * key, as PostgreSQL requires. Neither table has foreign keys, in or out.
 */
export class MonthlyLogPartitions1764300003000 implements MigrationInterface {
  name = 'MonthlyLogPartitions1764300003000';

  async up(q: QueryRunner): Promise<void> {
    for (const [table, indexes] of Object.entries(LOGS)) {
      const old = `${table}_unpartitioned`;
      await q.query(`ALTER TABLE ${table} RENAME TO ${old}`);
      await q.query(`ALTER TABLE ${old} DROP CONSTRAINT ${table}_pkey`);
      for (const index of Object.keys(indexes)) await q.query(`DROP INDEX ${index}`);
      await q.query(
        `CREATE TABLE ${table} (LIKE ${old} INCLUDING DEFAULTS INCLUDING CONSTRAINTS) PARTITION BY RANGE (created_at)`,
      );

      const [{ first, last }]: { first: Date | null; last: Date | null }[] = await q.query(
        `SELECT min(created_at) AS first, max(created_at) AS last FROM ${old}`,
      );
      const now = monthStart(new Date());
      let month = monthStart(first ? new Date(first) : now);
      const end = new Date(Math.max(addMonths(now, 2).getTime(), monthStart(last ? new Date(last) : now).getTime()));
      for (; month <= end; month = addMonths(month, 1)) {
        await q.query(
          `CREATE TABLE ${partitionName(table, month)} PARTITION OF ${table}
           FOR VALUES FROM ('${month.toISOString()}') TO ('${addMonths(month, 1).toISOString()}')`,
        );
      }

      await q.query(`INSERT INTO ${table} SELECT * FROM ${old}`);
      await q.query(`DROP TABLE ${old}`);
      // on the parent: PostgreSQL builds and attaches one per partition, and gives new partitions their own
      await q.query(`ALTER TABLE ${table} ADD CONSTRAINT ${table}_pkey PRIMARY KEY (id, created_at)`);
      for (const [index, columns] of Object.entries(indexes)) await q.query(`CREATE INDEX ${index} ON ${table} (${columns})`);
    }
  }

  async down(q: QueryRunner): Promise<void> {
    for (const [table, indexes] of Object.entries(LOGS)) {
      const plain = `${table}_plain`;
      await q.query(`CREATE TABLE ${plain} (LIKE ${table} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)`);
      await q.query(`INSERT INTO ${plain} SELECT * FROM ${table}`);
      await q.query(`DROP TABLE ${table}`); // and every partition
      await q.query(`ALTER TABLE ${plain} RENAME TO ${table}`);
      await q.query(`ALTER TABLE ${table} ADD CONSTRAINT ${table}_pkey PRIMARY KEY (id)`);
      for (const [index, columns] of Object.entries(indexes)) await q.query(`CREATE INDEX ${index} ON ${table} (${columns})`);
    }
  }
}
