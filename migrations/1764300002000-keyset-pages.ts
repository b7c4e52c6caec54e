import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Keyset (cursor) pages: creation times kept to the millisecond, so a cursor (which carries a JavaScript
 * Date) names a row's position exactly; and an index per list filter, each in the list's own order.
 */
export class KeysetPages1764300002000 implements MigrationInterface {
  name = 'KeysetPages1764300002000';

  async up(q: QueryRunner): Promise<void> {
    for (const table of ['users', 'audit_logs', 'ai_interactions']) {
      await q.query(`ALTER TABLE ${table} ALTER COLUMN created_at TYPE timestamptz(3)`);
    }
    await q.query(`DROP INDEX audit_logs_actor_idx`);
    await q.query(`DROP INDEX audit_logs_action_idx`);
    await q.query(`CREATE INDEX audit_logs_actor_created_at_id_idx ON audit_logs (actor_id, created_at, id)`);
    await q.query(`CREATE INDEX audit_logs_action_created_at_id_idx ON audit_logs (action, created_at, id)`);
    await q.query(`DROP INDEX ai_interactions_user_idx`);
    await q.query(`DROP INDEX ai_interactions_source_idx`);
    await q.query(`CREATE INDEX ai_interactions_user_created_at_id_idx ON ai_interactions (user_id, created_at, id)`);
    await q.query(`CREATE INDEX ai_interactions_source_created_at_id_idx ON ai_interactions (source, created_at, id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX ai_interactions_source_created_at_id_idx`);
    await q.query(`DROP INDEX ai_interactions_user_created_at_id_idx`);
    await q.query(`CREATE INDEX ai_interactions_source_idx ON ai_interactions (source)`);
    await q.query(`CREATE INDEX ai_interactions_user_idx ON ai_interactions (user_id)`);
    await q.query(`DROP INDEX audit_logs_action_created_at_id_idx`);
    await q.query(`DROP INDEX audit_logs_actor_created_at_id_idx`);
    await q.query(`CREATE INDEX audit_logs_action_idx ON audit_logs (action)`);
    await q.query(`CREATE INDEX audit_logs_actor_idx ON audit_logs (actor_id)`);
    for (const table of ['users', 'audit_logs', 'ai_interactions']) {
      await q.query(`ALTER TABLE ${table} ALTER COLUMN created_at TYPE timestamptz`);
    }
  }
}
