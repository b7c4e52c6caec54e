import { randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import { AiService, FALLBACK_MESSAGES } from '@gad/ai';
import { MonthlyPartitions } from '@gad/database';
import { createThrowawayDatabase, type ThrowawayDatabase } from '../support/databases.js';
import { FakeOpenAi, type FakeMode } from '../support/fake-openai.js';
import { adminSession, call, createUser, type Session } from '../support/http.js';
import { startApp, type TestApp } from '../support/test-app.js';
import { readSse } from '../support/sse-client.js';
import { ensurePartitions } from '../support/partitions.js';

const TIMEOUT_MS = 1000;
// how late a fallback may arrive past AI_REQUEST_TIMEOUT on a loaded 2-core machine
const MARGIN_MS = 700;
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

describe('AI chat against a real Chat Completions server', () => {
  let db: ThrowawayDatabase;
  let fake: FakeOpenAi;
  let t: TestApp;
  let admin: Session;
  let adminId: string;

  const chat = (body: unknown, token = admin.token, headers: Record<string, string> = {}) =>
    call('POST', `${t.api}/ai/chat`, body, { token, headers });
  const ai = () => t.app.get(AiService);
  const interactions = async (query = '') => {
    await ai().flushInteractions();
    const res = await call('GET', `${t.api}/ai/interactions${query}`, undefined, { token: admin.token });
    expect(res.status).toBe(200);
    return res.body as { items: Record<string, unknown>[]; total: number; skip: number; limit: number };
  };

  beforeAll(async () => {
    fake = await new FakeOpenAi().start();
    db = await createThrowawayDatabase();
    t = await startApp({
      DATABASE_URL: db.url,
      PROJECT_NAME: `GAD_AI_${randomBytes(4).toString('hex')}`,
      OPENAI_BASE_URL: fake.baseUrl,
      OPENAI_MODEL: 'fake-model',
      AI_REQUEST_TIMEOUT: String(TIMEOUT_MS / 1000),
      AI_MAX_REQUESTS_PER_MINUTE: '10000',
      AI_USER_MAX_REQUESTS_PER_MINUTE: '10000',
      RATE_LIMIT_CALLS: '100000',
      LOGIN_MAX_ATTEMPTS: '1000',
      AI_STORE_EXCERPTS: 'true', // the excerpt tests below; off by default
    });
    admin = await adminSession(t.api);
    adminId = (await call('GET', `${t.api}/users/me`, undefined, { token: admin.token })).body.id;
  });

  afterAll(async () => {
    await t?.close();
    await fake?.stop();
    await db?.drop();
  });

  beforeEach(() => fake.reset());

  describe('a normal answer', () => {
    it('answers with source ai and records the interaction with latency and tokens', async () => {
      const res = await chat({ message: '¿Cuál es el estado del sistema?' }, admin.token, { 'X-Request-Id': 'chat-normal-1' });
      expect(res.status).toBe(200);
      expect(res.headers.get('cache-control')).toBe('no-store');
      expect(res.body).toEqual({
        response: fake.answer,
        source: 'ai',
        timestamp: expect.stringMatching(ISO),
        request_id: 'chat-normal-1',
      });

      expect(fake.requests).toBe(1);
      expect(fake.bodies[0]).toMatchObject({
        model: 'fake-model',
        messages: [{ role: 'user', content: '¿Cuál es el estado del sistema?' }],
        max_tokens: 2000,
        temperature: 0.7,
      });
      // only a base URL is configured: the SDK gets a placeholder key
      expect(fake.authorizations[0]).toBe('Bearer not-needed');

      const page = await interactions();
      expect(page.items[0]).toEqual({
        id: expect.any(String),
        user_id: adminId,
        message_excerpt: '¿Cuál es el estado del sistema?',
        source: 'ai',
        fallback_cause: null,
        model: 'fake-model',
        latency_ms: expect.any(Number),
        prompt_tokens: 6,
        completion_tokens: fake.answer.split(' ').length,
        request_id: 'chat-normal-1',
        created_at: expect.stringMatching(ISO),
      });
      expect(page.items[0].latency_ms).toBeGreaterThanOrEqual(0);
      expect(ai().providerStatus()).toMatchObject({
        configured: true,
        model: 'fake-model',
        lastSuccessAt: expect.stringMatching(ISO),
      });
    });

    it('forwards max_tokens and temperature, and keeps only 100 characters of the message in the log', async () => {
      const message = 'ñ'.repeat(60) + '😀'.repeat(60);
      const res = await chat({ message, max_tokens: 50, temperature: 0 }, admin.token, { 'X-Request-Id': 'chat-excerpt' });
      expect(res.body.source).toBe('ai');
      expect(fake.bodies[0]).toMatchObject({ max_tokens: 50, temperature: 0 });
      const row = (await interactions()).items.find((item) => item.request_id === 'chat-excerpt')!;
      expect(row.message_excerpt).toBe('ñ'.repeat(60) + '😀'.repeat(40));
    });
  });

  describe('provider faults', () => {
    const faults: [FakeMode, string, keyof typeof FALLBACK_MESSAGES][] = [
      ['error500', 'upstream_error', 'ai_unavailable'],
      ['error429', 'rate_limited', 'ai_unavailable'],
      ['malformed', 'malformed', 'processing_error'],
      ['hang', 'timeout', 'timeout_error'],
      ['close', 'upstream_error', 'ai_unavailable'],
    ];

    // a previous fault's upstream call may still hold a concurrency slot on a loaded machine; a queued
    // chat that cannot fit its deadline is (rightly) an `overloaded` fallback, not the one under test
    const settled = () => fake.waitFor(() => fake.inFlight === 0 && ai().stats().inFlight === 0, 5000);

    it.each(faults)('%s → the %s fallback (%s) within the timeout, and the process keeps serving', async (mode, cause, kind) => {
      await settled();
      fake.mode = mode;
      const before = ai().stats().fallbacks[cause as 'timeout'];
      const started = Date.now();
      const res = await chat({ message: `fault ${mode}` }, admin.token, { 'X-Request-Id': `fault-${mode}` });
      const elapsed = Date.now() - started;

      expect(res.status).toBe(200);
      expect(res.body).toEqual({
        response: FALLBACK_MESSAGES[kind],
        source: 'fallback',
        timestamp: expect.stringMatching(ISO),
        request_id: `fault-${mode}`,
      });
      expect(elapsed).toBeLessThan(TIMEOUT_MS + MARGIN_MS);
      if (mode === 'hang') expect(elapsed).toBeGreaterThanOrEqual(TIMEOUT_MS - 50);
      expect(fake.requests).toBe(1); // no retries
      expect(ai().stats().fallbacks[cause as 'timeout']).toBe(before + 1);
      expect(ai().providerStatus()).toMatchObject({ lastFailureCause: cause, lastFailureAt: expect.stringMatching(ISO) });
      const row = (await interactions()).items.find((item) => item.request_id === `fault-${mode}`);
      expect(row).toMatchObject({ source: 'fallback', fallback_cause: cause, model: 'fake-model' });

      fake.mode = 'normal';
      expect((await fetch(`${t.api}/health`)).status).toBe(200);
      expect((await chat({ message: 'after the fault' })).body.source).toBe('ai');
    });

    it.each(faults)('%s while streaming → done carries the %s fallback', async (mode, _cause, kind) => {
      await settled();
      fake.mode = mode;
      const started = Date.now();
      const { status, events } = await readSse(`${t.api}/ai/chat/stream`, { message: `stream fault ${mode}` }, admin.token);
      expect(status).toBe(200);
      expect(Date.now() - started).toBeLessThan(TIMEOUT_MS + MARGIN_MS);
      expect(events.at(-1)).toEqual({
        event: 'done',
        data: {
          response: FALLBACK_MESSAGES[kind],
          source: 'fallback',
          timestamp: expect.stringMatching(ISO),
          request_id: expect.any(String),
        },
      });
      expect(events.filter((e) => e.event === 'done')).toHaveLength(1);
    });
  });

  describe('streaming (SSE)', () => {
    it('delivers the chunks in order, then one done event with the full answer', async () => {
      fake.chunkDelayMs = 5;
      const res = await readSse(`${t.api}/ai/chat/stream`, { message: 'cuéntame algo' }, admin.token, {
        'X-Request-Id': 'sse-1',
      });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('text/event-stream');
      expect(res.headers.get('cache-control')).toBe('no-store');
      expect(res.headers.get('x-accel-buffering')).toBe('no');
      // the stream is written past Fastify's reply: the edge's headers must still be on it
      expect(res.headers.get('x-request-id')).toBe('sse-1');
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('content-security-policy')).toMatch(/default-src 'self'/);

      const chunks = res.events.filter((e) => e.event === 'chunk').map((e) => (e.data as { delta: string }).delta);
      expect(chunks.length).toBeGreaterThan(3);
      expect(chunks.join('')).toBe(fake.answer);
      expect(res.events.at(-1)).toEqual({
        event: 'done',
        data: { response: fake.answer, source: 'ai', timestamp: expect.stringMatching(ISO), request_id: 'sse-1' },
      });
      expect(fake.bodies[0]).toMatchObject({ stream: true, stream_options: { include_usage: true } });
      const row = (await interactions()).items.find((item) => item.request_id === 'sse-1');
      expect(row).toMatchObject({ source: 'ai', prompt_tokens: 2, completion_tokens: chunks.length });
    });

    it('ends a stream that stalls mid-answer with the timeout fallback, which supersedes the chunks sent', async () => {
      fake.chunkDelayMs = 400;
      const started = Date.now();
      const res = await readSse(`${t.api}/ai/chat/stream`, { message: 'lento' }, admin.token);
      expect(Date.now() - started).toBeLessThan(TIMEOUT_MS + MARGIN_MS);
      const chunks = res.events.filter((e) => e.event === 'chunk');
      expect(chunks.length).toBeGreaterThan(0);
      expect(chunks.length).toBeLessThan(fake.answer.split(' ').length);
      expect(res.events.at(-1)).toMatchObject({
        event: 'done',
        data: { response: FALLBACK_MESSAGES.timeout_error, source: 'fallback' },
      });
      await fake.waitFor(() => fake.aborted === 1);
    });

    it('cancels the upstream request when the client goes away mid-stream', async () => {
      fake.chunkDelayMs = 150;
      const controller = new AbortController();
      const res = await fetch(`${t.api}/ai/chat/stream`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${admin.token}`, 'X-Request-Id': 'sse-abort' },
        body: JSON.stringify({ message: 'una respuesta larga' }),
        signal: controller.signal,
      });
      const reader = res.body!.getReader();
      const first = new TextDecoder().decode((await reader.read()).value);
      expect(first).toMatch(/event: chunk/);
      const abortedAt = Date.now();
      controller.abort();
      await fake.waitFor(() => fake.aborted === 1, TIMEOUT_MS);
      // well before the timeout would have ended it
      expect(Date.now() - abortedAt).toBeLessThan(500);
      expect(fake.completed).toBe(0);
      await fake.waitFor(() => ai().stats().inFlight === 0);
      const row = (await interactions()).items.find((item) => item.request_id === 'sse-abort');
      expect(row).toMatchObject({ source: 'fallback', fallback_cause: 'cancelled' });
    });

    it('cancels the upstream request when the client of a plain chat goes away', async () => {
      fake.mode = 'hang';
      const controller = new AbortController();
      const pending = fetch(`${t.api}/ai/chat`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${admin.token}` },
        body: JSON.stringify({ message: 'me voy' }),
        signal: controller.signal,
      }).catch((error: unknown) => error);
      await fake.waitFor(() => fake.requests === 1);
      const abortedAt = Date.now();
      controller.abort();
      await pending;
      await fake.waitFor(() => fake.aborted === 1, TIMEOUT_MS);
      expect(Date.now() - abortedAt).toBeLessThan(500);
    });
  });

  describe('validation', () => {
    const longMessage = 'x'.repeat(4001);
    const invalid: [string, unknown, string][] = [
      ['an empty message', { message: '' }, 'message'],
      ['a blank message', { message: '   \n ' }, 'message'],
      ['a message over AI_MAX_MESSAGE_LENGTH', { message: longMessage }, 'message'],
      ['a missing message', {}, 'message'],
      ['a number as message', { message: 42 }, 'message'],
      ['an array as message', { message: ['hola'] }, 'message'],
      ['a string max_tokens', { message: 'hola', max_tokens: '10' }, 'max_tokens'],
      ['a fractional max_tokens', { message: 'hola', max_tokens: 1.5 }, 'max_tokens'],
      ['max_tokens 0', { message: 'hola', max_tokens: 0 }, 'max_tokens'],
      ['max_tokens over OPENAI_MAX_TOKENS', { message: 'hola', max_tokens: 2001 }, 'max_tokens'],
      ['a string temperature', { message: 'hola', temperature: 'hot' }, 'temperature'],
      ['temperature over 2', { message: 'hola', temperature: 2.5 }, 'temperature'],
      ['a negative temperature', { message: 'hola', temperature: -0.1 }, 'temperature'],
      ['an unknown field', { message: 'hola', stream: true }, 'stream'],
    ];

    it.each(invalid)('rejects %s with 400 problem+json naming the field', async (_name, body, field) => {
      for (const path of ['/ai/chat', '/ai/chat/stream']) {
        const res = await call('POST', `${t.api}${path}`, body, { token: admin.token });
        expect(res.status).toBe(400);
        expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
        expect(res.body).toMatchObject({ status: 400, title: 'Validation failed', request_id: expect.any(String) });
        expect(res.body.errors).toEqual(expect.arrayContaining([{ field, message: expect.any(String) }]));
      }
      expect(fake.requests).toBe(0);
    });

    it('counts characters, not UTF-16 units: 4000 emoji are accepted', async () => {
      const res = await chat({ message: '😀'.repeat(4000), max_tokens: 2000, temperature: 2 });
      expect(res.status).toBe(200);
      expect(res.body.source).toBe('ai');
    });

    it('rejects a non-JSON body with 415 or 400, never 500', async () => {
      const res = await call('POST', `${t.api}/ai/chat`, 'message=hola', {
        token: admin.token,
        headers: { 'Content-Type': 'text/plain' },
      });
      expect([400, 415]).toContain(res.status);
      expect(fake.requests).toBe(0);
    });
  });

  describe('access', () => {
    it('answers 401 problem+json without a valid token', async () => {
      for (const [method, path, body] of [
        ['POST', '/ai/chat', { message: 'hola' }],
        ['POST', '/ai/chat/stream', { message: 'hola' }],
        ['GET', '/ai/interactions', undefined],
      ] as const) {
        const anonymous = await call(method, `${t.api}${path}`, body);
        expect(anonymous.status).toBe(401);
        expect(anonymous.headers.get('content-type')).toMatch(/^application\/problem\+json/);
        expect((await call(method, `${t.api}${path}`, body, { token: 'not.a.token' })).status).toBe(401);
      }
      expect(fake.requests).toBe(0);
    });

    it('lets any signed-in user chat, but only admins read the interactions', async () => {
      const user = await createUser(t.api, admin, { email: `ai-user-${randomBytes(3).toString('hex')}@example.com` });
      const res = await chat({ message: 'hola' }, user.session.token, { 'X-Request-Id': 'operator-chat' });
      expect(res.status).toBe(200);
      expect(res.body.source).toBe('ai');
      expect((await call('GET', `${t.api}/ai/interactions`, undefined, { token: user.session.token })).status).toBe(403);
      const mine = await interactions(`?user_id=${user.id}`);
      expect(mine.items).toEqual([expect.objectContaining({ user_id: user.id, request_id: 'operator-chat' })]);
    });
  });

  describe('interactions page', () => {
    it('pages newest first and filters by source and user', async () => {
      fake.mode = 'error500';
      await chat({ message: 'falla' }, admin.token, { 'X-Request-Id': 'page-fallback' });
      fake.mode = 'normal';
      await chat({ message: 'funciona' }, admin.token, { 'X-Request-Id': 'page-ai' });

      const all = await interactions('?skip=0');
      expect(all).toMatchObject({ skip: 0, limit: 100 });
      expect(all.total).toBe(all.items.length);
      const times = all.items.map((item) => item.created_at as string);
      expect([...times].sort().reverse()).toEqual(times);
      expect(all.items[0].request_id).toBe('page-ai');

      const one = await interactions('?limit=1&skip=1');
      expect(one).toMatchObject({ skip: 1, limit: 1, total: all.total });
      expect(one.items).toEqual([all.items[1]]);

      const fallbacks = await interactions('?source=fallback');
      expect(fallbacks.items.length).toBeGreaterThan(0);
      expect(fallbacks.items.every((item) => item.source === 'fallback')).toBe(true);
      const byAdmin = await interactions(`?user_id=${adminId}&source=ai`);
      expect(byAdmin.items.every((item) => item.user_id === adminId && item.source === 'ai')).toBe(true);
    });

    it.each(['limit=0', 'limit=101', 'skip=-1', 'limit=abc', 'source=other', 'user_id=not-a-uuid'])(
      'rejects ?%s with 400',
      async (query) => {
        const res = await call('GET', `${t.api}/ai/interactions?${query}`, undefined, { token: admin.token });
        expect(res.status).toBe(400);
        expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      },
    );
  });

  describe('retention', () => {
    it('purges records older than AI_LOG_RETENTION_DAYS and keeps the rest', async () => {
      await chat({ message: 'reciente' }, admin.token, { 'X-Request-Id': 'retention-recent' });
      await ai().flushInteractions();
      const data = t.app.get(DataSource);
      const partitions = t.app.get(MonthlyPartitions);
      await partitions.settled(); // the run started at boot
      await ensurePartitions(data, 'ai_interactions', new Date(Date.now() - 31 * 86_400_000), new Date());
      await data.query(
        `INSERT INTO ai_interactions (message_excerpt, source, latency_ms, created_at)
         VALUES ('viejo', 'ai', 1, now() - interval '31 days'), ('casi', 'ai', 1, now() - interval '29 days')`,
      );
      const [first] = (await partitions.run()).filter((r) => r.table === 'ai_interactions');
      // the old row went with its month's partition, or was trimmed from the month the cutoff falls in
      expect(first.error).toBeUndefined();
      expect(first.trimmed + first.dropped.length).toBeGreaterThanOrEqual(1);
      const rows: { message_excerpt: string }[] = await data.query(`SELECT message_excerpt FROM ai_interactions`);
      const excerpts = rows.map((r) => r.message_excerpt);
      expect(excerpts).not.toContain('viejo');
      expect(excerpts).toEqual(expect.arrayContaining(['casi', 'reciente']));
      const [again] = (await partitions.run()).filter((r) => r.table === 'ai_interactions');
      expect(again).toMatchObject({ trimmed: 0, dropped: [], created: [] });
    });
  });

  it('documents every AI route in the OpenAPI document', async () => {
    const doc = (await (await fetch(`${t.api}/openapi.json`)).json()) as {
      paths: Record<string, Record<string, { tags?: string[]; responses: Record<string, unknown> }>>;
    };
    expect(doc.paths['/ai/chat'].post.tags).toEqual(['ai']);
    expect(doc.paths['/ai/chat'].post.responses).toHaveProperty('200');
    expect(doc.paths['/ai/chat/stream'].post.responses['200']).toMatchObject({
      content: { 'text/event-stream': expect.any(Object) },
    });
    expect(doc.paths['/ai/interactions'].get.responses).toHaveProperty('200');
  });
});

