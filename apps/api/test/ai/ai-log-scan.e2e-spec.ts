import pg from 'pg';
import { createThrowawayDatabase, type ThrowawayDatabase } from '../support/databases.js';
import { adminSession, call, type Session } from '../support/http.js';
import { ServerProcess } from '../support/server-process.js';
import { closeAll, connected, dashboardSocket, nextEvent } from '../support/socket-client.js';

// what a user might paste into a chat: none of it may reach the log or, by default, the database
const SECRETS = [
  'Hunter2-Sup3r-Secret!',
  'sk-proj-A1b2C3d4E5f6G7h8I9j0K1l2',
  'AKIAIOSFODNN7EXAMPLE',
  'wJalrXUtnFEMI/K7MDENG/bPxRfiCY',
];
const MESSAGE = `Mi contraseña es ${SECRETS[0]}, la clave de OpenAI ${SECRETS[1]} y AWS ${SECRETS[2]} / ${SECRETS[3]}. ¿Está bien?`;

describe('nothing a user types is logged (built server, DEBUG logs, no AI provider)', () => {
  let db: ThrowawayDatabase;
  const server = new ServerProcess();
  let admin: Session;

  beforeAll(async () => {
    db = await createThrowawayDatabase();
    await server.start({ DATABASE_URL: db.url, LOG_LEVEL: 'DEBUG', RATE_LIMIT_CALLS: '100000' });
    admin = await adminSession(server.api);
  });
  afterAll(async () => {
    closeAll();
    await server.stop();
    await db?.drop();
  });

  it('chats over HTTP, SSE and the socket, each answered by the fallback', async () => {
    const plain = await call('POST', `${server.api}/ai/chat`, { message: MESSAGE }, { token: admin.token });
    expect(plain.status).toBe(200);
    expect(plain.body.source).toBe('fallback');
    const stream = await call('POST', `${server.api}/ai/chat/stream`, { message: MESSAGE }, { token: admin.token });
    expect(stream.status).toBe(200);
    const socket = await connected(dashboardSocket(server.origin, admin.token));
    const done = nextEvent(socket, 'ai:done');
    socket.emit('ai:chat', { message: MESSAGE });
    expect((await done).source).toBe('fallback');
  });

  it('logged the fallbacks with the length and cause, and no secret anywhere in the output', async () => {
    await server.until(() => (server.output.match(/AI fallback used/g) ?? []).length >= 3, 5000, 'three fallback lines');
    const lines = server.output.split('\n').filter((line) => line.includes('AI fallback used'));
    for (const line of lines) {
      expect(JSON.parse(line)).toMatchObject({ fallback_cause: 'not_configured', message_length: MESSAGE.length });
    }
    for (const secret of SECRETS) expect(server.output).not.toContain(secret);
    expect(server.output).not.toContain('contraseña');
  });

  it('stored no excerpt by default (AI_STORE_EXCERPTS off)', async () => {
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      const rows = (await client.query('SELECT message_excerpt FROM ai_interactions')).rows;
      expect(rows.length).toBeGreaterThanOrEqual(3);
      for (const row of rows) expect(row.message_excerpt).toBe('');
    } finally {
      await client.end();
    }
  });
});
