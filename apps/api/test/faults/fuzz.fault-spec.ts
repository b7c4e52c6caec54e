import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { createThrowawayDatabase, type ThrowawayDatabase } from '../support/databases.js';
import { adminSession, call, createUser } from '../support/http.js';
import { startApp, type TestApp } from '../support/test-app.js';
import { recordScenario } from './support/report.js';

interface OpenApi {
  servers: [{ url: string }];
  paths: Record<string, Record<string, { parameters?: Array<{ name: string; in: string }> }>>;
}

// Deterministic pseudo-random generator, so a failure can be replayed from the seed.
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const NASTY_STRINGS = [
  '',
  ' ',
  "O'Brien",
  "Robert'); DROP TABLE users;--",
  '<script>alert(1)</script>',
  '\u0000',
  '\uD800',
  '𝔘𝔫𝔦𝔠𝔬𝔡𝔢 🎉',
  'a'.repeat(10_000),
  '../../etc/passwd',
  '%00%2e%2e',
  '${jndi:ldap://x}',
  'null',
  'NaN',
  '-1',
  '1e309',
];
const NASTY_NUMBERS = [0, -1, 1.5, 2 ** 53, -(2 ** 63), 1e308, Number.MAX_SAFE_INTEGER + 2];
const POLLUTION_KEYS = ['__proto__', 'constructor', 'prototype'];

function randomValue(next: () => number, depth = 0): unknown {
  const pick = Math.floor(next() * 9);
  switch (pick) {
    case 0:
      return NASTY_STRINGS[Math.floor(next() * NASTY_STRINGS.length)];
    case 1:
      return NASTY_NUMBERS[Math.floor(next() * NASTY_NUMBERS.length)];
    case 2:
      return next() < 0.5;
    case 3:
      return null;
    case 4:
      return depth < 3 ? Array.from({ length: Math.floor(next() * 4) }, () => randomValue(next, depth + 1)) : [];
    case 5:
      return depth < 3 ? randomObject(next, depth + 1) : {};
    case 6:
      return { constructor: { prototype: { isAdmin: true } } };
    default:
      return String.fromCharCode(...Array.from({ length: Math.floor(next() * 40) }, () => Math.floor(next() * 0xffff)));
  }
}

function safeEncode(value: string): string {
  try {
    return encodeURIComponent(value);
  } catch {
    return encodeURIComponent(value.replace(/[\uD800-\uDFFF]/g, '\uFFFD')); // lone surrogates
  }
}

function randomObject(next: () => number, depth = 0, knownFields: string[] = []): Record<string, unknown> {
  const fields = [
    ...knownFields,
    ...POLLUTION_KEYS,
    'email',
    'password',
    'full_name',
    'roles',
    'is_superuser',
    'message',
    'key',
    'prefix',
  ];
  const object: Record<string, unknown> = {};
  const count = Math.floor(next() * 6);
  for (let i = 0; i < count; i++) {
    const key = fields[Math.floor(next() * fields.length)];
    Object.defineProperty(object, key, { value: randomValue(next, depth), enumerable: true, configurable: true, writable: true });
  }
  return object;
}

describe('fuzz: random bodies and queries on every endpoint', () => {
  let db: ThrowawayDatabase;
  let t: TestApp;

  beforeAll(async () => {
    db = await createThrowawayDatabase();
    t = await startApp({
      DATABASE_URL: db.url,
      LOGIN_MAX_ATTEMPTS: '1000000',
      LOGIN_MAX_ATTEMPTS_PER_ADDRESS: '1000000',
      RATE_LIMIT_CALLS: '1000000',
    });
  });
  afterAll(async () => {
    await t?.close();
    await db?.drop();
  });

  it('never answers 5xx, never crashes, and never changes another user', async () => {
    const admin = await adminSession(t.api);
    const victim = await createUser(t.api, admin, { email: 'victim@example.com', full_name: 'Victim', roles: ['operator'] });
    const attacker = await createUser(t.api, admin, {
      email: 'attacker@example.com',
      full_name: 'Attacker',
      roles: ['operator'],
    });
    const before = (await call('GET', `${t.api}/users/${victim.id}`, undefined, { token: admin.token })).body;

    const spec = JSON.parse(readFileSync(resolve(import.meta.dirname, '../../../../openapi.json'), 'utf8')) as OpenApi;
    const operations = Object.entries(spec.paths).flatMap(([path, methods]) =>
      Object.keys(methods).map((method) => ({ path, method: method.toUpperCase() })),
    );
    const next = rng(Number(process.env.FUZZ_SEED ?? 20261128));
    const statuses: Record<string, number> = {};
    const fiveHundreds: string[] = [];
    const rounds = Number(process.env.FUZZ_ROUNDS ?? 12);

    for (let round = 0; round < rounds; round++) {
      for (const op of operations) {
        if (op.path.includes('/auth/logout') || op.path.includes('/auth/change-password')) continue; // would end the attacker's session
        const path = op.path.replace(/\{[^}]+\}/g, () => (next() < 0.5 ? victim.id : safeEncode(String(randomValue(next)))));
        const query = new URLSearchParams(
          Object.entries(randomObject(next, 2, ['skip', 'limit', 'actor', 'action', 'source', 'user_id'])).map(
            ([k, v]): [string, string] => [k, typeof v === 'string' ? v : JSON.stringify(v)],
          ),
        );
        const token = next() < 0.8 ? attacker.session.token : undefined;
        const rawBody = next() < 0.1 ? '{"a":' : JSON.stringify(next() < 0.7 ? randomObject(next) : randomValue(next));
        const res = await call(
          op.method,
          `${t.origin}${spec.servers[0].url}${path}?${query}`,
          op.method === 'GET' ? undefined : rawBody,
          {
            token,
          },
        ).catch(() => ({ status: 'error' as const, body: undefined }));
        statuses[String(res.status)] = (statuses[String(res.status)] ?? 0) + 1;
        if (res.status === 'error' || res.status >= 500)
          fiveHundreds.push(`${op.method} ${path} → ${res.status} ${JSON.stringify(res.body)?.slice(0, 200)}`);
      }
    }
    const after = (await call('GET', `${t.api}/users/${victim.id}`, undefined, { token: admin.token })).body;
    const alive = (await call('GET', `${t.api}/health`)).status;
    const prototypeClean = ({} as Record<string, unknown>).isAdmin === undefined;
    const ok = fiveHundreds.length === 0 && alive === 200 && JSON.stringify(after) === JSON.stringify(before) && prototypeClean;
    recordScenario({
      scenario: '7. Bad input at volume (fuzz)',
      load: `${rounds} rounds over ${operations.length} operations from openapi.json, as a signed-in operator (80%) or anonymous`,
      faults: 'random types, lengths, unicode, huge numbers, malformed JSON, __proto__/constructor keys, random path ids',
      statuses,
      verdict: ok ? 'pass' : 'fail',
      notes: `victim unchanged: ${JSON.stringify(after) === JSON.stringify(before)}; process alive: ${alive === 200}; ${fiveHundreds.length} 5xx${fiveHundreds.length ? ': ' + fiveHundreds.slice(0, 3).join(' | ') : ''}`,
    });
    expect(fiveHundreds).toEqual([]);
    expect(alive).toBe(200);
    expect(after).toEqual(before);
    expect(prototypeClean).toBe(true);
  });
});