describe('AI chat with no provider configured', () => {
  let db: ThrowawayDatabase;
  let t: TestApp;
  let admin: Session;

  beforeAll(async () => {
    db = await createThrowawayDatabase();
    t = await startApp({ DATABASE_URL: db.url, AI_REQUEST_TIMEOUT: '1', LOGIN_MAX_ATTEMPTS: '1000' });
    admin = await adminSession(t.api);
  });

  afterAll(async () => {
    await t?.close();
    await db?.drop();
  });

  it('answers the unavailable fallback at once, without any upstream call', async () => {
    const started = Date.now();
    const res = await call('POST', `${t.api}/ai/chat`, { message: 'hola' }, { token: admin.token });
    expect(Date.now() - started).toBeLessThan(300);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ response: FALLBACK_MESSAGES.ai_unavailable, source: 'fallback' });

    const stream = await readSse(`${t.api}/ai/chat/stream`, { message: 'hola' }, admin.token);
    expect(stream.events).toEqual([
      { event: 'done', data: expect.objectContaining({ response: FALLBACK_MESSAGES.ai_unavailable, source: 'fallback' }) },
    ]);

    const service = t.app.get(AiService);
    expect(service.providerStatus()).toEqual({
      configured: false,
      model: 'gpt-4',
      lastSuccessAt: null,
      lastFailureAt: null,
      lastFailureCause: null,
    });
    expect(service.stats().fallbacks.not_configured).toBe(2);
    await service.flushInteractions();
    const page = await call('GET', `${t.api}/ai/interactions`, undefined, { token: admin.token });
    // model null: no provider call was made
    expect(page.body.items[0]).toMatchObject({ source: 'fallback', fallback_cause: 'not_configured', model: null });
  });
});
