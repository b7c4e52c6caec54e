import { ADMIN_EMAIL, ADMIN_NEW_PASSWORD, adminSession, call } from './support/http.js';
import { suiteApps, type TestApp } from './support/test-app.js';

const ALLOWED = 'https://app.example';
const EVIL = 'https://evil.example';

describe('Origin check on the cookie-setting routes (PostgreSQL)', () => {
  const suite = suiteApps();
  let t: TestApp;
  const form = { grant_type: 'password', username: ADMIN_EMAIL, password: ADMIN_NEW_PASSWORD };
  const loginWith = (headers: Record<string, string>) => call('POST', `${t.api}/auth/login`, undefined, { form, headers });

  beforeAll(async () => {
    t = await suite.start({ LOGIN_MAX_ATTEMPTS: '1000', RATE_LIMIT_CALLS: '100000', CORS_ALLOWED_ORIGINS: `["${ALLOWED}"]` });
    await adminSession(t.api);
  });

  it.each([
    ['a hostile Origin (form)', { Origin: EVIL }],
    ['a hostile Origin that merely starts like ours', { Origin: `${ALLOWED}.evil.example` }],
    ['Origin: null', { Origin: 'null' }],
    ['a hostile Referer without Origin', { Referer: `${EVIL}/login.html` }],
    ['an unparsable Referer', { Referer: 'not a url' }],
  ])('login refuses %s with 403 problem+json and sets no cookie', async (_name, headers) => {
    const res = await loginWith(headers);
    expect(res.status).toBe(403);
    expect(res.headers.get('content-type')).toMatch(/problem\+json/);
    expect(res.setCookies).toEqual([]);
  });

  it('login refuses a hostile Origin on JSON too', async () => {
    const res = await call(
      'POST',
      `${t.api}/auth/login`,
      { email: ADMIN_EMAIL, password: ADMIN_NEW_PASSWORD },
      { headers: { Origin: EVIL } },
    );
    expect(res.status).toBe(403);
  });

  it.each([
    ['this site', () => ({ Origin: t.origin })],
    ['a CORS_ALLOWED_ORIGINS origin', () => ({ Origin: ALLOWED })],
    ["this site's Referer", () => ({ Referer: `${t.origin}/dashboard` })],
    ['no Origin or Referer (not a browser)', () => ({})],
  ])('login accepts %s', async (_name, headers) => {
    const res = await loginWith(headers());
    expect(res.status).toBe(200);
    expect(res.cookies.refresh_token).toBeDefined();
  });

  it('refresh refuses a hostile Origin without spending the token', async () => {
    const session = await loginWith({});
    const cookie = `refresh_token=${session.cookies.refresh_token}`;
    const refused = await call('POST', `${t.api}/auth/refresh`, undefined, { cookie, headers: { Origin: EVIL } });
    expect(refused.status).toBe(403);
    expect(refused.setCookies).toEqual([]);
    const ok = await call('POST', `${t.api}/auth/refresh`, undefined, { cookie, headers: { Origin: t.origin } });
    expect(ok.status).toBe(200);
  });
});
