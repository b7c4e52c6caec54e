import { createHmac } from 'node:crypto';
import { connect } from 'node:net';
import pg from 'pg';
import { DELETE_BATCH } from '@gad/database';
import { BCRYPT_QUEUE_LIMIT, BCRYPT_THREADS, PasswordService } from '@gad/users';
import { ADMIN_EMAIL, ADMIN_NEW_PASSWORD, call, createUser, login, type Session } from './support/http.js';
import { rawRequest } from './support/raw-http.js';
import { suiteApps, type TestApp } from './support/test-app.js';
import { TEST_ADMIN_PASSWORD, TEST_SECRET_KEY } from './support/test-env.js';

const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
function forge(payload: object, secret = TEST_SECRET_KEY, header: object = { alg: 'HS256', typ: 'JWT' }): string {
  const unsigned = `${b64(header)}.${b64(payload)}`;
  return `${unsigned}.${createHmac('sha256', secret).update(unsigned).digest('base64url')}`;
}
const decode = (token: string) => JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString());

describe('auth (PostgreSQL)', () => {
  const suite = suiteApps();
  let t: TestApp;
  let admin: Session;

  beforeAll(async () => {
    // no reuse grace here: a rotated token presented again is reuse at once (the grace has its own suite)
    t = await suite.start({ LOGIN_MAX_ATTEMPTS: '1000', RATE_LIMIT_CALLS: '100000', REFRESH_REUSE_GRACE_SECONDS: '0' });
  });

  describe('first admin', () => {
    it('is seeded, must change its password, and is held to that everywhere but /auth/* and GET /users/me', async () => {
      const first = await login(t.api, ADMIN_EMAIL, TEST_ADMIN_PASSWORD);
      const me = await call('GET', `${t.api}/users/me`, undefined, { token: first.token });
      expect(me.status).toBe(200);
      expect(me.body).toMatchObject({ email: ADMIN_EMAIL, is_superuser: true, must_change_password: true, roles: ['admin'] });
      expect(me.body).not.toHaveProperty('hashed_password');
      const blocked = await call('GET', `${t.api}/users`, undefined, { token: first.token });
      expect(blocked.status).toBe(403);
      expect(blocked.body.detail).toMatch(/change your password/);
      expect((await call('PATCH', `${t.api}/users/me`, { full_name: 'X' }, { token: first.token })).status).toBe(403);

      const weak = await call(
        'POST',
        `${t.api}/auth/change-password`,
        { current_password: TEST_ADMIN_PASSWORD, new_password: 'short' },
        { token: first.token },
      );
      expect(weak.status).toBe(400);
      expect(weak.body.errors).toEqual([{ field: 'new_password', message: expect.stringMatching(/at least 12 characters/) }]);
      const wrong = await call(
        'POST',
        `${t.api}/auth/change-password`,
        { current_password: 'not-it-at-all', new_password: ADMIN_NEW_PASSWORD },
        { token: first.token },
      );
      expect(wrong.status).toBe(401);

      const ok = await call(
        'POST',
        `${t.api}/auth/change-password`,
        { current_password: TEST_ADMIN_PASSWORD, new_password: ADMIN_NEW_PASSWORD },
        { token: first.token },
      );
      expect(ok.status).toBe(204);
      // the session that changed the password is kept
      const after = await call('GET', `${t.api}/users`, undefined, { token: first.token });
      expect(after.status).toBe(200);
      admin = first;
    });

    it('is not re-created or overwritten by a second seed', async () => {
      const { AdminSeedService } = await import('@gad/auth');
      expect(await t.app.get(AdminSeedService).seed()).toBe(false);
      expect((await call('POST', `${t.api}/auth/login`, { email: ADMIN_EMAIL, password: ADMIN_NEW_PASSWORD })).status).toBe(200);
    });
  });

  describe('login', () => {
    it('returns the token body, no-store, and HttpOnly SameSite=Strict cookies with the right paths', async () => {
      const res = await call('POST', `${t.api}/auth/login`, { email: 'ADMIN@grupogad.com', password: ADMIN_NEW_PASSWORD });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ access_token: expect.any(String), token_type: 'bearer', expires_in: 1800 });
      expect(res.headers.get('cache-control')).toBe('no-store');
      const access = res.setCookies.find((c) => c.startsWith('access_token='))!;
      const refresh = res.setCookies.find((c) => c.startsWith('refresh_token='))!;
      expect(access).toMatch(/Path=\/;/);
      expect(refresh).toMatch(/Path=\/api\/v1\/auth;/);
      for (const cookie of [access, refresh]) {
        expect(cookie).toMatch(/HttpOnly/);
        expect(cookie).toMatch(/SameSite=Strict/);
        expect(cookie).not.toMatch(/Secure/);
      }
    });

    it('issues the contract claims', async () => {
      const res = await call('POST', `${t.api}/auth/login`, { email: ADMIN_EMAIL, password: ADMIN_NEW_PASSWORD });
      const header = JSON.parse(Buffer.from(res.body.access_token.split('.')[0], 'base64url').toString());
      expect(header.alg).toBe('HS256');
      const claims = decode(res.body.access_token);
      expect(claims).toMatchObject({ email: ADMIN_EMAIL, roles: ['admin'], iss: 'GRUPO_GAD', aud: 'api' });
      expect(claims.exp - claims.iat).toBe(1800);
      for (const claim of ['sub', 'jti', 'sid']) expect(typeof claims[claim]).toBe('string');
    });

    it('accepts the OAuth2 password form', async () => {
      const res = await call('POST', `${t.api}/auth/login`, undefined, {
        form: { grant_type: 'password', username: ADMIN_EMAIL, password: ADMIN_NEW_PASSWORD, scope: '' },
      });
      expect(res.status).toBe(200);
      expect(res.body.token_type).toBe('bearer');
    });

    it('answers unknown email and wrong password identically', async () => {
      const unknown = await call(
        'POST',
        `${t.api}/auth/login`,
        { email: 'nobody@example.com', password: 'whatever-password' },
        { headers: { 'X-Request-Id': 'same' } },
      );
      const wrong = await call(
        'POST',
        `${t.api}/auth/login`,
        { email: ADMIN_EMAIL, password: 'wrong-password-here' },
        { headers: { 'X-Request-Id': 'same' } },
      );
      expect(unknown.status).toBe(401);
      expect(wrong.status).toBe(401);
      expect(unknown.body).toEqual(wrong.body);
    });

    it('refuses a password over 72 bytes with 400', async () => {
      const res = await call('POST', `${t.api}/auth/login`, { email: ADMIN_EMAIL, password: 'é'.repeat(37) });
      expect(res.status).toBe(400);
      expect(res.body.detail).toMatch(/72 bytes/);
    });

    it('checks email whenever it is sent, even beside username: 400, never a 500 or a sign-in as username', async () => {
      for (const email of [123, ['a@example.com'], { a: 1 }, 'not an email', null]) {
        const res = await call('POST', `${t.api}/auth/login`, { username: ADMIN_EMAIL, email, password: 'x' });
        expect(res.status).toBe(400);
        expect(res.body.errors).toEqual([expect.objectContaining({ field: 'email' })]);
      }
      expect((await call('POST', `${t.api}/auth/login`, { username: null, password: 'x' })).status).toBe(400);
    });

    it('answers 403 for an inactive user with the right password', async () => {
      const user = await createUser(t.api, admin, { email: 'inactive@example.com' });
      expect((await call('PATCH', `${t.api}/users/${user.id}`, { is_active: false }, { token: admin.token })).status).toBe(200);
      const res = await call('POST', `${t.api}/auth/login`, { email: user.email, password: user.password });
      expect(res.status).toBe(403);
      // and its earlier token stopped working at once
      expect((await call('GET', `${t.api}/users/me`, undefined, { token: user.session.token })).status).toBe(401);
    });

    it('throttles failed logins with 429 and Retry-After, even for the right password', async () => {
      const user = await createUser(t.api, admin, { email: 'bruteforce@example.com' });
      const strict = await suite.start({ LOGIN_MAX_ATTEMPTS: '3' });
      try {
        for (let i = 0; i < 3; i++) {
          expect(
            (await call('POST', `${strict.api}/auth/login`, { email: user.email, password: `wrong-guess-${i}` })).status,
          ).toBe(401);
        }
        const blocked = await call('POST', `${strict.api}/auth/login`, { email: user.email, password: user.password });
        expect(blocked.status).toBe(429);
        expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0);
        expect(blocked.headers.get('content-type')).toMatch(/problem\+json/);
      } finally {
        await strict.close();
      }
    });

    it('counts wrong current passwords on a password change like failed logins: 429, audited, then the right one is refused too', async () => {
      const strict = await suite.start({ LOGIN_MAX_ATTEMPTS: '3', RATE_LIMIT_CALLS: '100000' });
      try {
        const strictAdmin = await login(strict.api, ADMIN_EMAIL, ADMIN_NEW_PASSWORD);
        const user = await createUser(strict.api, strictAdmin, { email: 'guess-current@example.com' });
        const change = (current: string) =>
          call(
            'POST',
            `${strict.api}/auth/change-password`,
            { current_password: current, new_password: 'Guessed-New-Pass-2026' },
            { token: user.session.token },
          );
        for (let i = 0; i < 3; i++) expect((await change(`wrong-guess-${i}`)).status).toBe(401);
        const blocked = await change(user.password);
        expect(blocked.status).toBe(429);
        expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0);
        // the failures are in the audit trail
        const audit = await call('GET', `${strict.api}/audit?action=auth.password_change_failed&actor=${user.id}`, undefined, {
          token: strictAdmin.token,
        });
        expect(audit.body.items).toHaveLength(3);
      } finally {
        await strict.close();
      }
    });

    it('counts parallel guesses before checking them: at most LOGIN_MAX_ATTEMPTS get a password check', async () => {
      const user = await createUser(t.api, admin, { email: 'parallel@example.com' });
      const strict = await suite.start({ LOGIN_MAX_ATTEMPTS: '3', RATE_LIMIT_CALLS: '100000' });
      try {
        const guesses = await Promise.all(
          Array.from({ length: 20 }, (_, i) =>
            call('POST', `${strict.api}/auth/login`, { email: user.email, password: `parallel-guess-${i}` }),
          ),
        );
        const statuses = guesses.map((g) => g.status);
        expect(statuses.filter((s) => s === 401).length).toBeLessThanOrEqual(3);
        expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(17);
      } finally {
        await strict.close();
      }
    });

    it('refuses a NUL character or an unpaired surrogate in any body with 400, never a 500', async () => {
      for (const bad of ['{"email":"a@example.com","password":"a\\u0000b"}', '{"email":"a@example.com","password":"a\\ud800"}']) {
        const res = await call('POST', `${t.api}/auth/login`, bad);
        expect(res.status).toBe(400);
        expect(res.body.detail).toMatch(/NUL character or an unpaired UTF-16 surrogate/);
      }
    });

    it('refuses a body that is not UTF-8 with 400 instead of storing U+FFFD, and reads a character split between packets', async () => {
      const url = new URL(t.origin);
      const json = (bytes: Buffer) =>
        rawRequest(t.origin, {
          method: 'POST',
          path: '/api/v1/auth/login',
          headers: { 'Content-Type': 'application/json', 'Content-Length': String(bytes.length), Host: url.host },
          body: bytes,
        });
      for (const bad of [Buffer.from([0xe9]), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from([0xc0, 0xaf])]) {
        const body = Buffer.concat([Buffer.from('{"email":"jos'), bad, Buffer.from('@example.com","password":"x"}')]);
        const res = await json(body);
        expect(res.status).toBe(400);
        expect(JSON.parse(res.body.toString()).detail).toMatch(/not valid UTF-8/);
      }
      const form = await rawRequest(t.origin, {
        method: 'POST',
        path: '/api/v1/auth/login',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', Host: url.host },
        body: Buffer.concat([Buffer.from('username=a%40example.com&password=caf'), Buffer.from([0xe9])]),
      });
      expect(form.status).toBe(400);
      // "é" as two bytes in two writes: still one character, so an unknown account (401), not a 400
      const socket = connect(Number(url.port), url.hostname);
      let answer = '';
      socket.on('data', (chunk: Buffer) => (answer += chunk.toString()));
      const body = Buffer.from('{"email":"josé@example.com","password":"Some-Password-2026"}');
      const split = body.indexOf(0xc3) + 1;
      socket.write(
        `POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n`,
      );
      socket.write(body.subarray(0, split));
      await new Promise((resolve) => setTimeout(resolve, 50));
      socket.write(body.subarray(split)); // not end(): Node's server drops a request whose client half-closes
      await new Promise((resolve) => socket.once('close', resolve));
      expect(answer).toMatch(/^HTTP\/1\.1 401/);
    });

    it('keeps serving health while 20 logins hash', async () => {
      const logins = Array.from({ length: 20 }, () =>
        call('POST', `${t.api}/auth/login`, { email: ADMIN_EMAIL, password: ADMIN_NEW_PASSWORD }),
      );
      let loginsDone = 0;
      for (const l of logins) void l.then(() => (loginsDone += 1));
      const health = await call('GET', `${t.api}/health`);
      expect(health.status).toBe(200);
      expect(loginsDone).toBeLessThan(20);
      await Promise.all(logins);
    });
  });

  describe('access tokens', () => {
    let claims: Record<string, unknown>;
    beforeAll(() => {
      claims = decode(admin.token);
    });
    const status = async (token: string) => (await call('GET', `${t.api}/users/me`, undefined, { token })).status;

    it('accepts the genuine token, from the header or the access cookie, never from the query string', async () => {
      expect(await status(admin.token)).toBe(200);
      expect((await call('GET', `${t.api}/users/me`, undefined, { cookie: `access_token=${admin.token}` })).status).toBe(200);
      expect((await call('GET', `${t.api}/users/me?access_token=${admin.token}`)).status).toBe(401);
    });

    it.each([
      ['alg none', () => `${b64({ alg: 'none', typ: 'JWT' })}.${b64(claims)}.`],
      ['wrong secret', () => forge(claims, 'another-secret-another-secret-another-secret')],
      [
        'tampered payload',
        () => `${admin.token.split('.')[0]}.${b64({ ...claims, roles: ['admin', 'x'] })}.${admin.token.split('.')[2]}`,
      ],
      [
        'expired',
        () => forge({ ...claims, iat: Math.floor(Date.now() / 1000) - 7200, exp: Math.floor(Date.now() / 1000) - 3600 }),
      ],
      ['wrong aud', () => forge({ ...claims, aud: 'other' })],
      ['wrong iss', () => forge({ ...claims, iss: 'someone-else' })],
      ['missing sub', () => forge({ ...claims, sub: undefined })],
      ['missing exp', () => forge({ ...claims, exp: undefined })],
      [
        'iat in the future',
        () => forge({ ...claims, iat: Math.floor(Date.now() / 1000) + 3600, exp: Math.floor(Date.now() / 1000) + 7200 }),
      ],
      ['HS512', () => forge(claims, TEST_SECRET_KEY, { alg: 'HS512', typ: 'JWT' })],
      ['garbage', () => 'not.a.jwt'],
    ])('refuses %s with 401 problem+json', async (_name, make) => {
      const res = await call('GET', `${t.api}/users/me`, undefined, { token: make() });
      expect(res.status).toBe(401);
      expect(res.headers.get('content-type')).toMatch(/problem\+json/);
      expect(res.headers.get('www-authenticate')).toBe('Bearer error="invalid_token"');
    });

    it('refuses a missing token with 401', async () => {
      expect((await call('GET', `${t.api}/users/me`)).status).toBe(401);
    });

    it('refuses a token the moment it expires, though it was accepted (and remembered as verified) a second before', async () => {
      const now = Math.floor(Date.now() / 1000);
      const shortLived = forge({ ...claims, iat: now, exp: now + 2 });
      expect(await status(shortLived)).toBe(200);
      expect(await status(shortLived)).toBe(200);
      await new Promise((resolve) => setTimeout(resolve, (now + 2) * 1000 - Date.now() + 50));
      const res = await call('GET', `${t.api}/users/me`, undefined, { token: shortLived });
      expect(res.status).toBe(401);
      expect(res.body.detail).toBe('The access token has expired.');
    });
  });

  describe('sessions', () => {
    it('logout revokes the access token at once and clears cookies', async () => {
      const s = await login(t.api, ADMIN_EMAIL, ADMIN_NEW_PASSWORD);
      expect((await call('GET', `${t.api}/users/me`, undefined, { token: s.token })).status).toBe(200);
      const out = await call('POST', `${t.api}/auth/logout`, undefined, { token: s.token });
      expect(out.status).toBe(204);
      expect(out.setCookies.some((c) => /^access_token=;/.test(c))).toBe(true);
      expect(out.setCookies.some((c) => /^refresh_token=;.*Path=\/api\/v1\/auth/.test(c))).toBe(true);
      expect((await call('GET', `${t.api}/users/me`, undefined, { token: s.token })).status).toBe(401);
      expect((await call('POST', `${t.api}/auth/refresh`, undefined, { cookie: `refresh_token=${s.refresh}` })).status).toBe(401);
    });

    it('logout answers 204 when there is nothing to end', async () => {
      expect((await call('POST', `${t.api}/auth/logout`)).status).toBe(204);
      expect((await call('POST', `${t.api}/auth/logout`, undefined, { cookie: 'refresh_token=bogus' })).status).toBe(204);
    });

    it('refresh rotates the token; reusing a rotated one revokes the whole family', async () => {
      const s = await login(t.api, ADMIN_EMAIL, ADMIN_NEW_PASSWORD);
      const r1 = await call('POST', `${t.api}/auth/refresh`, undefined, { cookie: `refresh_token=${s.refresh}` });
      expect(r1.status).toBe(200);
      expect(r1.headers.get('cache-control')).toBe('no-store');
      const rotated = r1.cookies.refresh_token;
      expect(rotated).toBeDefined();
      expect(rotated).not.toBe(s.refresh);
      expect(decode(r1.body.access_token).sid).toBe(decode(s.token).sid);

      const reuse = await call('POST', `${t.api}/auth/refresh`, undefined, { cookie: `refresh_token=${s.refresh}` });
      expect(reuse.status).toBe(401);
      // the family is gone: the newest refresh token and every access token of the session
      expect((await call('POST', `${t.api}/auth/refresh`, undefined, { cookie: `refresh_token=${rotated}` })).status).toBe(401);
      expect((await call('GET', `${t.api}/users/me`, undefined, { token: r1.body.access_token })).status).toBe(401);
      const audit = await call('GET', `${t.api}/audit?action=auth.refresh_reuse&count=exact`, undefined, { token: admin.token });
      expect(audit.body.total).toBeGreaterThanOrEqual(1);
    });

    it('refresh without a cookie is 401', async () => {
      expect((await call('POST', `${t.api}/auth/refresh`)).status).toBe(401);
    });

    it("a password change revokes the user's other sessions", async () => {
      const user = await createUser(t.api, admin, { email: 'twosessions@example.com' });
      const other = await login(t.api, user.email, user.password);
      const res = await call(
        'POST',
        `${t.api}/auth/change-password`,
        { current_password: user.password, new_password: 'Brand-New-Pass-2026' },
        { token: user.session.token },
      );
      expect(res.status).toBe(204);
      expect((await call('GET', `${t.api}/users/me`, undefined, { token: user.session.token })).status).toBe(200);
      expect((await call('GET', `${t.api}/users/me`, undefined, { token: other.token })).status).toBe(401);
    });

    it('lets one of two simultaneous password changes win; the other is 401 and its password is never set', async () => {
      for (let round = 0; round < 3; round++) {
        const user = await createUser(t.api, admin, { email: `racing-changes-${round}@example.com` });
        const other = await login(t.api, user.email, user.password);
        const tries = [
          { session: user.session, next: `Racing-Change-A-${round}-2026` },
          { session: other, next: `Racing-Change-B-${round}-2026` },
        ];
        const answers = await Promise.all(
          tries.map(({ session, next }) =>
            call(
              'POST',
              `${t.api}/auth/change-password`,
              { current_password: user.password, new_password: next },
              { token: session.token },
            ),
          ),
        );
        expect(answers.map((a) => a.status).sort()).toEqual([204, 401]);
        const winner = tries[answers.findIndex((a) => a.status === 204)];
        const loser = tries[answers.findIndex((a) => a.status === 401)];
        expect((await call('POST', `${t.api}/auth/login`, { email: user.email, password: winner.next })).status).toBe(200);
        expect((await call('POST', `${t.api}/auth/login`, { email: user.email, password: loser.next })).status).toBe(401);
        expect((await call('GET', `${t.api}/users/me`, undefined, { token: winner.session.token })).status).toBe(200);
      }
    });
  });

  describe('retention', () => {
    it('revokes every session of a deactivated user, however many (70,000: more than one statement may bind)', async () => {
      const many = await createUser(t.api, admin, { email: 'many-sessions@example.com' });
      const client = new pg.Client({ connectionString: suite.databaseUrl });
      await client.connect();
      try {
        await client.query(
          `INSERT INTO sessions (user_id, expires_at, ip, user_agent)
           SELECT $1, now() + interval '1 day', '203.0.113.9', 'many' FROM generate_series(1, 70000)`,
          [many.id],
        );
        const res = await call('PATCH', `${t.api}/users/${many.id}`, { is_active: false }, { token: admin.token });
        expect(res.status).toBe(200);
        const live = await client.query(`SELECT count(*)::int AS n FROM sessions WHERE user_id = $1 AND revoked_at IS NULL`, [
          many.id,
        ]);
        expect(live.rows[0].n).toBe(0);
        expect((await call('GET', `${t.api}/users/me`, undefined, { token: many.session.token })).status).toBe(401);
      } finally {
        await client.end();
      }
    });

    it('purges sessions ended more than a day ago, with their refresh tokens', async () => {
      const s = await login(t.api, ADMIN_EMAIL, ADMIN_NEW_PASSWORD);
      const sid = decode(s.token).sid as string;
      await call('POST', `${t.api}/auth/logout`, undefined, { token: s.token });
      const client = new pg.Client({ connectionString: suite.databaseUrl });
      await client.connect();
      try {
        await client.query(`UPDATE sessions SET revoked_at = now() - interval '2 days' WHERE id = $1`, [sid]);
        const { SessionsRetentionService } = await import('@gad/auth');
        expect(await t.app.get(SessionsRetentionService).purge()).toBeGreaterThanOrEqual(1);
        expect((await client.query('SELECT count(*)::int AS n FROM sessions WHERE id = $1', [sid])).rows[0].n).toBe(0);
        expect((await client.query('SELECT count(*)::int AS n FROM refresh_tokens WHERE session_id = $1', [sid])).rows[0].n).toBe(
          0,
        );
      } finally {
        await client.end();
      }
    });
    it('purges a backlog larger than one batch, keeps live sessions, and counts the rows in a metric', async () => {
      const live = await login(t.api, ADMIN_EMAIL, ADMIN_NEW_PASSWORD);
      const client = new pg.Client({ connectionString: suite.databaseUrl });
      await client.connect();
      try {
        const backlog = DELETE_BATCH * 2 + 7;
        await client.query(
          `INSERT INTO sessions (user_id, expires_at, ip, user_agent)
           SELECT id, now() - interval '3 days', '203.0.113.1', 'backlog' FROM users, generate_series(1, $1) LIMIT $1`,
          [backlog],
        );
        const { SessionsRetentionService } = await import('@gad/auth');
        const { MetricsService } = await import('@gad/observability');
        const metric = async () =>
          ((await t.app.get(MetricsService).registry.getSingleMetric('retention_deleted_rows_total')?.get())?.values ?? [])
            .filter((v) => v.labels.table === 'sessions')
            .reduce((sum, v) => sum + v.value, 0);
        const before = await metric();
        const purged = await t.app.get(SessionsRetentionService).purge();
        expect(purged).toBeGreaterThanOrEqual(backlog);
        expect(await metric()).toBe(before + purged);
        expect((await client.query(`SELECT count(*)::int AS n FROM sessions WHERE user_agent = 'backlog'`)).rows[0].n).toBe(0);
        expect((await call('GET', `${t.api}/users/me`, undefined, { token: live.token })).status).toBe(200);
      } finally {
        await client.end();
      }
    });
  });

  describe('audit', () => {
    it('records logins, failures and password changes without secrets', async () => {
      for (const action of [
        'auth.login',
        'auth.login_failed',
        'auth.logout',
        'auth.password_changed',
        'user.created',
        'user.updated',
      ]) {
        const page = await call('GET', `${t.api}/audit?action=${action}&limit=1&count=exact`, undefined, { token: admin.token });
        expect(page.body.total).toBeGreaterThan(0);
        expect(page.body.items[0].action).toBe(action);
      }
      const res = await call('GET', `${t.api}/audit?limit=100`, undefined, { token: admin.token });
      expect(res.status).toBe(200);
      const text = JSON.stringify(res.body);
      expect(text).not.toMatch(/Admin-Changed-Pass|User-Pass-Strong|\$2[aby]\$/);
      expect(Object.keys(res.body.items[0]).sort()).toEqual([
        'action',
        'actor_id',
        'changes',
        'created_at',
        'id',
        'ip',
        'request_id',
        'target_id',
        'user_agent',
      ]);
      expect(res.body.items[0].created_at).toMatch(/Z$/);
    });

    it('is admin-only and validates its filters', async () => {
      const user = await createUser(t.api, admin, { email: 'auditreader@example.com' });
      expect((await call('GET', `${t.api}/audit`, undefined, { token: user.session.token })).status).toBe(403);
      expect((await call('GET', `${t.api}/audit?actor=not-a-uuid`, undefined, { token: admin.token })).status).toBe(400);
    });
  });
});

