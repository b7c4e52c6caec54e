import { ADMIN_EMAIL, adminSession, call, login, type HttpResult, type Session } from './support/http.js';
import { suiteApps, type TestApp } from './support/test-app.js';

const sidOf = (token: string) => JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()).sid as string;
const GRACE_SECONDS = 2;

describe('concurrent refreshes of one token (PostgreSQL)', () => {
  const suite = suiteApps();
  let t: TestApp;
  let admin: Session;
  let password: string;

  const refresh = (token: string) => call('POST', `${t.api}/auth/refresh`, undefined, { cookie: `refresh_token=${token}` });
  const me = async (token: string) => (await call('GET', `${t.api}/users/me`, undefined, { token })).status;

  beforeAll(async () => {
    t = await suite.start({
      LOGIN_MAX_ATTEMPTS: '1000',
      RATE_LIMIT_CALLS: '100000',
      REFRESH_REUSE_GRACE_SECONDS: String(GRACE_SECONDS),
    });
    admin = await adminSession(t.api);
    password = 'Admin-Changed-Pass-2026!';
  });

  async function everyoneStaysSignedIn(concurrency: number): Promise<void> {
    const session = await login(t.api, ADMIN_EMAIL, password);
    const answers: HttpResult[] = await Promise.all(Array.from({ length: concurrency }, () => refresh(session.refresh)));
    expect(answers.map((a) => a.status)).toEqual(Array(concurrency).fill(200));
    for (const answer of answers) {
      // a fresh pair in the same session, usable: the access token and the new refresh token
      expect(sidOf(answer.body.access_token)).toBe(sidOf(session.token));
      expect(answer.cookies.refresh_token).toBeDefined();
      expect(answer.cookies.refresh_token).not.toBe(session.refresh);
      expect(await me(answer.body.access_token)).toBe(200);
    }
    for (const answer of answers) expect((await refresh(answer.cookies.refresh_token)).status).toBe(200);
    expect(await me(session.token)).toBe(200);
    const reuse = await call('GET', `${t.api}/audit?action=auth.refresh_reuse&limit=100`, undefined, { token: admin.token });
    expect(
      reuse.body.items.filter((i: { changes: { session_id: string } }) => i.changes.session_id === sidOf(session.token)),
    ).toEqual([]);
  }

  it('2 at once: both answered 200 with a working pair in the same session', () => everyoneStaysSignedIn(2));

  it('10 at once: all answered 200 with working pairs in the same session', () => everyoneStaysSignedIn(10));

  it('after the grace window, reuse still revokes the whole family', async () => {
    const session = await login(t.api, ADMIN_EMAIL, password);
    const rotated = await refresh(session.refresh);
    expect(rotated.status).toBe(200);
    // within the window: one more pair, same session
    const again = await refresh(session.refresh);
    expect(again.status).toBe(200);
    expect(sidOf(again.body.access_token)).toBe(sidOf(session.token));

    await new Promise((resolve) => setTimeout(resolve, GRACE_SECONDS * 1000 + 300));
    expect((await refresh(session.refresh)).status).toBe(401);
    for (const pair of [rotated, again]) {
      expect((await refresh(pair.cookies.refresh_token)).status).toBe(401);
      expect(await me(pair.body.access_token)).toBe(401);
    }
    const audit = await call('GET', `${t.api}/audit?action=auth.refresh_reuse&limit=100`, undefined, { token: admin.token });
    expect(audit.body.items.some((i: { changes: { session_id: string } }) => i.changes.session_id === sidOf(session.token))).toBe(
      true,
    );
  });
});
