import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

@Entity({ name: 'audit_logs' })
@Index('audit_logs_created_at_id_idx', ['createdAt', 'id'])
@Index('audit_logs_actor_created_at_id_idx', ['actorId', 'createdAt', 'id'])
@Index('audit_logs_action_created_at_id_idx', ['action', 'createdAt', 'id'])
export class AuditLogEntity {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column({ type: 'varchar', length: 64 }) action!: string;
  @Column({ name: 'actor_id', type: 'uuid', nullable: true }) actorId!: string | null;
  @Column({ name: 'target_id', type: 'uuid', nullable: true }) targetId!: string | null;
  @Column({ type: 'varchar', length: 64, nullable: true }) ip!: string | null;
  @Column({ name: 'user_agent', type: 'varchar', length: 512, nullable: true }) userAgent!: string | null;
  @Column({ name: 'request_id', type: 'varchar', length: 128, nullable: true }) requestId!: string | null;
  @Column({ type: 'jsonb', nullable: true }) changes!: Record<string, unknown> | null;
  // part of the key: the table is partitioned by month on it (PostgreSQL requires the partition key in the primary key)
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz', precision: 3, primary: true }) createdAt!: Date;
}
