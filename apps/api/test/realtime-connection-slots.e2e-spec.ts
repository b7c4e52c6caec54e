import { randomBytes } from 'node:crypto';
import { configFrom } from '@gad/config';
import { ConnectionSlots } from '../../../libs/realtime/src/connection-slots.repository.js';
import { TEST_REDIS_URL, baseEnv } from './support/test-env.js';
import { RedisService } from '@gad/redis';

/** The cluster-wide WS_MAX_CONNECTIONS counter against real Redis: two "instances", one of which dies. */
describe('ConnectionSlots (Redis)', () => {
  const config = configFrom(
    baseEnv({ REDIS_URL: TEST_REDIS_URL, PROJECT_NAME: `GAD_SLOTS_${randomBytes(4).toString('hex')}`, WS_MAX_CONNECTIONS: '2' }),
  );
  const redis = new RedisService(config);
  const a = new ConnectionSlots(config, redis);
  const b = new ConnectionSlots(config, redis);
  const instances = `${config.app.name}:${config.environment}:{ws-connections}:instances`;

  beforeAll(() => redis.onModuleInit());
  afterAll(async () => {
    await Promise.all([a.onApplicationShutdown(), b.onApplicationShutdown()]);
    await redis.onApplicationShutdown();
  });

  it('counts every instance, frees a released slot, and forgets an instance that stops heartbeating', async () => {
    const first = await a.acquire();
    expect(first).toBeDefined();
    expect(await b.acquire()).toBeDefined();
    expect(await a.total()).toBe(2);
    expect(await b.acquire()).toBeUndefined();

    first!.release();
    first!.release(); // idempotent
    await waitFor(async () => (await b.total()) === 1);
    const again = await b.acquire();
    expect(again).toBeDefined();
    expect(await a.acquire()).toBeUndefined();

    // b "crashes": its heartbeat deadline passes without a renewal
    await redis.run((c) => c.zAdd(instances, { score: 0, value: b.instanceId }));
    expect(await a.total()).toBe(0);
    expect(await a.acquire()).toBeDefined();
    expect(a.local).toBe(1);
  });
});

async function waitFor(check: () => Promise<boolean>, timeoutMs = 2000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
