import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { adminSession, call, createUser, login, type HttpResult, type Session } from './support/http.js';
import { suiteApps, type TestApp } from './support/test-app.js';

const unique = (name: string) => `${name}-${randomBytes(4).toString('hex')}@example.com`;
const PASSWORD = 'Privilege-Pass-2026';

interface Account {
  id: string;
  email: string;
  session: Session;
}

describe('privilege rules (PostgreSQL)', () => {
  const suite = suiteApps();
  let t: TestApp;
  let root: Session; // the seeded superuser
  let rootId: string;

  const as = (who: Session) => ({
    patch: (id: string, body: object) => call('PATCH', `${t.api}/users/${id}`, body, { token: who.token }),
    create: (body: object) =>
      call('POST', `${t.api}/users`, { full_name: 'Made', password: PASSWORD, ...body }, { token: who.token }),
    remove: (id: string) => call('DELETE', `${t.api}/users/${id}`, undefined, { token: who.token }),
  });
  const read = async (id: string) => (await call('GET', `${t.api}/users/${id}`, undefined, { token: root.token })).body;

  async function superuser(name: string): Promise<Account> {
    const email = unique(name);
    const res = await as(root).create({ email, is_superuser: true, roles: [] });
    expect(res.status).toBe(201);
    return { id: res.body.id, email, session: await login(t.api, email, PASSWORD) };
  }
  const admin = (name: string) => createUser(t.api, root, { email: unique(name), password: PASSWORD, roles: ['admin'] });
  const operator = (name: string) => createUser(t.api, root, { email: unique(name), password: PASSWORD, roles: ['operator'] });

  async function expectRefused(res: HttpResult, reason: RegExp): Promise<void> {
    expect(res.status).toBe(403);
    expect(res.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect(res.body.detail).toMatch(reason);
  }

  beforeAll(async () => {
    t = await suite.start({ LOGIN_MAX_ATTEMPTS: '1000', RATE_LIMIT_CALLS: '100000' });
    root = await adminSession(t.api);
    rootId = (await call('GET', `${t.api}/users/me`, undefined, { token: root.token })).body.id;
  });

  describe('an admin who is not a superuser', () => {
    let plain: Account;
    let su: Account;
    let op: Account;
    beforeAll(async () => {
      plain = await admin('plain-admin');
      su = await superuser('target-su');
      op = await operator('op');
    });

    it('cannot create a superuser', async () => {
      await expectRefused(await as(plain.session).create({ email: unique('made-su'), is_superuser: true }), /Only a superuser/);
    });

    it('cannot make itself or anyone else a superuser', async () => {
      await expectRefused(await as(plain.session).patch(plain.id, { is_superuser: true }), /Only a superuser/);
      await expectRefused(await as(plain.session).patch(op.id, { is_superuser: true }), /Only a superuser/);
      expect((await read(plain.id)).is_superuser).toBe(false);
      expect((await read(op.id)).is_superuser).toBe(false);
    });

    it.each([
      ['password', { password: 'Taken-Over-Pass-2026' }],
      ['email', { email: 'stolen@example.com' }],
      ['full_name', { full_name: 'Renamed' }],
      ['roles', { roles: [] }],
      ['is_active', { is_active: false }],
      ['is_superuser', { is_superuser: false }],
      ['everything at once', { is_superuser: false, roles: ['operator'], is_active: false, email: 'all@example.com' }],
    ])("cannot change a superuser's %s, nor delete one", async (_field, body) => {
      const before = await read(su.id);
      await expectRefused(await as(plain.session).patch(su.id, body), /Only a superuser/);
      expect(await read(su.id)).toEqual(before);
      await expectRefused(await as(plain.session).remove(su.id), /Only a superuser/);
      // the superuser's sessions were not touched either
      expect((await call('GET', `${t.api}/users/me`, undefined, { token: su.session.token })).status).toBe(200);
    });

    it('still manages ordinary accounts', async () => {
      expect((await as(plain.session).patch(op.id, { full_name: 'Still Mine', roles: ['supervisor'] })).status).toBe(200);
      expect((await as(plain.session).create({ email: unique('plain-made') })).status).toBe(201);
    });

    it.each([
      ['roles: []', { roles: [] }],
      ['roles without admin', { roles: ['operator', 'supervisor'] }],
      ['is_active: false', { is_active: false }],
      ['roles and is_active together', { roles: ['operator'], is_active: false }],
    ])('cannot remove its own admin right (%s)', async (_name, body) => {
      await expectRefused(await as(plain.session).patch(plain.id, body), /your own admin rights/);
      expect(await read(plain.id)).toMatchObject({ roles: ['admin'], is_active: true });
    });

    it('cannot delete itself, and may change its own name and add roles', async () => {
      await expectRefused(await as(plain.session).remove(plain.id), /your own admin rights/);
      expect((await as(plain.session).patch(plain.id, { full_name: 'Me', roles: ['admin', 'supervisor'] })).status).toBe(200);
    });
  });

  describe('a superuser', () => {
    it('may create superusers and grant or revoke the flag', async () => {
      const su = await superuser('granting-su');
      const other = await admin('to-promote');
      expect((await as(su.session).patch(other.id, { is_superuser: true })).body.is_superuser).toBe(true);
      expect((await as(su.session).patch(other.id, { is_superuser: false })).body.is_superuser).toBe(false);
      const another = await superuser('another-su');
      expect((await as(su.session).patch(another.id, { password: 'Reset-By-Super-2026', full_name: 'Reset' })).status).toBe(200);
    });

    it.each([
      ['is_superuser and roles in one request', { is_superuser: false, roles: ['operator'] }],
      ['is_superuser with no roles', { is_superuser: false }],
      ['is_active', { is_active: false }],
    ])('cannot drop its own last admin right: %s', async (_name, body) => {
      const su = await superuser('self-su'); // roles: [] — the flag is its only admin right
      await expectRefused(await as(su.session).patch(su.id, body), /your own admin rights/);
      expect(await read(su.id)).toMatchObject({ is_superuser: true, is_active: true });
    });

    it('may drop one of two admin rights (the flag, keeping the admin role) while another superuser remains', async () => {
      const su = await superuser('keeps-role');
      expect((await as(su.session).patch(su.id, { roles: ['admin'] })).status).toBe(200);
      const res = await as(su.session).patch(su.id, { is_superuser: false });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ is_superuser: false, roles: ['admin'] });
    });
  });

  describe('the last active superuser', () => {
    it('cannot be demoted, deactivated or deleted; concurrent self-demotions leave one', async () => {
      const client = new pg.Client({ connectionString: suite.databaseUrl });
      await client.connect();
      try {
        // only root and one other superuser remain, each with the admin role (so the self rule passes)
        await client.query(`UPDATE users SET is_superuser = false WHERE is_superuser AND id <> $1`, [rootId]);
        const second = await superuser('second-su');
        await as(root).patch(second.id, { roles: ['admin'] });

        // both demote themselves at once: the superuser lock queues them, exactly one wins
        const [a, b] = await Promise.all([
          as(root).patch(rootId, { is_superuser: false }),
          as(second.session).patch(second.id, { is_superuser: false }),
        ]);
        expect([a.status, b.status].sort()).toEqual([200, 403]);
        const loser = a.status === 403 ? a : b;
        expect(loser.body.detail).toMatch(/at least one active superuser/);
        const left = await client.query(`SELECT id FROM users WHERE is_superuser AND is_active`);
        expect(left.rowCount).toBe(1);

        // the one left, who only a superuser may touch, can neither demote, deactivate nor delete itself
        const last = left.rows[0].id === rootId ? root : second.session;
        const lastId = left.rows[0].id as string;
        await expectRefused(await as(last).patch(lastId, { is_superuser: false }), /at least one active superuser/);
        await expectRefused(await as(last).patch(lastId, { is_active: false }), /your own admin rights/);
        expect((await client.query(`SELECT count(*)::int AS n FROM users WHERE is_superuser AND is_active`)).rows[0].n).toBe(1);
      } finally {
        await client.end();
      }
    });
  });

  it('audits every refusal (reason and fields, never values)', async () => {
    const res = await call('GET', `${t.api}/audit?action=user.change_refused&limit=100`, undefined, { token: root.token });
    expect(res.status).toBe(200);
    const reasons = new Set(res.body.items.map((i: { changes: { reason: string } }) => i.changes.reason));
    expect([...reasons].sort()).toEqual(['last_superuser', 'own_admin_rights', 'superuser_only']);
    expect(res.body.items.length).toBeGreaterThanOrEqual(20);
    expect(JSON.stringify(res.body)).not.toMatch(/Taken-Over-Pass|stolen@example\.com/);
    expect(res.body.items[0].changes.fields).toEqual(expect.any(Array));
    // the fields the refused body carried, not every field the body type declares
    const fieldLists = res.body.items.map((i: { changes: { fields: string[] } }) => i.changes.fields.join());
    expect(fieldLists).toContain('is_superuser');
    expect(fieldLists).toContain('is_active');
  });
});
