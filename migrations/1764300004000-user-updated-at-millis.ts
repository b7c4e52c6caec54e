import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * users.updated_at kept to the millisecond, like created_at: from the same now(), created_at was rounded to the
 * millisecond and updated_at was not, so a new user could read as updated a millisecond before it was created.
 * The users table is rewritten once (it is the small one; the logs keep no updated_at).
 */
export class UserUpdatedAtMillis1764300004000 implements MigrationInterface {
  name = 'UserUpdatedAtMillis1764300004000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE users ALTER COLUMN updated_at TYPE timestamptz(3)`);
    // rows an earlier version wrote with updated_at rounded below created_at
    await q.query(`UPDATE users SET updated_at = created_at WHERE updated_at < created_at`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE users ALTER COLUMN updated_at TYPE timestamptz`);
  }
}
