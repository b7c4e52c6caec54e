// openapi.json states facts the code also states; these tests keep the two in step.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { randomUUID } from 'node:crypto';
import { getMetadataStorage } from 'class-validator';
import { ChatRequestDto } from '@gad/ai';
import { configurationFrom } from '@gad/config';
import { MAX_PASSWORD_BYTES } from '@gad/users';
import { AuditQueryDto } from '../../../libs/audit/src/dto/audit.dto.js';
import { ChangePasswordDto, LoginDto } from '../../../libs/auth/src/dto/auth.dto.js';
import { InvalidateCacheDto } from '../../../libs/cache/src/dto/invalidate-cache.dto.js';
import { InteractionsQueryDto } from '../../../libs/ai/src/dto/interactions-query.dto.js';
import { PageQueryDto } from '@gad/database';
import { CreateUserDto, UpdateMeDto, UpdateUserDto } from '../../../libs/users/src/dto/user-input.dto.js';
import { adminSession, call } from './support/http.js';
import { suiteApps } from './support/test-app.js';

interface Schema {
  type?: string;
  format?: string;
  maxLength?: number;
  minLength?: number;
  minimum?: number;
  maximum?: number;
  maxItems?: number;
  enum?: unknown[];
  items?: Schema;
  properties?: Record<string, Schema>;
  required?: string[];
  allOf?: Schema[];
  additionalProperties?: boolean;
  nullable?: boolean;
  $ref?: string;
}
interface Operation {
  operationId?: string;
  security?: Record<string, string[]>[];
  parameters?: { name: string; in: string; schema: Schema }[];
  requestBody?: { content: Record<string, { schema: Schema }> };
  responses: Record<string, unknown>;
}
interface Document {
  servers: { url: string }[];
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Schema> };
}

const ROOT = resolve(import.meta.dirname, '../../..');
const doc = JSON.parse(readFileSync(resolve(ROOT, 'openapi.json'), 'utf8')) as Document;
const operations = Object.entries(doc.paths).flatMap(([path, item]) =>
  Object.entries(item).map(([method, operation]) => ({ path, method: method.toUpperCase(), operation })),
);

/** Public: no scheme at all, or `{}` among the alternatives (a credential is used when sent, never required). */
const isOpen = (operation: Operation): boolean =>
  operation.security?.length === 0 || Boolean(operation.security?.some((requirement) => Object.keys(requirement).length === 0));

/** What class-validator enforces on one property, in OpenAPI's words. */
function enforced(target: object, property: string): Schema {
  const rules = getMetadataStorage()
    .getTargetValidationMetadatas(target as new () => unknown, '', true, false)
    .filter((m) => m.propertyName === property);
  const out: Schema = {};
  for (const { name, constraints } of rules) {
    if (name === 'maxLength') out.maxLength = constraints[0] as number;
    if (name === 'minLength') out.minLength = constraints[0] as number;
    if (name === 'isLength') [out.minLength, out.maxLength] = constraints as number[];
    if (name === 'min') out.minimum = constraints[0] as number;
    if (name === 'max') out.maximum = constraints[0] as number;
    if (name === 'arrayMaxSize') out.maxItems = constraints[0] as number;
    if (name === 'isIn') out.enum = constraints[0] as unknown[];
    if (name === 'isUuid') [out.format, out.maxLength] = ['uuid', 36];
    if (name === 'isEmail') out.format = 'email';
  }
  return out;
}

const BODIES: Record<string, object> = {
  LoginDto,
  ChangePasswordDto,
  CreateUserDto,
  UpdateUserDto,
  UpdateMeDto,
  InvalidateCacheDto,
  ChatRequestDto,
};
const QUERIES: Record<string, object> = {
  '/users': PageQueryDto,
  '/audit': AuditQueryDto,
  '/ai/interactions': InteractionsQueryDto,
};

// Bounds checked outside class-validator: the same numbers, from where they are enforced.
const defaults = configurationFrom({});
const ELSEWHERE: Record<string, Schema> = {
  'ChatRequestDto.message': { maxLength: defaults.ai.maxMessageLength }, // ChatLimitsPipe, AI_MAX_MESSAGE_LENGTH
  'ChatRequestDto.max_tokens': { maximum: defaults.ai.maxTokens }, // ChatLimitsPipe, OPENAI_MAX_TOKENS
  'InvalidateCacheDto.key': { minLength: 1, maxLength: 512 }, // its own string-if-present validator
  'InvalidateCacheDto.prefix': { minLength: 1, maxLength: 512 }, // the same
};

