import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

export type AnswerSource = 'ai' | 'fallback';

/** One chat call, whatever answered it. The message is kept only as a 100-character excerpt. */
@Entity({ name: 'ai_interactions' })
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

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
