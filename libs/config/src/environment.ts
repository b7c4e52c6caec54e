import { existsSync } from 'node:fs';
import { config as loadDotenv } from 'dotenv';
import type { z } from 'zod';
import { resolveDatabaseUrl } from './database-url.js';
import { environmentSchema, type Environment } from './environment.schema.js';

export type RawEnvironment = Record<string, string | undefined>;

export interface ValidatedEnvironment {
  env: Environment;
  /** Refusals: the boot stops. */
  problems: string[];
  /** Reported but not fatal. */
  warnings: string[];
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Refusing to start: ${problems.length} configuration problem(s):\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

// Placeholders from example configurations: never acceptable as real secrets.
const PLACEHOLDER_SECRETS = [
  'tu_clave_secreta_minimo_32_caracteres_2024',
  'generar_con_openssl_rand_hex_32_aqui',
  'changeme',
  'change-me',
  'secret',
];

type Scope = 'always' | 'deployed' | 'production';

/** A setting that is risky: refused in production, a warning wherever else it applies. */
interface Risk {
  scope: Scope;
  problem(env: Environment): string | undefined;
}

const RISKS: Risk[] = [
  {
    scope: 'always',
    problem: ({ SECRET_KEY: key }) => {
      if (!key) return 'SECRET_KEY is missing (generate one with: openssl rand -hex 32)';
      if (PLACEHOLDER_SECRETS.includes(key.toLowerCase()))
        return 'SECRET_KEY is a placeholder from the example configuration: generate a real one';
      if (key.length < 32) return `SECRET_KEY must be at least 32 characters (it has ${key.length})`;
      return undefined;
    },
  },
  { scope: 'deployed', problem: (env) => (env.DEBUG ? 'DEBUG must be false in production' : undefined) },
  {
    scope: 'always',
    problem: (env) => (env.CORS_ALLOWED_ORIGINS.includes('*') ? 'CORS_ALLOWED_ORIGINS must not contain "*"' : undefined),
  },
  {
    scope: 'deployed',
    problem: (env) =>
      resolveDatabaseUrl(env).source === 'embedded'
        ? 'no database is configured (set DATABASE_URL); the embedded PGlite is for development only'
        : undefined,
  },
  { scope: 'production', problem: (env) => (env.ADMIN_PASSWORD ? undefined : 'ADMIN_PASSWORD is missing') },
  {
    scope: 'production',
    problem: (env) =>
      env.BCRYPT_ROUNDS !== undefined && env.BCRYPT_ROUNDS < 10 ? 'BCRYPT_ROUNDS must be at least 10 in production' : undefined,
  },
];

/** Reported in production, never refused. */
const PRODUCTION_WARNINGS: Array<(env: Environment) => string | undefined> = [
  (env) =>
    env.SECURE_COOKIES === false
      ? 'SECURE_COOKIES=false in production: auth cookies will also travel over plain HTTP'
      : undefined,
];

/** Settings that contradict each other: reported in every environment, never refused. */
const CONSISTENCY_WARNINGS: Array<(env: Environment) => string | undefined> = [
  (env) =>
    env.OPENAI_API_KEY && env.AI_REQUEST_TIMEOUT >= env.REQUEST_TIMEOUT_SECONDS
      ? `AI_REQUEST_TIMEOUT (${env.AI_REQUEST_TIMEOUT} s) is not below REQUEST_TIMEOUT_SECONDS (${env.REQUEST_TIMEOUT_SECONDS} s): ` +
        'a slow provider call is cut off by the request timeout (503) before its fallback answer is sent'
      : undefined,
];

/**
 * Checks an environment against the schema and the production policy, reporting every problem at
 * once. Pure: the caller decides what a problem means (the boot stops; a test asserts).
 */
export function validateEnvironment(raw: RawEnvironment): ValidatedEnvironment {
  const input = declaredVariables(raw);
  const result = environmentSchema.safeParse(input);
  // one line per variable that failed; it takes its default, so the rest can still be checked
  const firstIssues = new Map<string, z.core.$ZodIssue>();
  for (const issue of result.success ? [] : result.error.issues) {
    if (!firstIssues.has(String(issue.path[0]))) firstIssues.set(String(issue.path[0]), issue);
  }
  const problems = [...firstIssues.values()].map((issue) => describe(issue, input));
  const failed = new Set(firstIssues.keys());
  const env = result.success ? result.data : environmentSchema.parse(omit(input, failed));

  const database = resolveDatabaseUrl(env);
  if (database.problem) problems.push(database.problem);

  const production = env.ENVIRONMENT === 'production';
  const deployed = production || env.ENVIRONMENT === 'staging';
  const inScope: Record<Scope, boolean> = { always: true, deployed, production };
  const risks = RISKS.filter((risk) => inScope[risk.scope])
    .map((risk) => risk.problem(env))
    .filter((message): message is string => message !== undefined);
  const warnings = production ? PRODUCTION_WARNINGS.map((w) => w(env)).filter((m): m is string => m !== undefined) : [];
  if (production) problems.push(...risks);
  else warnings.push(...risks.map((risk) => `${risk} (refused in production)`));
  warnings.push(...CONSISTENCY_WARNINGS.map((w) => w(env)).filter((m): m is string => m !== undefined));
  return { env, problems, warnings };
}

/** Throws ConfigError listing every problem; otherwise the typed environment. */
export function environmentFrom(raw: RawEnvironment): Environment {
  const { env, problems } = validateEnvironment(raw);
  if (problems.length > 0) throw new ConfigError(problems);
  return env;
}

let processEnvironment: ValidatedEnvironment | undefined;

/** The only reader of process.env. `.env` fills in what the real environment does not set (never in production). */
export function readProcessEnvironment(): ValidatedEnvironment {
  if (!processEnvironment) {
    if (process.env.ENVIRONMENT?.toLowerCase() !== 'production' && existsSync('.env')) loadDotenv({ path: '.env', quiet: true });
    processEnvironment = validateEnvironment(process.env);
  }
  return processEnvironment;
}

/** Blank values count as unset, as a shell's `VAR=` does; surrounding spaces are dropped. */
function declaredVariables(raw: RawEnvironment): Record<string, string> {
  const input: Record<string, string> = {};
  for (const name of Object.keys(environmentSchema.shape)) {
    const value = raw[name]?.trim();
    if (value) input[name] = value;
  }
  return input;
}

function omit(input: Record<string, string>, names: Set<string>): Record<string, string> {
  return Object.fromEntries(Object.entries(input).filter(([name]) => !names.has(name)));
}

/** One line per problem, naming the variable and what it got. */
function describe(issue: z.core.$ZodIssue, input: Record<string, string>): string {
  const name = String(issue.path[0]);
  const got = `(got "${input[name] ?? ''}")`;
  if (issue.path.length > 1) return `${name} must be a JSON list of strings, e.g. ["https://example.com"] ${got}`;
  switch (issue.code) {
    case 'invalid_type':
      return `${name} must be ${issue.expected === 'int' ? 'an integer' : `a ${issue.expected}`} ${got}`;
    case 'too_small':
      return `${name} must be at least ${String(issue.minimum)} ${got}`;
    case 'too_big':
      return `${name} must be at most ${String(issue.maximum)} ${got}`;
    case 'invalid_value':
      return issue.values.includes('true')
        ? `${name} must be true or false ${got}`
        : `${name} must be one of ${issue.values.join(', ')} ${got}`;
    default:
      return `${name} ${issue.message} ${got}`;
  }
}