describe('sign-ins waiting for a password check (PostgreSQL, bcrypt cost 14)', () => {
  const suite = suiteApps();
  let t: TestApp;
  let passwords: PasswordService;
  const limits = { LOGIN_MAX_ATTEMPTS: '1000', LOGIN_MAX_ATTEMPTS_PER_ADDRESS: '1000', RATE_LIMIT_CALLS: '100000' };

  beforeAll(async () => {
    t = await suite.start({ ...limits, BCRYPT_ROUNDS: '14' }); // about a second a check: a line can form
    passwords = t.app.get(PasswordService);
  });

  async function until(condition: () => boolean, what: string): Promise<void> {
    for (const started = Date.now(); !condition(); await new Promise((resolve) => setTimeout(resolve, 5))) {
      if (Date.now() - started > 10_000) throw new Error(`timed out waiting for ${what}`);
    }
  }
  /** A wrong-password sign-in for the seeded admin (its hash has cost 14), cancellable by the client. */
  const signIn = (client = new AbortController()) => {
    const attempt = { client, answered: false, answer: Promise.resolve<number | string>(0) };
    attempt.answer = call(
      'POST',
      `${t.api}/auth/login`,
      { email: ADMIN_EMAIL, password: 'Not-The-Password-1' },
      { signal: client.signal },
    )
      .then(
        (res) => res.status,
        (error: Error) => error.name,
      )
      .finally(() => (attempt.answered = true));
    return attempt;
  };

  async function failedSignIns(): Promise<number> {
    const client = new pg.Client({ connectionString: suite.databaseUrl });
    await client.connect();
    try {
      const { rows } = await client.query("SELECT count(*)::int AS n FROM audit_logs WHERE action = 'auth.login_failed'");
      return rows[0].n;
    } finally {
      await client.end();
    }
  }

  it('never checks the password of a sign-in whose client left while it waited; the others are answered', async () => {
    expect((await call('POST', `${t.api}/auth/login`, { email: ADMIN_EMAIL, password: TEST_ADMIN_PASSWORD })).status).toBe(200);
    const failedBefore = await failedSignIns();
    const running = Array.from({ length: BCRYPT_THREADS }, () => signIn());
    await until(() => passwords.pending === BCRYPT_THREADS, 'the first checks');
    const leaving = signIn(); // behind them in line: first in, first out
    await until(() => passwords.pending === BCRYPT_THREADS + 1, 'the check that will be left');
    leaving.client.abort();
    expect(await leaving.answer).toBe('AbortError');
    expect(await Promise.all(running.map((r) => r.answer))).toEqual(running.map(() => 401));
    // queued behind the one that left: once this is answered, that one's turn has come and gone
    expect((await call('POST', `${t.api}/auth/login`, { email: ADMIN_EMAIL, password: TEST_ADMIN_PASSWORD })).status).toBe(200);
    expect(await failedSignIns()).toBe(failedBefore + BCRYPT_THREADS); // its password was never checked
  });

  it('answers 503 with Retry-After at once while BCRYPT_QUEUE_LIMIT checks wait, then serves again', async () => {
    const running = Array.from({ length: BCRYPT_THREADS }, () => signIn());
    await until(() => passwords.pending === BCRYPT_THREADS, 'the first checks');
    const everyone = new AbortController();
    const waiting = Array.from({ length: BCRYPT_QUEUE_LIMIT }, () => signIn(everyone));
    await until(() => passwords.pending === BCRYPT_THREADS + BCRYPT_QUEUE_LIMIT, 'a full line');

    // while the first checks run (about a second each at cost 14)
    const refused = await call('POST', `${t.api}/auth/login`, { email: ADMIN_EMAIL, password: 'Not-The-Password-1' });
    expect(refused.status).toBe(503);
    expect(refused.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(refused.headers.get('retry-after')).toBe('5');
    expect(refused.body.detail).toMatch(/Too many passwords are being checked/);
    const metrics = await (await fetch(`${t.origin}/metrics`)).text();
    expect(metrics).toMatch(new RegExp(`^password_checks_queued\\{[^}]*\\} ${BCRYPT_QUEUE_LIMIT}$`, 'm'));
    expect(metrics).toMatch(/^password_checks_refused_total\{[^}]*\} 1$/m);
    expect(running.some((r) => r.answered)).toBe(false); // all of that happened with the line full

    everyone.abort(); // their clients leave: each is skipped at its turn
    expect(new Set(await Promise.all(waiting.map((r) => r.answer)))).toEqual(new Set(['AbortError']));
    expect(await Promise.all(running.map((r) => r.answer))).toEqual(running.map(() => 401));
    await until(() => passwords.pending === 0, 'the line to empty');
    expect((await call('POST', `${t.api}/auth/login`, { email: ADMIN_EMAIL, password: TEST_ADMIN_PASSWORD })).status).toBe(200);
  });
});
