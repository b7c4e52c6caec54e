import { adminSession, call, createUser, type Session } from './support/http.js';
import { suiteApps, type TestApp } from './support/test-app.js';

const PASSWORD = 'Confusable-Pass-2026';

describe('confusable emails (PostgreSQL)', () => {
  const suite = suiteApps();
  let t: TestApp;
  let admin: Session;
  const create = (email: string) =>
    call('POST', `${t.api}/users`, { email, full_name: 'Look Alike', password: PASSWORD }, { token: admin.token });

  beforeAll(async () => {
    t = await suite.start({ LOGIN_MAX_ATTEMPTS: '1000', RATE_LIMIT_CALLS: '100000' });
    admin = await adminSession(t.api);
  });

  it.each([
    ['Cyrillic а', '\u0430dmin@grupogad.com'],
    ['Greek ι', 'adm\u03b9n@grupogad.com'],
    ['a zero-width space', 'admin\u200b@grupogad.com'],
    ['a zero-width joiner', 'ad\u200dmin@grupogad.com'],
    ['a combining accent', 'admi\u0301n@grupogad.com'],
    ['a quoted local part', '"admin"@grupogad.com'],
    ['a control character', 'admin\u0007@grupogad.com'],
    ['a bidi override', '\u202eadmin@grupogad.com'],
  ])('refuses %s with 400 naming email', async (_name, email) => {
    const res = await create(email);
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toMatch(/problem\+json/);
    expect(res.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ field: 'email' })]));
  });

  it('folds fullwidth letters into the account they imitate: 409, not a second admin', async () => {
    const res = await create('ａｄｍｉｎ@grupogad.com');
    expect(res.status).toBe(409);
    const again = await create('ADMIN@GRUPOGAD.COM');
    expect(again.status).toBe(409);
  });

  it('checks uniqueness on the normalized form, on create and on update', async () => {
    const ana = await createUser(t.api, admin, { email: 'ana@example.com', password: PASSWORD });
    expect((await create('ａｎａ@ｅｘａｍｐｌｅ.ｃｏｍ')).status).toBe(409);
    const bob = await createUser(t.api, admin, { email: 'bob@example.com', password: PASSWORD });
    expect(
      (await call('PATCH', `${t.api}/users/${bob.id}`, { email: 'ＡＮＡ@example.com' }, { token: admin.token })).status,
    ).toBe(409);
    expect(
      (await call('PATCH', `${t.api}/users/${bob.id}`, { email: 'b\u200bob@example.com' }, { token: admin.token })).status,
    ).toBe(400);
    // signing in with the fullwidth spelling reaches the one account
    const signIn = await call('POST', `${t.api}/auth/login`, { email: 'ａｎａ@example.com', password: PASSWORD });
    expect(signIn.status).toBe(200);
    const me = await call('GET', `${t.api}/users/me`, undefined, { token: signIn.body.access_token });
    expect(me.body.id).toBe(ana.id);
  });

  it('stores an internationalized domain in its ASCII form', async () => {
    const res = await create('ana@bücher.example');
    expect(res.status).toBe(201);
    expect(res.body.email).toBe('ana@xn--bcher-kva.example');
  });
});