/** The schema's stated bounds next to what the server enforces; only the keys either side states. */
function compare(name: string, documented: Schema, target: object, property: string): [Schema, Schema] {
  const actual = { ...enforced(target, property), ...ELSEWHERE[`${name}.${property}`] };
  const keys = ['maxLength', 'minimum', 'maximum', 'maxItems', 'format'] as const;
  const pick = (s: Schema): Schema => Object.fromEntries(keys.filter((k) => s[k] !== undefined).map((k) => [k, s[k]]));
  const stated = pick(
    documented.type === 'array' ? { ...documented, ...documented.items, maxItems: documented.maxItems } : documented,
  );
  if (stated.format && !['uuid', 'email'].includes(stated.format)) delete stated.format; // password, date-time: hints only
  return [stated, pick(actual)];
}

describe('openapi.json and the code', () => {
  it('states the limits the server enforces on every request field, with the same numbers', () => {
    const seen: string[] = [];
    for (const [name, target] of Object.entries(BODIES)) {
      const schema = doc.components.schemas[name];
      expect(schema).toBeDefined();
      for (const [property, documented] of Object.entries(schema.properties ?? {})) {
        const [stated, actual] = compare(name, documented, target, property);
        expect({ field: `${name}.${property}`, ...stated }).toEqual({ field: `${name}.${property}`, ...actual });
        if (documented.type === 'string' && !documented.enum) expect(documented.maxLength).toBeGreaterThan(0);
        seen.push(`${name}.${property}`);
      }
    }
    for (const [path, target] of Object.entries(QUERIES)) {
      for (const parameter of doc.paths[path].get.parameters ?? []) {
        const [stated, actual] = compare(path, parameter.schema, target, parameter.name);
        expect({ field: `${path}?${parameter.name}`, ...stated }).toEqual({ field: `${path}?${parameter.name}`, ...actual });
        seen.push(`${path}?${parameter.name}`);
      }
    }
    // passwords: class-validator's 72 characters stand for bcrypt's 72 bytes
    expect(doc.components.schemas.CreateUserDto.properties!.password.maxLength).toBe(MAX_PASSWORD_BYTES);
    expect(seen.length).toBeGreaterThan(25);
  });

  it('types every count as an integer (generated clients would make floats of `number`)', () => {
    const fractional = ['CacheStatsDto.hit_ratio', 'ChatRequestDto.temperature'];
    const numbers = Object.entries(doc.components.schemas).flatMap(([name, schema]) =>
      Object.entries(schema.properties ?? {})
        .filter(([, property]) => property.type === 'number')
        .map(([property]) => `${name}.${property}`),
    );
    expect(numbers.sort()).toEqual(fractional);
  });

  it('documents the forced-password-change 403 only where it can happen (not on change-password or GET /users/me)', () => {
    const exempt = ['GET /users/me', 'POST /auth/change-password'];
    const withForbidden = operations
      .filter(({ operation }) => !isOpen(operation) && '403' in operation.responses)
      .map(({ method, path }) => `${method} ${path}`);
    const signedIn = operations.filter(({ operation }) => !isOpen(operation));
    expect(withForbidden.filter((o) => exempt.includes(o))).toEqual([]);
    expect(withForbidden.length).toBe(signedIn.length - exempt.length);
  });

  it('documents the cookies that signing in, refreshing and signing out set', () => {
    const setCookie = (path: string, status: string) =>
      Object.keys((doc.paths[path].post.responses[status] as { headers?: object }).headers ?? {}).includes('Set-Cookie');
    expect([setCookie('/auth/login', '200'), setCookie('/auth/refresh', '200'), setCookie('/auth/logout', '204')]).toEqual([
      true,
      true,
      true,
    ]);
  });

  it('closes every request body (additionalProperties: false): the server refuses unknown fields', () => {
    const bodies = new Set(
      operations.flatMap(({ operation }) =>
        Object.values(operation.requestBody?.content ?? {}).map(({ schema }) => schema.$ref?.split('/').pop()),
      ),
    );
    expect([...bodies].sort()).toEqual(Object.keys(BODIES).sort());
    for (const name of bodies)
      expect({ name, closed: doc.components.schemas[name!].additionalProperties }).toEqual({ name, closed: false });
  });

  it('names each operation as a generated client would call it: unique camelCase ids, feature first', () => {
    const ids = operations.map(({ operation }) => operation.operationId);
    for (const id of ids) expect(id).toMatch(/^[a-z]+(?:[A-Z][a-z]+)+$/);
    expect(new Set(ids).size).toBe(ids.length);
    const idOf = (path: string, method: string) =>
      operations.find((o) => o.path === path && o.method === method)?.operation.operationId;
    expect([idOf('/users/{id}', 'GET'), idOf('/auth/login', 'POST'), idOf('/ai/chat/stream', 'POST')]).toEqual([
      'usersGet',
      'authLogin',
      'aiChatStream',
    ]);
  });

  it('documents a body for every operation that takes one, and every answer as problem+json', () => {
    for (const { path, method, operation } of operations) {
      if (method === 'POST' || method === 'PATCH') {
        const takesBody = !['/auth/refresh', '/auth/logout'].includes(path);
        expect({ path, body: Boolean(operation.requestBody) }).toEqual({ path, body: takesBody });
      }
      for (const [status, response] of Object.entries(operation.responses)) {
        if (Number(status) < 400 || path.startsWith('/health/ready')) continue;
        const content = (response as { content?: object; $ref?: string }).content;
        const shared = (response as { $ref?: string }).$ref?.startsWith('#/components/responses/');
        expect({ path, status, problem: shared || Object.keys(content ?? {}).includes('application/problem+json') }).toEqual({
          path,
          status,
          problem: true,
        });
      }
    }
  });
});

