import { randomBytes, randomUUID } from 'node:crypto';
import { AiService, FALLBACK_MESSAGES } from '@gad/ai';
import { createThrowawayDatabase, type ThrowawayDatabase } from '../support/databases.js';
import { FakeOpenAi } from '../support/fake-openai.js';
import { adminSession, call, createUser, type Session } from '../support/http.js';
import { startApp, type TestApp } from '../support/test-app.js';
import type { Env } from '../support/test-env.js';

// Limits in memory (no REDIS_URL): the per-process concurrency cap, its queue, and the sliding windows.
describe('AI limits (in-memory window)', () => {
  let db: ThrowawayDatabase;
  let fake: FakeOpenAi;
  const apps: TestApp[] = [];

  const boot = async (env: Env): Promise<{ t: TestApp; admin: Session }> => {
    const t = await startApp({
      DATABASE_URL: db.url,
      PROJECT_NAME: `GAD_AI_${randomBytes(4).toString('hex')}`,
      OPENAI_BASE_URL: fake.baseUrl,
      RATE_LIMIT_CALLS: '100000',
      LOGIN_MAX_ATTEMPTS: '1000',
      AI_USER_MAX_REQUESTS_PER_MINUTE: '10000',
      ...env,
    });
    apps.push(t);
    return { t, admin: await adminSession(t.api) };
  };
  const chat = (t: TestApp, token: string, message = 'hola') =>
    call('POST', `${t.api}/ai/chat`, { message }, { token }).then((res) => {
      expect(res.status).toBe(200);
      return res.body as { response: string; source: 'ai' | 'fallback' };
    });

  beforeAll(async () => {
    fake = await new FakeOpenAi().start();
    db = await createThrowawayDatabase();
  });

  afterAll(async () => {
    for (const t of apps) await t.close();
    await fake?.stop();
    await db?.drop();
  });

  beforeEach(() => fake.reset());

  it('never has more than AI_MAX_CONCURRENT_REQUESTS calls in flight; the rest wait their turn', async () => {
    const { t, admin } = await boot({ AI_MAX_CONCURRENT_REQUESTS: '2', AI_REQUEST_TIMEOUT: '5' });
    fake.mode = 'slow';
    fake.delayMs = 250;
    const answers = await Promise.all(Array.from({ length: 6 }, (_, i) => chat(t, admin.token, `pregunta ${i}`)));
    expect(answers.map((a) => a.source)).toEqual(Array(6).fill('ai'));
    expect(fake.requests).toBe(6);
    expect(fake.maxInFlight).toBe(2);
    expect(t.app.get(AiService).stats()).toMatchObject({ inFlight: 0, queued: 0 });
  });

  it('turns away at once a chat that would wait past its own timeout, instead of sleeping', async () => {
    const { t, admin } = await boot({ AI_MAX_CONCURRENT_REQUESTS: '1', AI_REQUEST_TIMEOUT: '1' });
    fake.mode = 'slow';
    fake.delayMs = 600;
    // teaches the service how long a call takes
    expect((await chat(t, admin.token)).source).toBe('ai');

    const timed = (message: string) => {
      const started = Date.now();
      return chat(t, admin.token, message).then((body) => ({ ...body, ms: Date.now() - started }));
    };
    const first = timed('primera');
    await fake.waitFor(() => fake.inFlight === 1);
    const second = timed('segunda'); // one round of ~600 ms fits in its 1 s budget: it queues
    await fake.waitFor(() => t.app.get(AiService).stats().queued === 1);
    const third = timed('tercera'); // two rounds do not: fallback now
    const thirdResult = await third;
    expect(thirdResult).toMatchObject({ source: 'fallback', response: FALLBACK_MESSAGES.ai_unavailable });
    expect(thirdResult.ms).toBeLessThan(300);

    expect((await first).source).toBe('ai');
    const secondResult = await second;
    // it waited ~600 ms, so only ~400 ms were left for its own call: its deadline covers the queue too
    expect(secondResult).toMatchObject({ source: 'fallback', response: FALLBACK_MESSAGES.timeout_error });
    expect(secondResult.ms).toBeLessThan(1000 + 700);
    expect(fake.maxInFlight).toBe(1);
    expect(t.app.get(AiService).stats().fallbacks).toMatchObject({ overloaded: 1, timeout: 1 });
  });

  it('the call past AI_MAX_REQUESTS_PER_MINUTE is a fallback, not an upstream call (small window)', async () => {
    const { t, admin } = await boot({ AI_MAX_REQUESTS_PER_MINUTE: '3' });
    for (let i = 0; i < 3; i++) expect((await chat(t, admin.token)).source).toBe('ai');
    const fourth = await chat(t, admin.token);
    expect(fourth).toMatchObject({ source: 'fallback', response: FALLBACK_MESSAGES.ai_unavailable });
    expect(fake.requests).toBe(3);
    const service = t.app.get(AiService);
    expect(service.stats()).toMatchObject({ window: 'memory', fallbacks: expect.objectContaining({ rate_limited: 1 }) });
    // our own limit says nothing about the provider
    expect(service.providerStatus().lastFailureCause).toBeNull();
  });

  it('the 61st call in a minute is a fallback, not an upstream call (the default window of 60)', async () => {
    const { t, admin } = await boot({});
    expect(t.config.ai.maxRequestsPerMinute).toBe(60);
    for (let round = 0; round < 6; round++) {
      const answers = await Promise.all(Array.from({ length: 10 }, () => chat(t, admin.token)));
      expect(answers.every((a) => a.source === 'ai')).toBe(true);
    }
    expect(fake.requests).toBe(60);
    expect(await chat(t, admin.token)).toMatchObject({ source: 'fallback', response: FALLBACK_MESSAGES.ai_unavailable });
    expect(fake.requests).toBe(60);
  });

  it('throttles each user inside the global window', async () => {
    const { t, admin } = await boot({ AI_MAX_REQUESTS_PER_MINUTE: '3', AI_USER_MAX_REQUESTS_PER_MINUTE: '2' });
    const other = await createUser(t.api, admin, { email: `ai-limit-${randomBytes(3).toString('hex')}@example.com` });
    expect((await chat(t, admin.token)).source).toBe('ai');
    expect((await chat(t, admin.token)).source).toBe('ai');
    expect((await chat(t, admin.token)).source).toBe('fallback'); // the admin's own limit
    expect((await chat(t, other.session.token)).source).toBe('ai'); // the other user still has room
    expect((await chat(t, other.session.token)).source).toBe('fallback'); // now the global window is full
    expect(fake.requests).toBe(3);
  });

  it('gives the window slot back when the chat never reached the provider', async () => {
    const { t } = await boot({ AI_MAX_REQUESTS_PER_MINUTE: '2', AI_MAX_CONCURRENT_REQUESTS: '1', AI_REQUEST_TIMEOUT: '1' });
    const service = t.app.get(AiService);
    const controller = new AbortController();
    fake.mode = 'slow';
    fake.delayMs = 200;
    const first = service.chat({ message: 'uno' }, { userId: randomUUID(), requestId: 'a' });
    await fake.waitFor(() => fake.inFlight === 1);
    // queued behind the first, then its client leaves: cancelled before any upstream call
    const leaving = service.chat({ message: 'dos' }, { userId: randomUUID(), requestId: 'b', signal: controller.signal });
    controller.abort();
    expect((await leaving).source).toBe('fallback');
    expect((await first).source).toBe('ai');
    // so the window still has room for a second call
    expect((await service.chat({ message: 'tres' }, { userId: randomUUID(), requestId: 'c' })).source).toBe('ai');
    expect(fake.requests).toBe(2);
  });
});
