import { createHmac, randomUUID } from 'node:crypto';
import { createThrowawayDatabase, type ThrowawayDatabase } from './support/databases.js';
import { adminSession, call, type Session } from './support/http.js';
import { ServerProcess } from './support/server-process.js';
import { closeAll, dashboardSocket, refused } from './support/socket-client.js';
import { TEST_SECRET_KEY } from './support/test-env.js';

const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
/** Signed with the server's real key: only the claims are wrong. */
function sign(payload: object): string {
  const unsigned = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64(payload)}`;
  return `${unsigned}.${createHmac('sha256', TEST_SECRET_KEY).update(unsigned).digest('base64url')}`;
}
const claimsOf = (token: string) =>
  JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()) as Record<string, unknown>;

/** Values of the wrong shape, tried in each claim. */
const HOSTILE: [string, unknown][] = [
  ['empty', ''],
  ['number', 42],
  ['boolean', true],
  ['null', null],
  ['array', ['a', 'b']],
  ['object', { $ne: null }],
  ['very long', 'x'.repeat(3000)],
  ['SQL', "1' OR '1'='1"],
  ['NUL', 'a\u0000b'],
  ['non-UUID', 'not-a-uuid'],
  ['UUID with junk', `${randomUUID()}'--`],
];
const BAD_NUMBERS: [string, unknown][] = [
  ['negative', -1],
  ['huge', 1e300],
  ['fraction', 1.5],
  ['string', '1700000000'],
  ['null', null],
  ['array', [1]],
  ['object', {}],
];

describe('access-token claims of the wrong shape, signed with the real key (built server)', () => {
  let db: ThrowawayDatabase;
  const server = new ServerProcess();
  let admin: Session;
  let genuine: Record<string, unknown>;

  beforeAll(async () => {
    db = await createThrowawayDatabase();
    // ERROR level: anything the server writes during the table is an error line
    await server.start({ DATABASE_URL: db.url, LOG_LEVEL: 'ERROR', RATE_LIMIT_CALLS: '100000', LOGIN_MAX_ATTEMPTS: '1000' });
    admin = await adminSession(server.api);
    genuine = claimsOf(admin.token);
  });
  afterAll(async () => {
    closeAll();
    await server.stop();
    await db?.drop();
  });

  const cases: [string, () => object][] = [];
  for (const claim of ['sub', 'sid']) {
    for (const [name, value] of HOSTILE) cases.push([`${claim}: ${name}`, () => ({ ...genuine, [claim]: value })]);
    cases.push([`${claim}: UUID of nobody`, () => ({ ...genuine, [claim]: randomUUID() })]);
    cases.push([`${claim}: missing`, () => ({ ...genuine, [claim]: undefined })]);
  }
  for (const claim of ['jti', 'email']) {
    for (const [name, value] of HOSTILE.filter(([n]) => ['number', 'array', 'object', 'null'].includes(n))) {
      cases.push([`${claim}: ${name}`, () => ({ ...genuine, [claim]: value })]);
    }
  }
  for (const claim of ['iat', 'exp', 'nbf']) {
    for (const [name, value] of BAD_NUMBERS) cases.push([`${claim}: ${name}`, () => ({ ...genuine, [claim]: value })]);
  }
  cases.push(
    ['exp far in the future', () => ({ ...genuine, exp: Math.floor(Date.now() / 1000) + 10 * 365 * 86_400 })],
    ['nbf in the future', () => ({ ...genuine, nbf: Math.floor(Date.now() / 1000) + 3600 })],
    ['aud array containing ours', () => ({ ...genuine, aud: ['api', 'other'] })],
    ['aud object', () => ({ ...genuine, aud: { api: true } })],
    ['iss array', () => ({ ...genuine, iss: [genuine.iss] })],
    ['iss of another case', () => ({ ...genuine, iss: String(genuine.iss).toLowerCase() })],
    ['roles a string', () => ({ ...genuine, roles: 'admin' })],
    ['roles unknown name', () => ({ ...genuine, roles: ['root'] })],
    ['roles of objects', () => ({ ...genuine, roles: [{ name: 'admin' }] })],
    ['roles repeated', () => ({ ...genuine, roles: ['admin', 'admin'] })],
    ['roles very long', () => ({ ...genuine, roles: Array.from({ length: 500 }, () => 'admin') })],
    ['an empty object', () => ({})],
    ['an array payload', () => [genuine]],
  );

  it('the genuine claims, re-signed, are accepted (the table is not refusing everything)', async () => {
    expect((await call('GET', `${server.api}/users/me`, undefined, { token: sign(genuine) })).status).toBe(200);
  });

  it.each(cases)('HTTP refuses %s with 401 invalid_token problem+json', async (_name, make) => {
    const res = await call('GET', `${server.api}/users/me`, undefined, { token: sign(make()) });
    expect(res.status).toBe(401);
    expect(res.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect(res.headers.get('www-authenticate')).toBe('Bearer error="invalid_token"');
    expect(res.body.status).toBe(401);
  });

  it.each(cases)('the socket handshake refuses %s as unauthorized', async (_name, make) => {
    const refusal = await refused(dashboardSocket(server.origin, sign(make())));
    expect(refusal.message).toBe('unauthorized');
    expect(refusal.data?.detail).toMatch(/invalid|ended/);
  });

  it('wrote no error line for any of them', async () => {
    // the logger writes asynchronously: give it a moment, then nothing at error level may be there
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(server.output).not.toMatch(/"level":(50|60)/);
    expect(server.output).not.toMatch(/invalid input syntax|QueryFailedError/);
  });
});