/** A schema with its $ref and allOf resolved into one list of properties. */
function resolved(schema: Schema): Schema {
  if (schema.$ref) return resolved(doc.components.schemas[schema.$ref.split('/').pop()!]);
  if (!schema.allOf) return schema;
  const parts = schema.allOf.map(resolved);
  return {
    ...schema,
    properties: Object.assign({}, schema.properties, ...parts.map((p) => p.properties)),
    required: [...(schema.required ?? []), ...parts.flatMap((p) => p.required ?? [])],
  };
}

const TYPE_CHECKS: Record<string, (value: unknown) => boolean> = {
  string: (value) => typeof value === 'string',
  integer: (value) => Number.isInteger(value),
  number: (value) => typeof value === 'number',
  boolean: (value) => typeof value === 'boolean',
  array: Array.isArray,
  object: (value) => typeof value === 'object' && !Array.isArray(value),
};

/**
 * Where a real answer and its documented schema disagree: fields it has that are not documented, required ones
 * it lacks, values of another type than documented, nulls where the document allows none, values outside an enum.
 */
function mismatches(value: unknown, schema: Schema, at: string): string[] {
  const s = resolved(schema);
  if (value === null) return s.nullable ? [] : [`${at} is null, which the document does not allow (nullable)`];
  if (s.type && !TYPE_CHECKS[s.type]?.(value)) return [`${at} is ${JSON.stringify(value)}, not of type ${s.type}`];
  if (s.enum && !s.enum.includes(value)) return [`${at} is ${JSON.stringify(value)}, not one of ${JSON.stringify(s.enum)}`];
  if (Array.isArray(value)) return s.items ? value.flatMap((item, i) => mismatches(item, s.items!, `${at}[${i}]`)) : [];
  if (value === null || typeof value !== 'object' || !s.properties) return [];
  const properties = s.properties;
  const record = value as Record<string, unknown>;
  return [
    ...Object.keys(record)
      .filter((key) => !(key in properties))
      .map((key) => `${at}.${key} is not documented`),
    ...(s.required ?? []).filter((key) => !(key in record)).map((key) => `${at}.${key} is required but missing`),
    ...Object.keys(record)
      .filter((key) => key in properties)
      .flatMap((key) => mismatches(record[key], properties[key], `${at}.${key}`)),
  ];
}

