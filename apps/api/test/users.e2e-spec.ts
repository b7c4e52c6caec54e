import { queryCounter } from '@gad/database';
import { adminSession, call, createUser, login, type Session } from './support/http.js';
import { suiteApps, type TestApp } from './support/test-app.js';
import { TEST_REDIS_URL } from './support/test-env.js';
import { randomBytes } from 'node:crypto';

describe('users (PostgreSQL)', () => {
  const suite = suiteApps();
  let t: TestApp;
  let admin: Session;

  beforeAll(async () => {
    t = await suite.start({ LOGIN_MAX_ATTEMPTS: '1000', RATE_LIMIT_CALLS: '100000' });
    admin = await adminSession(t.api);
  });

  it('runs the whole flow: create → sign in → read self → not others → admin patches → delete revokes', async () => {
    const ana = await createUser(t.api, admin, { email: 'Ana@Example.com', full_name: 'Ana', roles: ['operator'] });
    expect(ana.email).toBe('ana@example.com');
    const bob = await createUser(t.api, admin, { email: 'bob@example.com', full_name: 'Bob' });

    const me = await call('GET', `${t.api}/users/me`, undefined, { token: ana.session.token });
    expect(me.status).toBe(200);
    expect(me.body).toEqual({
      id: ana.id,
      email: 'ana@example.com',
      full_name: 'Ana',
      is_active: true,
      is_superuser: false,
      roles: ['operator'],
      must_change_password: false,
      created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT.*Z$/),
      updated_at: expect.stringMatching(/Z$/),
    });
    expect((await call('GET', `${t.api}/users/${ana.id}`, undefined, { token: ana.session.token })).status).toBe(200);

    // another user's id answers exactly like a missing one
    const other = await call('GET', `${t.api}/users/${bob.id}`, undefined, {
      token: ana.session.token,
      headers: { 'X-Request-Id': 'r' },
    });
    const missing = await call('GET', `${t.api}/users/00000000-0000-4000-8000-000000000000`, undefined, {
      token: ana.session.token,
      headers: { 'X-Request-Id': 'r' },
    });
    expect(other.status).toBe(404);
    expect({ ...other.body, instance: '' }).toEqual({ ...missing.body, instance: '' });

    expect((await call('GET', `${t.api}/users`, undefined, { token: ana.session.token })).status).toBe(403);
    expect(
      (
        await call(
          'POST',
          `${t.api}/users`,
          { email: 'x@example.com', full_name: 'X', password: 'Another-Strong-2026' },
          { token: ana.session.token },
        )
      ).status,
    ).toBe(403);

    const patched = await call(
      'PATCH',
      `${t.api}/users/${ana.id}`,
      { full_name: 'Ana María', roles: ['supervisor', 'operator'] },
      { token: admin.token },
    );
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ full_name: 'Ana María', roles: ['operator', 'supervisor'] });

    expect((await call('DELETE', `${t.api}/users/${ana.id}`, undefined, { token: admin.token })).status).toBe(204);
    expect((await call('GET', `${t.api}/users/me`, undefined, { token: ana.session.token })).status).toBe(401);
    expect(
      (await call('POST', `${t.api}/auth/refresh`, undefined, { cookie: `refresh_token=${ana.session.refresh}` })).status,
    ).toBe(401);
    expect((await call('DELETE', `${t.api}/users/${ana.id}`, undefined, { token: admin.token })).status).toBe(404);
    expect((await call('GET', `${t.api}/users/${ana.id}`, undefined, { token: admin.token })).status).toBe(404);
  });

  it('demoting a user takes effect on their next request', async () => {
    const sup = await createUser(t.api, admin, { email: 'promote@example.com', roles: ['admin'] });
    expect((await call('GET', `${t.api}/users`, undefined, { token: sup.session.token })).status).toBe(200);
    expect((await call('PATCH', `${t.api}/users/${sup.id}`, { roles: ['operator'] }, { token: admin.token })).status).toBe(200);
    expect((await call('GET', `${t.api}/users`, undefined, { token: sup.session.token })).status).toBe(403);
  });

  it('treats an id in capitals as the same user: demotion, deactivation and the self rules all apply', async () => {
    const upper = (id: string) => id.toUpperCase();
    const demoted = await createUser(t.api, admin, { email: 'capitals-demoted@example.com', roles: ['admin'] });
    expect((await call('GET', `${t.api}/users`, undefined, { token: demoted.session.token })).status).toBe(200);
    const patched = await call('PATCH', `${t.api}/users/${upper(demoted.id)}`, { roles: ['operator'] }, { token: admin.token });
    expect(patched.status).toBe(200);
    expect(patched.body.id).toBe(demoted.id);
    expect((await call('GET', `${t.api}/users`, undefined, { token: demoted.session.token })).status).toBe(403);

    const reader = await createUser(t.api, admin, { email: 'capitals-reader@example.com' });
    expect((await call('GET', `${t.api}/users/${upper(reader.id)}`, undefined, { token: admin.token })).body.is_active).toBe(
      true,
    );
    expect((await call('PATCH', `${t.api}/users/${upper(reader.id)}`, { is_active: false }, { token: admin.token })).status).toBe(
      200,
    );
    expect((await call('GET', `${t.api}/users/${reader.id}`, undefined, { token: admin.token })).body.is_active).toBe(false);
    expect((await call('GET', `${t.api}/users/${upper(reader.id)}`, undefined, { token: admin.token })).body.is_active).toBe(
      false,
    );
    expect((await call('GET', `${t.api}/users/me`, undefined, { token: reader.session.token })).status).toBe(401);

    const self = await createUser(t.api, admin, { email: 'capitals-self@example.com', roles: ['admin'] });
    const own = `${t.api}/users/${upper(self.id)}`;
    expect((await call('GET', own, undefined, { token: self.session.token })).status).toBe(200);
    expect((await call('PATCH', own, { roles: ['operator'] }, { token: self.session.token })).status).toBe(403);
    expect((await call('PATCH', own, { is_active: false }, { token: self.session.token })).status).toBe(403);
    expect((await call('DELETE', own, undefined, { token: self.session.token })).status).toBe(403);

    const deleted = await createUser(t.api, admin, { email: 'capitals-deleted@example.com' });
    expect((await call('GET', `${t.api}/users/me`, undefined, { token: deleted.session.token })).status).toBe(200);
    expect((await call('DELETE', `${t.api}/users/${upper(deleted.id)}`, undefined, { token: admin.token })).status).toBe(204);
    expect((await call('GET', `${t.api}/users/me`, undefined, { token: deleted.session.token })).status).toBe(401);
  });

  it('lets a user change only their own full_name through /users/me', async () => {
    const u = await createUser(t.api, admin, { email: 'selfedit@example.com' });
    const ok = await call('PATCH', `${t.api}/users/me`, { full_name: '  Zoë Ångström  ' }, { token: u.session.token });
    expect(ok.status).toBe(200);
    expect(ok.body.full_name).toBe('Zoë Ångström');
    const sneaky = await call('PATCH', `${t.api}/users/me`, { full_name: 'x', is_superuser: true }, { token: u.session.token });
    expect(sneaky.status).toBe(400);
    expect(sneaky.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ field: 'is_superuser' })]));
    expect((await call('PATCH', `${t.api}/users/me`, { full_name: '' }, { token: u.session.token })).status).toBe(400);
    expect((await call('PATCH', `${t.api}/users/me`, { full_name: 'x'.repeat(201) }, { token: u.session.token })).status).toBe(
      400,
    );
  });

  it('serves an edit made through one instance from every other at once, memory copies included', async () => {
    const shared = {
      REDIS_URL: TEST_REDIS_URL,
      PROJECT_NAME: `users_${randomBytes(4).toString('hex')}`,
      RATE_LIMIT_CALLS: '100000',
    };
    const [a, b] = [await suite.start(shared), await suite.start(shared)];
    const u = await createUser(a.api, await adminSession(a.api), { email: 'twoinstances@example.com' });
    const readOnB = async () => (await call('GET', `${b.api}/users/me`, undefined, { token: u.session.token })).body.full_name;
    const before = await readOnB();
    expect(await readOnB()).toBe(before); // now in B's memory
    expect((await call('PATCH', `${a.api}/users/me`, { full_name: 'Edited On A' }, { token: u.session.token })).status).toBe(200);
    expect(await readOnB()).toBe('Edited On A');
  });

  it.each(["O'Brien", "Robert'); DROP TABLE users;--", '<script>alert(1)</script>', '王小明', 'مريم'])(
    'stores and returns %s verbatim',
    async (name) => {
      const res = await call(
        'POST',
        `${t.api}/users`,
        {
          email: `n${Buffer.from(name).toString('hex').slice(0, 20)}@example.com`,
          full_name: name,
          password: 'Verbatim-Name-2026',
        },
        { token: admin.token },
      );
      expect(res.status).toBe(201);
      expect(res.body.full_name).toBe(name);
      expect((await call('GET', `${t.api}/users/${res.body.id}`, undefined, { token: admin.token })).body.full_name).toBe(name);
    },
  );

  it('refuses a duplicate email in any case with 409', async () => {
    await createUser(t.api, admin, { email: 'dup@example.com' });
    const res = await call(
      'POST',
      `${t.api}/users`,
      { email: 'DUP@Example.COM', full_name: 'Dup', password: 'Duplicate-Pass-2026' },
      { token: admin.token },
    );
    expect(res.status).toBe(409);
    expect(res.headers.get('content-type')).toMatch(/problem\+json/);
    const other = await createUser(t.api, admin, { email: 'dup2@example.com' });
    expect((await call('PATCH', `${t.api}/users/${other.id}`, { email: 'Dup@example.com' }, { token: admin.token })).status).toBe(
      409,
    );
  });

  it.each([
    ['short', /at least 12 characters/],
    ['weakpass@example.com', /same as the email/],
    ['password1234', /too common/],
    ['a'.repeat(73), /72 bytes/],
  ])('refuses the weak password %s with 400 naming the rule', async (password, rule) => {
    const res = await call(
      'POST',
      `${t.api}/users`,
      { email: 'weakpass@example.com', full_name: 'W', password },
      { token: admin.token },
    );
    expect(res.status).toBe(400);
    expect(res.body.detail).toMatch(rule);
    expect(res.body.errors[0]).toEqual({ field: 'password', message: expect.stringMatching(rule) });
  });

  it('validates bodies: unknown fields, bad email, bad roles, wrong types → 400 with field errors', async () => {
    const cases = [
      { email: 'a@example.com', full_name: 'A', password: 'Valid-Password-2026', admin: true },
      { email: 'not-an-email', full_name: 'A', password: 'Valid-Password-2026' },
      { email: 'b@example.com', full_name: 'A', password: 'Valid-Password-2026', roles: ['god'] },
      { email: 'c@example.com', full_name: 123, password: 'Valid-Password-2026' },
      { email: 'd@example.com', full_name: 'A', password: 'Valid-Password-2026', is_active: 'yes' },
    ];
    for (const body of cases) {
      const res = await call('POST', `${t.api}/users`, body, { token: admin.token });
      expect(res.status).toBe(400);
      expect(res.body.errors.length).toBeGreaterThan(0);
    }
    expect((await call('GET', `${t.api}/users/not-a-uuid`, undefined, { token: admin.token })).status).toBe(400);
  });

  it('names, for each field, the first rule it breaks in the order the DTO states them (the type before the bounds)', async () => {
    const res = await call(
      'POST',
      `${t.api}/users`,
      { email: 'x', full_name: 123, password: 7, roles: 'admin', is_active: 'yes' },
      { token: admin.token },
    );
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual(
      expect.arrayContaining([
        { field: 'email', message: 'email must be a valid email address' },
        { field: 'full_name', message: 'full_name must be a string' },
        { field: 'password', message: 'password must be a string' },
        { field: 'roles', message: 'roles must be an array' },
        { field: 'is_active', message: 'is_active must be a boolean value' },
      ]),
    );
    expect(res.body.errors).toHaveLength(5);
    const me = await call('PATCH', `${t.api}/users/me`, { full_name: ['Ana'] }, { token: admin.token });
    expect(me.body.errors).toEqual([{ field: 'full_name', message: 'full_name must be a string' }]);
  });

  it('refuses __proto__ and constructor keys with 400 like any unknown field, and changes nothing', async () => {
    const target = await createUser(t.api, admin, { email: 'proto-keys@example.com', full_name: 'Before' });
    const bodies = [
      '{"full_name":"After","__proto__":{"is_superuser":true}}',
      '{"full_name":"After","constructor":{"prototype":{"is_superuser":true}}}',
      '{"full_name":"After","constructor":1}',
      '{"full_name":"After","prototype":1}',
    ];
    for (const body of bodies) {
      const res = await call('PATCH', `${t.api}/users/${target.id}`, body, { token: admin.token });
      expect({ body, status: res.status }).toEqual({ body, status: 400 });
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(res.body.detail).toMatch(/__proto__|constructor|prototype/);
    }
    // and in a query string, where the list would otherwise answer as if the key were not there
    for (const query of ['constructor=1', 'prototype=1', '__proto__=1', 'limit=5&constructor=x']) {
      const res = await call('GET', `${t.api}/users?${query}`, undefined, { token: admin.token });
      expect({ query, status: res.status }).toEqual({ query, status: 400 });
    }
    // the OAuth2 form, with the right password: only the extra key is wrong
    for (const key of ['__proto__', 'constructor']) {
      const form = `username=proto-keys%40example.com&password=${target.password}&${key}=x`;
      const res = await call('POST', `${t.api}/auth/login`, form, {
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      });
      expect({ key, status: res.status }).toEqual({ key, status: 400 });
    }
    // and, like JSON, no text the database could not store
    const nul = await call('POST', `${t.api}/auth/login`, `username=proto-keys%40example.com&password=a%00b`, {
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    });
    expect(nul.status).toBe(400);
    expect(nul.body.detail).toMatch(/NUL character/);
    const after = await call('GET', `${t.api}/users/${target.id}`, undefined, { token: admin.token });
    expect(after.body).toMatchObject({ full_name: 'Before', is_superuser: false });
  });

  it('never shows a user updated before it was created, and moves updated_at on a change of roles alone', async () => {
    // created_at was kept to the millisecond and updated_at was not: about half of new users read 1 ms apart
    const created = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        call(
          'POST',
          `${t.api}/users`,
          { email: `stamps${i}@example.com`, full_name: 'S', password: 'Valid-Password-2026' },
          { token: admin.token },
        ),
      ),
    );
    for (const res of created) {
      expect(res.status).toBe(201);
      expect(res.body.updated_at).toBe(res.body.created_at);
    }
    const target = created[0].body;
    await new Promise((resolve) => setTimeout(resolve, 5));
    const promoted = await call('PATCH', `${t.api}/users/${target.id}`, { roles: ['supervisor'] }, { token: admin.token });
    expect(promoted.status).toBe(200);
    expect(Date.parse(promoted.body.updated_at)).toBeGreaterThan(Date.parse(target.updated_at));
    // the same set again changes nothing, so updated_at stays
    const same = await call('PATCH', `${t.api}/users/${target.id}`, { roles: ['supervisor'] }, { token: admin.token });
    expect(same.body.updated_at).toBe(promoted.body.updated_at);
  });

  it('refuses null for any field of a user with 400 and changes nothing (null is not "left out")', async () => {
    const target = await createUser(t.api, admin, { email: 'nulls@example.com', roles: ['supervisor'] });
    for (const field of ['email', 'full_name', 'password', 'is_active', 'is_superuser', 'roles']) {
      const res = await call('PATCH', `${t.api}/users/${target.id}`, { [field]: null }, { token: admin.token });
      expect({ field, status: res.status }).toEqual({ field, status: 400 });
      expect(res.body.errors).toEqual([expect.objectContaining({ field })]);
      const create = { email: `nulls-${field}@example.com`, full_name: 'N', password: 'Valid-Password-2026', [field]: null };
      expect({ field, status: (await call('POST', `${t.api}/users`, create, { token: admin.token })).status }).toEqual({
        field,
        status: 400,
      });
    }
    const after = await call('GET', `${t.api}/users/${target.id}`, undefined, { token: admin.token });
    expect(after.body).toMatchObject({ email: 'nulls@example.com', is_active: true, is_superuser: false, roles: ['supervisor'] });
    // a non-superuser admin could wipe their own roles with null, past the "own admin rights" rule
    const self = await createUser(t.api, admin, { email: 'nulls-self@example.com', roles: ['admin'] });
    expect((await call('PATCH', `${t.api}/users/${self.id}`, { roles: null }, { token: self.session.token })).status).toBe(400);
    expect((await call('GET', `${t.api}/users`, undefined, { token: self.session.token })).status).toBe(200);
  });

  it('applies concurrent role changes one after the other: the last one wins, none answers 409', async () => {
    const target = await createUser(t.api, admin, { email: 'concurrent-roles@example.com', roles: ['operator'] });
    const sets: Array<Array<'admin' | 'supervisor' | 'operator'>> = [
      ['supervisor'],
      ['admin'],
      ['operator'],
      ['admin', 'operator'],
      [],
    ];
    for (let round = 0; round < 3; round++) {
      const answers = await Promise.all(
        sets.map((roles) => call('PATCH', `${t.api}/users/${target.id}`, { roles }, { token: admin.token })),
      );
      expect(answers.map((a) => a.status)).toEqual(sets.map(() => 200));
      // each answer shows the roles it asked for, and the stored set is one of the sets asked for, never a union
      answers.forEach((a, i) => expect([...a.body.roles].sort()).toEqual([...sets[i]].sort()));
      const stored = await call('GET', `${t.api}/users/${target.id}`, undefined, { token: admin.token });
      expect(sets.map((roles) => [...roles].sort().join())).toContain([...stored.body.roles].sort().join());
    }
  });

  it('lists in created_at, id order with total, skip and limit bounds', async () => {
    for (let i = 0; i < 3; i++) await createUser(t.api, admin, { email: `list${i}@example.com` });
    const all = await call('GET', `${t.api}/users?skip=0`, undefined, { token: admin.token });
    expect(all.status).toBe(200);
    expect(all.body).toMatchObject({ skip: 0, limit: 100, total: all.body.items.length, next_cursor: null });
    const stamps = all.body.items.map((u: { created_at: string; id: string }) => `${u.created_at}|${u.id}`);
    expect(stamps).toEqual([...stamps].sort());
    const page = await call('GET', `${t.api}/users?skip=1&limit=2`, undefined, { token: admin.token });
    expect(page.body.items.map((u: { id: string }) => u.id)).toEqual(all.body.items.slice(1, 3).map((u: { id: string }) => u.id));
    expect(page.body).toMatchObject({ skip: 1, limit: 2, total: all.body.total });
    for (const query of ['limit=0', 'limit=101', 'skip=-1', 'limit=abc', 'skip=1.5', 'skip=1e20', 'skip=9223372036854775808']) {
      expect((await call('GET', `${t.api}/users?${query}`, undefined, { token: admin.token })).status).toBe(400);
    }
  });

  it('reads who is calling in one SQL statement when cold (session, user and roles together), and none when warm', async () => {
    const u = await createUser(t.api, admin, { email: 'cold@example.com' });
    const before = queryCounter.total;
    expect((await call('GET', `${t.api}/users/me`, undefined, { token: u.session.token })).body.email).toBe('cold@example.com');
    expect(queryCounter.total - before).toBe(1);
    const warm = queryCounter.total;
    expect((await call('GET', `${t.api}/users/me`, undefined, { token: u.session.token })).status).toBe(200);
    expect(queryCounter.total - warm).toBe(0);
  });

  it('signs in with four statements: the user read, then the session, its refresh token and the audit row, one insert each', async () => {
    const u = await createUser(t.api, admin, { email: 'four-statements@example.com' });
    const before = queryCounter.total;
    await login(t.api, u.email, u.password);
    expect(queryCounter.total - before).toBe(4); // a transaction around a one-row insert would add two each
  });

  it('serves a signed-in read with no database round trip once the cache is warm', async () => {
    const u = await createUser(t.api, admin, { email: 'warm@example.com' });
    for (let i = 0; i < 2; i++)
      expect((await call('GET', `${t.api}/users/me`, undefined, { token: u.session.token })).status).toBe(200);
    const before = queryCounter.total;
    for (let i = 0; i < 10; i++)
      expect((await call('GET', `${t.api}/users/me`, undefined, { token: u.session.token })).status).toBe(200);
    expect(queryCounter.total - before).toBe(0);
    // and revocation still takes effect at once
    expect((await call('POST', `${t.api}/auth/logout`, undefined, { token: u.session.token })).status).toBe(204);
    expect((await call('GET', `${t.api}/users/me`, undefined, { token: u.session.token })).status).toBe(401);
  });

  it('lists users with their roles in a constant number of queries (no N+1)', async () => {
    for (let i = 0; i < 12; i++)
      await createUser(t.api, admin, { email: `nplus${i}@example.com`, roles: ['operator', 'supervisor'] });
    const queriesFor = async (limit: number) => {
      const before = queryCounter.total;
      const res = await call('GET', `${t.api}/users?limit=${limit}`, undefined, { token: admin.token });
      expect(res.status).toBe(200);
      expect(res.body.items.length).toBe(limit);
      return queryCounter.total - before;
    };
    await queriesFor(2); // warm the admin's principal
    expect(await queriesFor(2)).toBe(await queriesFor(12));
  });

  it('refuses to let an admin delete or deactivate themselves', async () => {
    const me = await call('GET', `${t.api}/users/me`, undefined, { token: admin.token });
    expect((await call('DELETE', `${t.api}/users/${me.body.id}`, undefined, { token: admin.token })).status).toBe(403);
    expect((await call('PATCH', `${t.api}/users/${me.body.id}`, { is_active: false }, { token: admin.token })).status).toBe(403);
  });

  it('records user changes in the audit trail without password values', async () => {
    const u = await createUser(t.api, admin, { email: 'audited@example.com' });
    await call(
      'PATCH',
      `${t.api}/users/${u.id}`,
      { password: 'Rotated-Password-2026', full_name: 'Audited' },
      { token: admin.token },
    );
    const res = await call('GET', `${t.api}/audit?action=user.updated&limit=5`, undefined, { token: admin.token });
    const entry = res.body.items.find((i: { target_id: string }) => i.target_id === u.id);
    expect(entry.changes).toEqual({ full_name: 'Audited', password: '[changed]', must_change_password: true });
    expect(JSON.stringify(res.body)).not.toMatch(/Rotated-Password/);
    // the password change revoked the user's sessions
    expect((await call('GET', `${t.api}/users/me`, undefined, { token: u.session.token })).status).toBe(401);
    await login(t.api, u.email, 'Rotated-Password-2026');
  });
});
