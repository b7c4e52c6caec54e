import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { configurationFrom, type Configuration } from '@gad/config';
import { createApp, type CreateAppOptions } from '../../src/create-app.js';
import { baseEnv, type Env } from './test-env.js';
import { createThrowawayDatabase, type ThrowawayDatabase } from './databases.js';

export interface TestApp {
  app: NestFastifyApplication;
  config: Configuration;
  /** e.g. http://127.0.0.1:41234 */
  origin: string;
  /** origin + API prefix */
  api: string;
  close(): Promise<void>;
}

/** Boots the real pipeline (same as main.ts) on a free loopback port. */
export async function startApp(env: Env, options: CreateAppOptions = {}): Promise<TestApp> {
  const config = configurationFrom(baseEnv(env));
  const app = await createApp(config, options);
  const server = await app.listen(0, '127.0.0.1');
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const origin = `http://127.0.0.1:${port}`;
  let closing: Promise<void> | undefined; // closing twice (a test, then its suite) is harmless
  return { app, config, origin, api: `${origin}${config.app.apiPrefix}`, close: () => (closing ??= app.close()) };
}

export interface SuiteApps {
  /** The suite's throwaway database (available once the suite's beforeAll ran). */
  readonly databaseUrl: string;
  /** Starts an app on the suite's database; it is closed after the suite. */
  start(env?: Env, options?: CreateAppOptions): Promise<TestApp>;
}

/** Per suite: one throwaway PostgreSQL database, and apps on it that close, with the database, after the suite. */
export function suiteApps(defaults: CreateAppOptions = {}): SuiteApps {
  let db: ThrowawayDatabase | undefined;
  const apps: TestApp[] = [];
  beforeAll(async () => {
    db = await createThrowawayDatabase();
  });
  afterAll(async () => {
    for (const app of apps) await app.close();
    await db?.drop();
  });
  return {
    get databaseUrl() {
      if (!db) throw new Error('suiteApps: the database exists only once the suite has started');
      return db.url;
    },
    async start(env: Env = {}, options: CreateAppOptions = defaults) {
      const app = await startApp({ DATABASE_URL: this.databaseUrl, ...env }, options);
      apps.push(app);
      return app;
    },
  };
}