describe('openapi.json and the running server', () => {
  const apps = suiteApps();

  it('marks exactly the operations that answer without credentials as public (`security: []`, or `{}` among them)', async () => {
    const t = await apps.start({ RATE_LIMIT_CALLS: '100000' });
    const origin = `${t.origin}${doc.servers[0].url}`;
    const answers: { operation: string; public: boolean; status: number }[] = [];
    for (const { path, method, operation } of operations) {
      const url = origin + path.replace(/\{[^}]+\}/g, randomUUID());
      const body = ['POST', 'PATCH'].includes(method) ? '{}' : undefined;
      const res = await fetch(url, { method, body, headers: body ? { 'content-type': 'application/json' } : {} });
      await res.body?.cancel();
      answers.push({ operation: `${method} ${path}`, public: isOpen(operation), status: res.status });
    }
    for (const answer of answers)
      expect({ ...answer, status: answer.status === 401 }).toEqual({ ...answer, status: !answer.public });
    // signing out takes any credential it is given (a generated client sends only what `security` names)
    expect(doc.paths['/auth/logout'].post.security).toEqual([{ bearer: [] }, { access_token: [] }, { refresh_token: [] }, {}]);
    expect(answers.filter((a) => a.public).map((a) => a.operation)).toEqual(
      expect.arrayContaining(['POST /auth/login', 'POST /auth/logout', 'GET /health', 'GET /health/ready']),
    );
  });

  it("lists the rate-limit headers exactly on the answers that carry them: counted ones, not the edge's 413 and 415", async () => {
    const t = await apps.start({ RATE_LIMIT_CALLS: '100000', MAX_SMALL_REQUEST_BODY_SIZE: '1024' });
    const rateHeaders = (res: Response) => [...res.headers.keys()].filter((name) => name.startsWith('x-ratelimit-'));
    const documented = (status: string) => {
      const response = doc.paths['/users'].post.responses[status] as { $ref?: string; headers?: object };
      const shared = (doc.components as { responses?: Record<string, { headers?: object }> }).responses;
      const headers = response.$ref ? shared?.[response.$ref.split('/').pop()!]?.headers : response.headers;
      return Object.keys(headers ?? {})
        .filter((name) => name.startsWith('X-RateLimit-'))
        .map((name) => name.toLowerCase());
    };
    const tooLarge = await fetch(`${t.api}/users`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: `"${'x'.repeat(2000)}"`,
    });
    const wrongType = await fetch(`${t.api}/users`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'x' });
    const unauthorized = await fetch(`${t.api}/users`, { method: 'POST' }); // no body: the guard answers, after the limiter
    for (const res of [tooLarge, wrongType, unauthorized]) await res.body?.cancel();
    expect([tooLarge.status, wrongType.status, unauthorized.status]).toEqual([413, 415, 401]);
    expect([rateHeaders(tooLarge), documented('413')]).toEqual([[], []]);
    expect([rateHeaders(wrongType), documented('415')]).toEqual([[], []]);
    expect(rateHeaders(unauthorized).sort()).toEqual(documented('401').sort());
    expect(rateHeaders(unauthorized)).toHaveLength(3);
  });

  it('documents every field of every JSON answer an admin can read, and each required one is there', async () => {
    const t = await apps.start({ RATE_LIMIT_CALLS: '100000' });
    const admin = await adminSession(t.api);
    const me = await call('GET', `${t.api}/users/me`, undefined, { token: admin.token });
    const origin = `${t.origin}${doc.servers[0].url}`;
    const checked: string[] = [];
    const found: string[] = [];
    for (const { path, method, operation } of operations) {
      const schema = (operation.responses['200'] as { content?: Record<string, { schema?: Schema }> } | undefined)?.content?.[
        'application/json'
      ]?.schema;
      if (method !== 'GET' || !schema || !(schema.$ref || schema.properties)) continue;
      const res = await call('GET', origin + path.replace('{id}', me.body.id), undefined, { token: admin.token });
      expect({ path, status: res.status }).toEqual({ path, status: 200 });
      found.push(...mismatches(res.body, schema, `GET ${path}`));
      checked.push(path);
    }
    expect(found).toEqual([]);
    expect(checked).toEqual(
      expect.arrayContaining(['/health', '/health/ready', '/users/me', '/users', '/users/{id}', '/cache/stats', '/audit']),
    );
  });
});
