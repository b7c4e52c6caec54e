import type { MigrationInterface, QueryRunner } from 'typeorm';

export class InitialSchema1764300000000 implements MigrationInterface {
  name = 'InitialSchema1764300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE users (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        email varchar(320) NOT NULL,
        full_name varchar(200) NOT NULL,
        hashed_password varchar(100) NOT NULL,
        is_active boolean NOT NULL DEFAULT true,
        is_superuser boolean NOT NULL DEFAULT false,
        must_change_password boolean NOT NULL DEFAULT false,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT users_email_lowercase CHECK (email = lower(email))
      )`);
    await q.query(`CREATE UNIQUE INDEX users_email_uq ON users (lower(email))`);
    await q.query(`CREATE INDEX users_created_at_id_idx ON users (created_at, id)`);

    await q.query(`
      CREATE TABLE roles (
        name varchar(32) PRIMARY KEY,
        description varchar(200) NOT NULL
      )`);
    await q.query(`
      INSERT INTO roles (name, description) VALUES
        ('admin', 'Manages users, sessions, cache and audit'),
        ('supervisor', 'Supervises operations'),
        ('operator', 'Day-to-day operation')`);
    await q.query(`
      CREATE TABLE user_roles (
        user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        role_name varchar(32) NOT NULL REFERENCES roles (name) ON DELETE CASCADE,
        PRIMARY KEY (user_id, role_name)
      )`);
    await q.query(`CREATE INDEX user_roles_role_idx ON user_roles (role_name)`);

    await q.query(`
      CREATE TABLE sessions (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        created_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NOT NULL,
        revoked_at timestamptz,
        revoked_reason varchar(64),
        ip varchar(64),
        user_agent varchar(512)
      )`);
    await q.query(`CREATE INDEX sessions_user_idx ON sessions (user_id)`);

    await q.query(`
      CREATE TABLE refresh_tokens (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        session_id uuid NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
        token_hash char(64) NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NOT NULL,
        used_at timestamptz
      )`);
    await q.query(`CREATE UNIQUE INDEX refresh_tokens_hash_uq ON refresh_tokens (token_hash)`);
    await q.query(`CREATE INDEX refresh_tokens_session_idx ON refresh_tokens (session_id)`);

    await q.query(`
      CREATE TABLE audit_logs (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        action varchar(64) NOT NULL,
        actor_id uuid,
        target_id uuid,
        ip varchar(64),
        user_agent varchar(512),
        request_id varchar(128),
        changes jsonb,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX audit_logs_created_at_id_idx ON audit_logs (created_at, id)`);
    await q.query(`CREATE INDEX audit_logs_actor_idx ON audit_logs (actor_id)`);
    await q.query(`CREATE INDEX audit_logs_action_idx ON audit_logs (action)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE audit_logs`);
    await q.query(`DROP TABLE refresh_tokens`);
    await q.query(`DROP TABLE sessions`);
    await q.query(`DROP TABLE user_roles`);
    await q.query(`DROP TABLE roles`);
    await q.query(`DROP TABLE users`);
  }
}
