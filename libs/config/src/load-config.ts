import { existsSync } from 'node:fs';
import { config as loadDotenv } from 'dotenv';
import { parseConfig, type AppConfig, type ConfigResult } from './app-config.js';

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Refusing to start: ${problems.length} configuration problem(s):\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

let cached: ConfigResult | undefined;

/** The only reader of process.env. `.env` fills in what the real environment does not set. */
export function readEnvironment(): ConfigResult {
  if (!cached) {
    // .env is a development convenience; a production process takes only its real environment
    if (process.env.ENVIRONMENT?.toLowerCase() !== 'production' && existsSync('.env')) loadDotenv({ path: '.env', quiet: true });
    cached = parseConfig(process.env);
  }
  return cached;
}

/** Config for the running process; throws ConfigError listing every problem. */
export function loadAppConfig(): AppConfig {
  const { config, problems } = readEnvironment();
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}

/** For tests: a config from an explicit environment, with problems thrown. */
export function configFrom(env: Record<string, string | undefined>): AppConfig {
  const { config, problems } = parseConfig(env);
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}
