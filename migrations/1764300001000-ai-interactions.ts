import type { MigrationInterface, QueryRunner } from 'typeorm';

export class AiInteractions1764300001000 implements MigrationInterface {
  name = 'AiInteractions1764300001000';

  async up(q: QueryRunner): Promise<void> {
    // user_id has no foreign key, like audit_logs: the record outlives the account until retention purges it
    await q.query(`
      CREATE TABLE ai_interactions (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        user_id uuid,
        message_excerpt varchar(100) NOT NULL,
        source varchar(16) NOT NULL CHECK (source IN ('ai', 'fallback')),
        fallback_cause varchar(32),
        model varchar(200),
        latency_ms integer NOT NULL CHECK (latency_ms >= 0),
        prompt_tokens integer,
        completion_tokens integer,
        request_id varchar(128),
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT ai_interactions_cause_matches_source CHECK ((source = 'fallback') = (fallback_cause IS NOT NULL))
      )`);
    await q.query(`CREATE INDEX ai_interactions_created_at_id_idx ON ai_interactions (created_at, id)`);
    await q.query(`CREATE INDEX ai_interactions_user_idx ON ai_interactions (user_id)`);
    await q.query(`CREATE INDEX ai_interactions_source_idx ON ai_interactions (source)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE ai_interactions`);
  }
}
