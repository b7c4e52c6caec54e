import { createHmac, randomBytes } from 'node:crypto';
import { io } from 'socket.io-client';
import { WebSocket } from 'ws';
import { FALLBACK_MESSAGES } from '@gad/ai';
import { createThrowawayDatabase, type ThrowawayDatabase } from './support/databases.js';
import { FakeOpenAi } from './support/fake-openai.js';
import { ADMIN_EMAIL, ADMIN_NEW_PASSWORD, adminSession, call, createUser, login, type Session } from './support/http.js';
import {
  closeAll,
  collect,
  connected,
  dashboardSocket,
  disconnected,
  nextEvent,
  refused,
  sleep,
  type ClientSocket,
} from './support/socket-client.js';
import { TcpProxy } from './support/tcp-proxy.js';
import { startApp, type TestApp } from './support/test-app.js';
import { TEST_REDIS_URL, TEST_SECRET_KEY } from './support/test-env.js';

const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
const claimsOf = (token: string) =>
  JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()) as Record<string, unknown>;
/** A real token's claims with another expiry, signed like the app signs (HS256, the test secret). */
function withExpiry(token: string, exp: number, secret = TEST_SECRET_KEY): string {
  const unsigned = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64({ ...claimsOf(token), exp })}`;
  return `${unsigned}.${createHmac('sha256', secret).update(unsigned).digest('base64url')}`;
}
const now = () => Math.floor(Date.now() / 1000);
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const unique = (name: string) => `${name}-${randomBytes(4).toString('hex')}@example.com`;

describe('realtime /dashboard (PostgreSQL)', () => {
  let db: ThrowawayDatabase;
  let fake: FakeOpenAi;
  let t: TestApp;
  let admin: Session;

  const user = (name: string, roles: string[] = ['operator']) =>
    createUser(t.api, admin, { email: unique(name), full_name: `Test ${name}`, roles });
  const connect = (token?: string) => connected(dashboardSocket(t.origin, token));

  beforeAll(async () => {
    fake = await new FakeOpenAi().start();
    db = await createThrowawayDatabase();
    t = await startApp({
      DATABASE_URL: db.url,
      WS_MESSAGE_MAX_SIZE: '4096',
      OPENAI_BASE_URL: fake.baseUrl,
      OPENAI_MODEL: 'fake-model',
      LOGIN_MAX_ATTEMPTS: '1000',
      RATE_LIMIT_CALLS: '100000',
    });
    admin = await adminSession(t.api);
  });
  afterEach(() => closeAll());
  afterAll(async () => {
    closeAll();
    await t?.close();
    await fake?.stop();
    await db?.drop();
  });

  describe('handshake', () => {
    it('refuses a missing, malformed, foreign-signed or revoked token as unauthorized, with a sentence in data', async () => {
      const cases = [
        undefined,
        'not-a-jwt',
        withExpiry(admin.token, now() + 600, 'another-secret-key-0123456789abcdef0123456789'),
      ];
      for (const token of cases) {
        const refusal = await refused(dashboardSocket(t.origin, token));
        expect(refusal.message).toBe('unauthorized');
        expect(typeof refusal.data?.detail).toBe('string');
      }
      // longer than any token we sign (as a cookie: an auth payload that long exceeds WS_MESSAGE_MAX_SIZE here)
      const oversized = { extraHeaders: { Cookie: `access_token=${admin.token}${'a'.repeat(5000)}` } };
      expect((await refused(dashboardSocket(t.origin, undefined, oversized))).message).toBe('unauthorized');
      const gone = await login(t.api, ADMIN_EMAIL, ADMIN_NEW_PASSWORD);
      expect((await call('POST', `${t.api}/auth/logout`, undefined, { token: gone.token })).status).toBe(204);
      expect((await refused(dashboardSocket(t.origin, gone.token))).message).toBe('unauthorized');
    });

    it('refuses the main namespace to everyone: only /dashboard is served (it had no token check, slot or idle timeout)', async () => {
      for (const token of [undefined, admin.token]) {
        const main = io(`${t.origin}/`, {
          auth: token ? { token } : {},
          transports: ['websocket'],
          reconnection: false,
          forceNew: true,
        });
        try {
          expect((await refused(main)).message).toBe('Invalid namespace');
        } finally {
          main.disconnect();
        }
      }
    });

    it('hangs up on a raw connection to the main namespace once the refusal is sent', async () => {
      const raw = new WebSocket(`${t.origin.replace('http', 'ws')}/socket.io/?EIO=4&transport=websocket`);
      const frames: string[] = [];
      raw.on('message', (data) => {
        const frame = String(data);
        frames.push(frame);
        if (frame.startsWith('0')) raw.send('40'); // after the handshake, join "/"
      });
      const started = Date.now();
      await new Promise((resolve) => raw.once('close', resolve));
      expect(frames).toContain('44{"message":"Invalid namespace"}');
      expect(Date.now() - started).toBeLessThan(5000); // not Socket.IO's 45 s, nor the 10 s for a client that joins nothing
    });

    it('refuses an expired token as token_expired', async () => {
      const refusal = await refused(dashboardSocket(t.origin, withExpiry(admin.token, now() - 120)));
      expect(refusal.message).toBe('token_expired');
      expect(refusal.data?.detail).toMatch(/expired/);
    });

    it('takes the access cookie, but only from this site or a listed origin', async () => {
      const cookie = { extraHeaders: { Cookie: `access_token=${admin.token}` } };
      await connected(dashboardSocket(t.origin, undefined, cookie));
      const foreign = { extraHeaders: { Cookie: `access_token=${admin.token}`, Origin: 'https://evil.example' } };
      expect((await refused(dashboardSocket(t.origin, undefined, foreign))).message).toBe('origin_not_allowed');
      // a token in auth is not ambient, so another origin may present it
      await connected(dashboardSocket(t.origin, admin.token, { extraHeaders: { Origin: 'https://evil.example' } }));
    });

    it('refuses a user who must still change their password', async () => {
      const fresh = await createThrowawayDatabase();
      const other = await startApp({ DATABASE_URL: fresh.url, LOGIN_MAX_ATTEMPTS: '1000' });
      try {
        const { TEST_ADMIN_PASSWORD } = await import('./support/test-env.js');
        const first = await login(other.api, ADMIN_EMAIL, TEST_ADMIN_PASSWORD);
        expect((await refused(dashboardSocket(other.origin, first.token))).message).toBe('password_change_required');
      } finally {
        closeAll();
        await other.close();
        await fresh.drop();
      }
    });

    it('serves the browser client only as a hashed dashboard asset, never at /socket.io/socket.io.js', async () => {
      for (const path of ['/socket.io/socket.io.js', '/socket.io/socket.io.min.js', '/socket.io/socket.io.js.map']) {
        const res = await fetch(`${t.origin}${path}`);
        expect(res.status).not.toBe(200);
        expect(await res.text()).not.toMatch(/Socket\.IO v\d/);
      }
      const page = await (await fetch(`${t.origin}/dashboard`)).text();
      const src = /<script src="(\/static\/socket\.io\.min\.[0-9a-f]{12}\.js)" defer><\/script>/.exec(page)?.[1];
      expect(src).toBeDefined();
      const res = await fetch(`${t.origin}${src}`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/javascript/);
      expect(res.headers.get('cache-control')).toMatch(/immutable/);
    });
  });

  describe('presence and notifications', () => {
    it('tells everyone the online count, and admins who', async () => {
      const op = await user('presence');
      const adminSocket = dashboardSocket(t.origin, admin.token);
      const first = await nextEvent(adminSocket, 'users:online');
      expect(first.count).toBeGreaterThanOrEqual(1);
      expect(first.users).toEqual(expect.arrayContaining([expect.objectContaining({ email: ADMIN_EMAIL })]));

      const opSocket = dashboardSocket(t.origin, op.session.token);
      const seenByOp = await nextEvent(opSocket, 'users:online');
      expect(seenByOp).toEqual({ count: expect.any(Number) });
      const seenByAdmin = await nextEvent(adminSocket, 'users:online', (p) => p.users.some((u: any) => u.id === op.id));
      expect(seenByAdmin.users.find((u: any) => u.id === op.id)).toEqual({
        id: op.id,
        email: op.email,
        full_name: 'Test presence',
      });

      opSocket.disconnect();
      await nextEvent(adminSocket, 'users:online', (p) => !p.users.some((u: any) => u.id === op.id));
    });

    it("delivers an admin's broadcast to everyone, acknowledged with its id", async () => {
      const op = await user('listener');
      const adminSocket = await connect(admin.token);
      const opSocket = await connect(op.session.token);
      const arriving = nextEvent(opSocket, 'notification');
      const ack = await adminSocket.emitWithAck('notification:broadcast', { message: 'Reunión a las 10', level: 'warning' });
      const notification = await arriving;
      expect(notification).toEqual({
        id: ack.id,
        message: 'Reunión a las 10',
        level: 'warning',
        from: { id: expect.stringMatching(UUID), full_name: expect.any(String) },
        created_at: expect.stringMatching(ISO),
      });
    });

    it('sends a role broadcast to that role and the sender only', async () => {
      const op = await user('operator-role', ['operator']);
      const sup = await user('supervisor-role', ['supervisor']);
      const adminSocket = await connect(admin.token);
      const opSocket = await connect(op.session.token);
      const supSocket = await connect(sup.session.token);
      const opSeen = collect(opSocket, 'notification');
      const toSup = nextEvent(supSocket, 'notification');
      const toSender = nextEvent(adminSocket, 'notification', (n) => n.message === 'solo supervisores');
      adminSocket.emit('notification:broadcast', { message: 'solo supervisores', role: 'supervisor' });
      expect((await toSup).level).toBe('info');
      await toSender;
      await sleep(200);
      expect(opSeen.filter((n) => n.message === 'solo supervisores')).toEqual([]);
    });

    it("refuses a non-admin's broadcast with an error event and keeps the socket", async () => {
      const op = await user('not-admin');
      const opSocket = await connect(op.session.token);
      const error = nextEvent(opSocket, 'error');
      const acked = new Promise((resolve) => opSocket.emit('notification:broadcast', { message: 'hola a todos' }, resolve));
      expect(await error).toEqual({ event: 'notification:broadcast', message: 'Only admins may broadcast notifications.' });
      // a client awaiting the acknowledgement gets the error too, instead of hanging
      expect(await acked).toEqual({
        error: { event: 'notification:broadcast', message: 'Only admins may broadcast notifications.' },
      });
      expect(opSocket.connected).toBe(true);
    });

    it('refuses an event carrying a __proto__ or constructor key, which validation would drop silently', async () => {
      const adminSocket = await connect(admin.token);
      for (const key of ['__proto__', 'constructor']) {
        const payload = JSON.parse(`{"message":"hola","level":"info","${key}":{"role":"admin"}}`);
        const ack = await adminSocket.emitWithAck('notification:broadcast', payload);
        expect(ack).toEqual({ error: { event: 'notification:broadcast', message: `The key "${key}" is not accepted.` } });
      }
      expect(adminSocket.connected).toBe(true);
    });

    it('tells admins about new and deactivated users, and disconnects a deactivated user at once', async () => {
      const adminSocket = await connect(admin.token);
      const created = nextEvent(adminSocket, 'notification', (n) => n.event === 'user.created');
      const victim = await user('deactivated');
      expect(await created).toMatchObject({
        level: 'info',
        from: { id: '00000000-0000-0000-0000-000000000000', full_name: 'Sistema' },
        user: { id: victim.id, email: victim.email },
      });

      const victimSocket = await connect(victim.session.token);
      const gone = disconnected(victimSocket);
      const told = nextEvent(adminSocket, 'notification', (n) => n.event === 'user.deactivated');
      const res = await call('PATCH', `${t.api}/users/${victim.id}`, { is_active: false }, { token: admin.token });
      expect(res.status).toBe(200);
      expect(await gone).toBe('io server disconnect');
      expect(await told).toMatchObject({ level: 'warning', user: { id: victim.id } });
      expect((await refused(dashboardSocket(t.origin, victim.session.token))).message).toBe('unauthorized');
    });

    it('closes the sockets of a session at logout, and only that session', async () => {
      const u = await user('logout-sockets');
      const second = await login(t.api, u.email, u.password);
      const loggedOut = await connect(u.session.token);
      const other = await connect(second.token);
      const gone = disconnected(loggedOut);
      expect((await call('POST', `${t.api}/auth/logout`, undefined, { token: u.session.token })).status).toBe(204);
      expect(await gone).toBe('io server disconnect');
      await sleep(200);
      expect(other.connected).toBe(true);
    });

    it('disconnects a deleted user, and on a password change every other session of that user', async () => {
      const deleted = await user('deleted');
      const deletedSocket = await connect(deleted.session.token);
      const deletedGone = disconnected(deletedSocket);
      expect((await call('DELETE', `${t.api}/users/${deleted.id}`, undefined, { token: admin.token })).status).toBe(204);
      expect(await deletedGone).toBe('io server disconnect');

      const changer = await user('changer');
      const other = await login(t.api, changer.email, changer.password);
      const keptSocket = await connect(changer.session.token);
      const otherSocket = await connect(other.token);
      const otherGone = disconnected(otherSocket);
      const changed = await call(
        'POST',
        `${t.api}/auth/change-password`,
        { current_password: changer.password, new_password: 'Another-Strong-Pass-2026' },
        { token: changer.session.token },
      );
      expect(changed.status).toBe(204);
      expect(await otherGone).toBe('io server disconnect');
      await sleep(100);
      expect(keptSocket.connected).toBe(true);
    });

    it('closes the sockets of a user whose roles change, so the next handshake takes the new rooms and rights', async () => {
      const promoted = await user('promoted', ['operator']);
      const before = await connect(promoted.session.token);
      const gone = disconnected(before);
      const res = await call('PATCH', `${t.api}/users/${promoted.id}`, { roles: ['admin'] }, { token: admin.token });
      expect(res.status).toBe(200);
      expect(await gone).toBe('io server disconnect');
      const after = dashboardSocket(t.origin, promoted.session.token);
      expect((await nextEvent(after, 'users:online')).users).toBeDefined();
    });

    it('pushes system:status to an admin on connect', async () => {
      const adminSocket = dashboardSocket(t.origin, admin.token);
      const status = await nextEvent(adminSocket, 'system:status');
      expect(status).toEqual({
        database: 'up',
        redis: 'disabled',
        ai: 'configured',
        connections: expect.any(Number),
        http: { rps: expect.any(Number), p95_ms: expect.any(Number) },
        timestamp: expect.stringMatching(ISO),
      });
      expect(status.connections).toBeGreaterThanOrEqual(1);
    });

    it('exports socket metrics', async () => {
      await connect(admin.token);
      const text = await (await fetch(`${t.origin}/metrics`)).text();
      expect(text).toMatch(/^socketio_connections\{[^}]*\} [1-9]/m);
      expect(text).toMatch(/^socketio_refusals_total\{[^}]*reason="unauthorized"[^}]*\} [1-9]/m);
      expect(text).toMatch(/^socketio_events_total\{[^}]*event="notification:broadcast"[^}]*\} [1-9]/m);
    });
  });

  describe('client events', () => {
    it('answers malformed payloads and unknown events with error events, and keeps serving', async () => {
      const adminSocket = await connect(admin.token);
      const errors = collect(adminSocket, 'error');
      const providerCalls = fake.requests;
      const bad: unknown[] = [
        'just a string',
        42,
        {},
        { message: 5 },
        { message: '' },
        { message: '   ' },
        { message: 'x'.repeat(1001) },
        { message: 'ok', level: 'loud' },
        { message: 'ok', role: 'king' },
        { message: 'ok', extra: true },
      ];
      const answer = async (event: string, payload: unknown) => {
        const error = nextEvent(adminSocket, 'error');
        adminSocket.emit(event, payload);
        return error;
      };
      for (const payload of bad) {
        expect(await answer('notification:broadcast', payload)).toEqual({
          event: 'notification:broadcast',
          message: expect.any(String),
        });
      }
      expect(errors[6].message).toMatch(/1000/);
      expect(errors[9].message).toMatch(/extra should not exist/);
      expect(await answer('ai:chat', { message: 'hola', temperature: 9 })).toEqual({
        event: 'ai:chat',
        message: expect.stringMatching(/temperature/),
      });
      expect(await answer('ai:chat', { message: 'hola', max_tokens: 99_999 })).toEqual({
        event: 'ai:chat',
        message: expect.stringMatching(/max_tokens/),
      });
      expect(await answer('no:such:event', {})).toEqual({
        event: 'no:such:event',
        message: expect.stringMatching(/Unknown event/),
      });
      expect(errors).toHaveLength(bad.length + 3);
      expect(fake.requests).toBe(providerCalls);
      expect(adminSocket.connected).toBe(true);
    });

    it('drops events past the budget with rate_limited errors, then disconnects an abusive socket', async () => {
      const adminSocket = await connect(admin.token);
      const errors = collect(adminSocket, 'error');
      const gone = disconnected(adminSocket);
      for (let i = 0; i < 45; i++) adminSocket.emit('notification:broadcast', {});
      expect(await gone).toBe('io server disconnect');
      expect(errors.filter((e) => /rate_limited/.test(e.message))).toHaveLength(20);
    });

    it('disconnects a socket that sends an oversized message, and the server keeps serving', async () => {
      const adminSocket = await connect(admin.token);
      const gone = disconnected(adminSocket);
      adminSocket.emit('notification:broadcast', { message: 'x'.repeat(8192) });
      expect(await gone).toMatch(/transport (close|error)/);
      const again = dashboardSocket(t.origin, admin.token);
      await nextEvent(again, 'users:online');
    });

    it('streams ai:chat as ai:chunk events then ai:done, with the acknowledged id', async () => {
      const op = await user('chatter');
      const socket = await connect(op.session.token);
      const chunks = collect(socket, 'ai:chunk');
      const done = nextEvent(socket, 'ai:done');
      const ack = await socket.emitWithAck('ai:chat', { message: '¿Estado?' });
      expect(ack).toEqual({ id: expect.stringMatching(UUID) });
      const answer = await done;
      expect(answer).toEqual({ id: ack.id, response: fake.answer, source: 'ai', timestamp: expect.stringMatching(ISO) });
      expect(chunks.length).toBeGreaterThan(1);
      expect(chunks.every((c) => c.id === ack.id)).toBe(true);
      expect(chunks.map((c) => c.delta).join('')).toBe(fake.answer);
    });

    it('cancels the provider call when the socket goes mid-answer', async () => {
      fake.chunkDelayMs = 150;
      try {
        const socket = await connect(admin.token);
        const first = nextEvent(socket, 'ai:chunk');
        socket.emit('ai:chat', { message: 'una respuesta larga' });
        await first;
        const abortedBefore = fake.aborted;
        socket.disconnect();
        await fake.waitFor(() => fake.aborted > abortedBefore, 3000);
      } finally {
        fake.reset();
      }
    });

    it('answers with the fallback when the provider fails', async () => {
      fake.mode = 'error500';
      try {
        const socket = await connect(admin.token);
        const done = nextEvent(socket, 'ai:done');
        socket.emit('ai:chat', { message: 'hola' });
        const answer = await done;
        expect(answer.source).toBe('fallback');
        expect(Object.values(FALLBACK_MESSAGES)).toContain(answer.response);
      } finally {
        fake.reset();
      }
    });
  });

  describe('token expiry', () => {
    it('sends auth:expired at expiry, keeps a socket that re-authenticates, and closes one that does not', async () => {
      const op = await user('expiring');
      const short = withExpiry(op.session.token, now() + 2);
      const lazy = await connect(short);
      const diligent = await connect(short);
      const lazyExpired = nextEvent(lazy, 'auth:expired', () => true, 5000);
      const diligentExpired = nextEvent(diligent, 'auth:expired', () => true, 5000);
      const lazyGone = disconnected(lazy, 10_000);

      expect(await diligentExpired).toEqual({});
      const renewed = await diligent.emitWithAck('auth:refresh', { token: op.session.token });
      expect(renewed).toEqual({ expires_at: new Date((claimsOf(op.session.token).exp as number) * 1000).toISOString() });
      await lazyExpired;
      expect(await lazyGone).toBe('io server disconnect');
      expect(diligent.connected).toBe(true);
    }, 20_000);

    it("refuses auth:refresh with another user's token", async () => {
      const a = await user('refresh-a');
      const b = await user('refresh-b');
      const socket = await connect(a.session.token);
      const error = nextEvent(socket, 'error');
      socket.emit('auth:refresh', { token: b.session.token });
      expect(await error).toEqual({ event: 'auth:refresh', message: expect.stringMatching(/another user/) });
    });
  });
});

describe('realtime limits', () => {
  let db: ThrowawayDatabase;
  beforeAll(async () => {
    db = await createThrowawayDatabase();
  });
  afterEach(() => closeAll());
  afterAll(async () => {
    await db?.drop();
  });

  it('WS_MAX_CONNECTIONS refuses the extra socket and admits a new one after another closes', async () => {
    const t = await startApp({ DATABASE_URL: db.url, WS_MAX_CONNECTIONS: '2', LOGIN_MAX_ATTEMPTS: '1000' });
    try {
      const admin = await adminSession(t.api);
      const first = await connected(dashboardSocket(t.origin, admin.token));
      await connected(dashboardSocket(t.origin, admin.token));
      const refusal = await refused(dashboardSocket(t.origin, admin.token));
      expect(refusal.message).toBe('too_many_connections');
      expect(refusal.data?.detail).toMatch(/2 live connections/);
      first.disconnect();
      await waitUntilAdmitted(t.origin, admin.token);
    } finally {
      closeAll();
      await t.close();
    }
  });

  it('WS_CONNECTION_TIMEOUT closes a socket that sends nothing, not one that keeps talking', async () => {
    const t = await startApp({ DATABASE_URL: db.url, WS_CONNECTION_TIMEOUT: '1', LOGIN_MAX_ATTEMPTS: '1000' });
    try {
      const admin = await login(t.api, ADMIN_EMAIL, ADMIN_NEW_PASSWORD).catch(() => adminSession(t.api));
      const quiet = await connected(dashboardSocket(t.origin, admin.token));
      const talker = await connected(dashboardSocket(t.origin, admin.token));
      const started = Date.now();
      const quietGone = disconnected(quiet, 3000);
      const chatter = setInterval(() => talker.emit('auth:refresh', {}), 300);
      try {
        expect(await quietGone).toBe('io server disconnect');
        expect(Date.now() - started).toBeGreaterThanOrEqual(800);
        await sleep(700);
        expect(talker.connected).toBe(true);
      } finally {
        clearInterval(chatter);
      }
    } finally {
      closeAll();
      await t.close();
    }
  });
});

describe('realtime across two instances sharing Redis', () => {
  let db: ThrowawayDatabase;
  let a: TestApp;
  let b: TestApp;
  let admin: Session;

  beforeAll(async () => {
    db = await createThrowawayDatabase();
    const env = {
      DATABASE_URL: db.url,
      REDIS_URL: TEST_REDIS_URL,
      PROJECT_NAME: `GAD_RT_${randomBytes(4).toString('hex')}`,
      WS_MAX_CONNECTIONS: '3',
      LOGIN_MAX_ATTEMPTS: '1000',
      RATE_LIMIT_CALLS: '100000',
    };
    a = await startApp(env);
    b = await startApp(env);
    admin = await adminSession(a.api);
  });
  afterEach(() => closeAll());
  afterAll(async () => {
    closeAll();
    await a?.close();
    await b?.close();
    await db?.drop();
  });

  it('shares presence, broadcasts, the connection cap and disconnects across instances', async () => {
    const op = await createUser(a.api, admin, { email: unique('cluster'), full_name: 'Cluster Op', roles: ['operator'] });
    const opOnB = await connected(dashboardSocket(b.origin, op.session.token));
    const adminOnA = dashboardSocket(a.origin, admin.token);
    const status = nextEvent(adminOnA, 'system:status');
    const online = nextEvent(adminOnA, 'users:online', (p) => p.users.some((u: any) => u.id === op.id));
    await connected(adminOnA);

    // presence and the connection count: the admin on A sees the operator connected to B
    expect((await online).count).toBe(2);
    expect(await status).toMatchObject({ redis: 'up', connections: 2 });

    // a broadcast sent through A reaches the client on B
    const arriving = nextEvent(opOnB, 'notification');
    adminOnA.emit('notification:broadcast', { message: 'desde A', level: 'critical' });
    expect(await arriving).toMatchObject({ message: 'desde A', level: 'critical' });

    // the cap counts both instances: 3 live, so a fourth is refused on either
    const third = await connected(dashboardSocket(b.origin, op.session.token));
    expect((await refused(dashboardSocket(a.origin, admin.token))).message).toBe('too_many_connections');
    third.disconnect();
    await waitUntilAdmitted(a.origin, admin.token);

    // deactivating through A closes the operator's socket on B
    const gone = disconnected(opOnB);
    expect((await call('PATCH', `${a.api}/users/${op.id}`, { is_active: false }, { token: admin.token })).status).toBe(200);
    expect(await gone).toBe('io server disconnect');
  }, 25_000);
});

describe('realtime while Redis is down', () => {
  let db: ThrowawayDatabase;
  let proxy: TcpProxy;
  let t: TestApp;
  const rejections: unknown[] = [];
  const onRejection = (reason: unknown) => rejections.push(reason);

  beforeAll(async () => {
    const redis = new URL(TEST_REDIS_URL);
    proxy = new TcpProxy(redis.hostname, Number(redis.port || 6379));
    await proxy.start();
    db = await createThrowawayDatabase();
    t = await startApp({
      DATABASE_URL: db.url,
      REDIS_URL: `redis://127.0.0.1:${proxy.port}`,
      PROJECT_NAME: `GAD_RT_DOWN_${randomBytes(4).toString('hex')}`,
      WS_MAX_CONNECTIONS: '3',
      LOGIN_MAX_ATTEMPTS: '1000',
    });
    process.on('unhandledRejection', onRejection);
  });
  afterAll(async () => {
    process.off('unhandledRejection', onRejection);
    closeAll();
    await t?.close();
    await proxy?.stop();
    await db?.drop();
  });

  it('keeps serving this instance: admits up to the cap locally, broadcasts, counts, reports redis down', async () => {
    const admin = await adminSession(t.api);
    const listener = await connected(dashboardSocket(t.origin, admin.token));
    await proxy.stop();

    const adminSocket = dashboardSocket(t.origin, admin.token);
    const status = nextEvent(adminSocket, 'system:status');
    const online = nextEvent(adminSocket, 'users:online');
    await connected(adminSocket);
    expect(await status).toMatchObject({ redis: 'down', database: 'up', connections: 2 });
    expect((await online).count).toBe(1);

    const arriving = nextEvent(listener, 'notification');
    adminSocket.emit('notification:broadcast', { message: 'sin Redis' });
    expect((await arriving).message).toBe('sin Redis');

    await connected(dashboardSocket(t.origin, admin.token));
    expect((await refused(dashboardSocket(t.origin, admin.token))).message).toBe('too_many_connections');
    expect(rejections).toEqual([]);
  });
});

/** The slot frees when the server sees the close; retry briefly rather than sleep a guess. */
async function waitUntilAdmitted(origin: string, token: string): Promise<ClientSocket> {
  const until = Date.now() + 3000;
  for (;;) {
    const socket = dashboardSocket(origin, token);
    try {
      return await connected(socket);
    } catch (error) {
      socket.disconnect();
      if (Date.now() > until) throw error;
      await sleep(100);
    }
  }
}
