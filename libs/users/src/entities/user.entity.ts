import {
  Check,
  Column,
  CreateDateColumn,
  Entity,
  Index,
  JoinTable,
  ManyToMany,
  PrimaryGeneratedColumn,
  UpdateDateColumn,
} from 'typeorm';
import type { Role } from '@gad/access';
import { RoleEntity } from './role.entity.js';

// Indexes and constraints mirror the migrations (their only author), so `migration:generate` sees no difference.
@Entity({ name: 'users' })
@Check('users_email_lowercase', 'email = lower(email)')
@Index('users_email_uq', { synchronize: false }) // unique on lower(email): an expression TypeORM cannot describe
@Index('users_created_at_id_idx', ['createdAt', 'id'])
export class UserEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'varchar', length: 320 })
  email!: string;

  @Column({ name: 'full_name', type: 'varchar', length: 200 })
  fullName!: string;

  @Column({ name: 'hashed_password', type: 'varchar', length: 100 })
  hashedPassword!: string;

  @Column({ name: 'is_active', type: 'boolean', default: true })
  isActive!: boolean;

  @Column({ name: 'is_superuser', type: 'boolean', default: false })
  isSuperuser!: boolean;

  @Column({ name: 'must_change_password', type: 'boolean', default: false })
  mustChangePassword!: boolean;

  @ManyToMany(() => RoleEntity, { eager: false })
  // the junction table (keys, foreign keys, index) is defined by the initial migration alone
  @JoinTable({
    name: 'user_roles',
    joinColumn: { name: 'user_id' },
    inverseJoinColumn: { name: 'role_name' },
    synchronize: false,
  })
  roles!: RoleEntity[];

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz', precision: 3 })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}

/** A user's role names, sorted: the one mapping from role rows to the vocabulary. */
export function roleNamesOf(user: Pick<UserEntity, 'roles'>): Role[] {
  return (user.roles ?? []).map((r) => r.name as Role).sort();
}
