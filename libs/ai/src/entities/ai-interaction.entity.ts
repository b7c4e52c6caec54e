import { Check, Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

export type AnswerSource = 'ai' | 'fallback';

/** One chat call, whatever answered it. The message is kept only as a redacted 100-character excerpt, and only with AI_STORE_EXCERPTS. */
@Entity({ name: 'ai_interactions' })
@Index('ai_interactions_created_at_id_idx', ['createdAt', 'id'])
@Index('ai_interactions_user_created_at_id_idx', ['userId', 'createdAt', 'id'])
@Index('ai_interactions_source_created_at_id_idx', ['source', 'createdAt', 'id'])
@Check('ai_interactions_source_check', "source IN ('ai', 'fallback')")
@Check('ai_interactions_latency_ms_check', 'latency_ms >= 0')
@Check('ai_interactions_cause_matches_source', "(source = 'fallback') = (fallback_cause IS NOT NULL)")
export class AiInteractionEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'user_id', type: 'uuid', nullable: true })
  userId!: string | null;

  @Column({ name: 'message_excerpt', type: 'varchar', length: 100 })
  messageExcerpt!: string;

  @Column({ type: 'varchar', length: 16 })
  source!: AnswerSource;

  @Column({ name: 'fallback_cause', type: 'varchar', length: 32, nullable: true })
  fallbackCause!: string | null;

  @Column({ type: 'varchar', length: 200, nullable: true })
  model!: string | null;

  @Column({ name: 'latency_ms', type: 'integer' })
  latencyMs!: number;

  @Column({ name: 'prompt_tokens', type: 'integer', nullable: true })
  promptTokens!: number | null;

  @Column({ name: 'completion_tokens', type: 'integer', nullable: true })
  completionTokens!: number | null;

  @Column({ name: 'request_id', type: 'varchar', length: 128, nullable: true })
  requestId!: string | null;

  /** Part of the key: the table is partitioned by month on it (PostgreSQL requires the partition key in the primary key). */
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz', precision: 3, primary: true })
  createdAt!: Date;
}
