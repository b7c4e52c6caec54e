import pg from 'pg';
import { AdminSeedService } from '@gad/auth';
import { ADMIN_EMAIL, adminSession, call, login } from './support/http.js';
import { suiteApps } from './support/test-app.js';

const ENV = { LOGIN_MAX_ATTEMPTS: '1000', RATE_LIMIT_CALLS: '100000' };

describe('admin seed (PostgreSQL)', () => {
  const suite = suiteApps();
  /** One short-lived connection per query: the suite drops the database when it ends. */
  const db = {
    async query(sql: string, params: unknown[] = []) {
      const client = new pg.Client({ connectionString: suite.databaseUrl });
      await client.connect();
      try {
        return await client.query(sql, params);
      } finally {
        await client.end();
      }
    },
  };
  const superusers = async () =>
    (await db.query(`SELECT email FROM users WHERE is_superuser AND is_active ORDER BY email`)).rows.map(
      (r) => r.email as string,
    );
  const withAdminEmail = async () => (await db.query(`SELECT id FROM users WHERE email = $1`, [ADMIN_EMAIL])).rowCount;

  it('renamed, the seeded admin is not created again: neither by seed() nor at the next start', async () => {
    const first = await suite.start(ENV);
    const admin = await adminSession(first.api);
    const me = await call('GET', `${first.api}/users/me`, undefined, { token: admin.token });
    const renamed = await call(
      'PATCH',
      `${first.api}/users/${me.body.id}`,
      { email: 'boss@grupogad.com' },
      { token: admin.token },
    );
    expect(renamed.status).toBe(200);

    expect(await first.app.get(AdminSeedService).seed()).toBe(false);
    await first.close();
    const restarted = await suite.start(ENV); // boots, and seeds at bootstrap
    expect(restarted.app.get(AdminSeedService).created).toBe(false);
    expect(await withAdminEmail()).toBe(0);
    expect(await superusers()).toEqual(['boss@grupogad.com']);
    // ADMIN_PASSWORD opens nothing
    expect(
      (await call('POST', `${restarted.api}/auth/login`, { email: ADMIN_EMAIL, password: 'Admin-Initial-Pass-2026' })).status,
    ).toBe(401);
    await restarted.close();
  });

  it('deleted by another superuser, it is not created again either', async () => {
    const app = await suite.start(ENV);
    const boss = await login(app.api, 'boss@grupogad.com', 'Admin-Changed-Pass-2026!');
    const made = await call(
      'POST',
      `${app.api}/users`,
      { email: 'heir@grupogad.com', full_name: 'Heir', password: 'Heir-Strong-Pass-2026', is_superuser: true },
      { token: boss.token },
    );
    expect(made.status).toBe(201);
    const heir = await login(app.api, 'heir@grupogad.com', 'Heir-Strong-Pass-2026');
    const bossId = (await call('GET', `${app.api}/users/me`, undefined, { token: boss.token })).body.id;
    expect((await call('DELETE', `${app.api}/users/${bossId}`, undefined, { token: heir.token })).status).toBe(204);
    await app.close();

    const restarted = await suite.start(ENV);
    expect(restarted.app.get(AdminSeedService).created).toBe(false);
    expect(await withAdminEmail()).toBe(0);
    expect(await superusers()).toEqual(['heir@grupogad.com']);
    await restarted.close();
  });

  it('runs when no active superuser is left (say, deactivated in the database)', async () => {
    await db.query(`UPDATE users SET is_active = false WHERE is_superuser`);
    const app = await suite.start(ENV);
    expect(app.app.get(AdminSeedService).created).toBe(true);
    expect(await superusers()).toEqual([ADMIN_EMAIL]);
    await app.close();
  });
});
