import { randomBytes, randomUUID } from 'node:crypto';
import { createClient } from 'redis';
import { AiService, type ChatAnswer } from '@gad/ai';
import { createThrowawayDatabase, type ThrowawayDatabase } from '../support/databases.js';
import { FakeOpenAi } from '../support/fake-openai.js';
import { startApp, type TestApp } from '../support/test-app.js';
import { TcpProxy } from '../support/tcp-proxy.js';
import { TEST_REDIS_URL, type Env } from '../support/test-env.js';
import { RedisService } from '@gad/redis';

// The AI sliding windows shared through a real Redis, and what happens when Redis goes away.
describe('AI window in Redis', () => {
  let db: ThrowawayDatabase;
  let fake: FakeOpenAi;
  const apps: TestApp[] = [];

  const boot = async (env: Env): Promise<TestApp> => {
    const t = await startApp({
      DATABASE_URL: db.url,
      OPENAI_BASE_URL: fake.baseUrl,
      REDIS_URL: TEST_REDIS_URL,
      ...env,
    });
    apps.push(t);
    return t;
  };
  const ask = (t: TestApp, userId: string): Promise<ChatAnswer> =>
    t.app.get(AiService).chat({ message: 'hola' }, { userId, requestId: randomUUID() });
  const sources = async (t: TestApp, userId: string, count: number) => {
    const out: string[] = [];
    for (let i = 0; i < count; i++) out.push((await ask(t, userId)).source);
    return out;
  };

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

  it('two app instances sharing Redis share the global and the per-user windows', async () => {
    // a project name of its own keeps this test's keys apart from every other run
    const project = `GAD_AI_${randomBytes(4).toString('hex')}`;
    const env = { PROJECT_NAME: project, AI_MAX_REQUESTS_PER_MINUTE: '6', AI_USER_MAX_REQUESTS_PER_MINUTE: '4' };
    const a = await boot(env);
    const b = await boot(env);
    const [u1, u2, u3] = [randomUUID(), randomUUID(), randomUUID()];

    expect(await sources(a, u1, 3)).toEqual(['ai', 'ai', 'ai']);
    expect(await sources(b, u1, 1)).toEqual(['ai']); // u1's 4th, counted across instances
    expect(await sources(a, u1, 1)).toEqual(['fallback']); // u1 is over its own limit
    expect(await sources(b, u2, 2)).toEqual(['ai', 'ai']); // the global window is now full (6)
    expect(await sources(a, u3, 1)).toEqual(['fallback']);
    expect(await sources(b, u3, 1)).toEqual(['fallback']);
    expect(fake.requests).toBe(6);
    expect(a.app.get(AiService).stats().window).toBe('redis');

    const redis = createClient({ url: TEST_REDIS_URL });
    await redis.connect();
    try {
      const keys = await redis.keys(`${project}:*`);
      expect(keys.every((key) => key.startsWith(`${project}:test:{limits}:`))).toBe(true);
      expect(await redis.hGet(`${project}:test:{limits}:ai:global`, '_')).toBe('6');
      expect(await redis.pTTL(`${project}:test:{limits}:ai:global`)).toBeGreaterThan(50_000);
      await redis.del(keys);
    } finally {
      await redis.close();
    }
  });

  it('falls back to the in-memory window while Redis is unreachable, and returns to Redis after', async () => {
    const target = new URL(TEST_REDIS_URL);
    const proxy = new TcpProxy(target.hostname, Number(target.port || 6379));
    const port = await proxy.start();
    const url = new URL(TEST_REDIS_URL);
    url.port = String(port);
    const t = await boot({
      REDIS_URL: url.toString(),
      PROJECT_NAME: `GAD_AI_${randomBytes(4).toString('hex')}`,
      AI_MAX_REQUESTS_PER_MINUTE: '4',
    });
    const service = t.app.get(AiService);
    const user = randomUUID();

    expect(await sources(t, user, 2)).toEqual(['ai', 'ai']);
    expect(service.stats().window).toBe('redis');

    await proxy.stop();
    // this process counts on its own while Redis is away (fail-open), and still limits
    expect(await sources(t, user, 5)).toEqual(['ai', 'ai', 'ai', 'ai', 'fallback']);
    expect(service.stats().window).toBe('memory');
    expect(fake.requests).toBe(6);

    await proxy.start(port);
    const redis = t.app.get(RedisService);
    await fake.waitFor(() => redis.isReady, 8000);
    // Redis saw only its own two calls: two more fit there
    await new Promise((resolve) => setTimeout(resolve, 1100)); // past the breaker's pause
    expect(await sources(t, user, 3)).toEqual(['ai', 'ai', 'fallback']);
    expect(service.stats().window).toBe('redis');
    // closed while Redis is reachable: app.close() with Redis down currently hangs in RedisService (reported)
    await t.close();
    apps.splice(apps.indexOf(t), 1);
    await proxy.stop();
  }, 20_000);
});
