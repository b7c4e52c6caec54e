import type { NestExpressApplication } from '@nestjs/platform-express';
import { configFrom, type AppConfig } from '@gad/config';
import { createApp, type CreateAppOptions } from '../../src/create-app.js';
import { baseEnv, type Env } from './test-env.js';

export interface TestApp {
  app: NestExpressApplication;
  config: AppConfig;
  /** e.g. http://127.0.0.1:41234 */
  origin: string;
  /** origin + API prefix */
  api: string;
  close(): Promise<void>;
}

/** Boots the real pipeline (same as main.ts) on a free loopback port. */
export async function startApp(env: Env, options: CreateAppOptions = {}): Promise<TestApp> {
  const config = configFrom(baseEnv(env));
  const app = await createApp(config, options);
  const server = await app.listen(0, '127.0.0.1');
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const origin = `http://127.0.0.1:${port}`;
  return { app, config, origin, api: `${origin}${config.app.apiPrefix}`, close: () => app.close() };
}
