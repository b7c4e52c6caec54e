import { createThrowawayDatabase, type ThrowawayDatabase } from './support/databases.js';
import { adminSession, call } from './support/http.js';
import { startApp, type TestApp } from './support/test-app.js';

const SAMPLE = /^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="(\\.|[^"\\])*",?)*\})? (-?[0-9.e+-]+|[Nn][Aa][Nn]|[+-]Inf)$/; // Prometheus parses NaN case-insensitively (prom-client prints "Nan")

/** Checks every line against the Prometheus text exposition format. */
function parseExposition(text: string): Map<string, number> {
  const samples = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('# HELP ') || line.startsWith('# TYPE ')) continue;
    if (!SAMPLE.test(line)) throw new Error(`not Prometheus text: ${line}`);
    const at = line.lastIndexOf(' ');
    samples.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return samples;
}

describe('metrics', () => {
  let db: ThrowawayDatabase;
  let t: TestApp;

  beforeAll(async () => {
    db = await createThrowawayDatabase();
    t = await startApp({ DATABASE_URL: db.url, RATE_LIMIT_CALLS: '100000', METRICS_TOKEN: 'scrape-token-0123456789' });
  });
  afterAll(async () => {
    await t?.close();
    await db?.drop();
  });

  it('serves valid Prometheus text outside the API prefix, with route templates and every subsystem', async () => {
    const admin = await adminSession(t.api);
    const me = await call('GET', `${t.api}/users/me`, undefined, { token: admin.token });
    await call('GET', `${t.api}/users/${me.body.id}`, undefined, { token: admin.token });
    await call('POST', `${t.api}/ai/chat`, { message: 'hola' }, { token: admin.token });
    const res = await fetch(`${t.origin}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0.0.4/);
    const samples = parseExposition(await res.text());
    const names = [...samples.keys()].join('\n');
    expect(names).toMatch(/http_request_duration_seconds_count\{.*route="\/api\/v1\/users\/:id".*status="200"/);
    expect(names).not.toContain(me.body.id); // never the raw path
    for (const metric of [
      'process_cpu_seconds_total',
      'http_requests_in_flight',
      'db_pool_connections{',
      'db_queries_total',
      'cache_hits_total',
      'cache_misses_total',
      'cache_errors_total',
      'ai_chat_duration_seconds_count{',
      'socketio_connections',
      'password_checks_queued',
      'password_checks_refused_total',
    ]) {
      expect(names).toContain(metric);
    }
    expect(
      [...samples.entries()].find(
        ([k]) => k.startsWith('ai_chat_duration_seconds_count') && k.includes('cause="not_configured"'),
      )?.[1],
    ).toBe(1);
  });

  it('refuses a host outside METRICS_ALLOWED_HOSTS unless it brings the token', async () => {
    const closed = await startApp({
      DATABASE_URL: db.url,
      METRICS_ALLOWED_HOSTS: '["10.0.0.0/8"]',
      METRICS_TOKEN: 'scrape-token-0123456789',
    });
    try {
      const refused = await fetch(`${closed.origin}/metrics`);
      expect(refused.status).toBe(403);
      expect(refused.headers.get('content-type')).toMatch(/problem\+json/);
      expect((await fetch(`${closed.origin}/metrics`, { headers: { Authorization: 'Bearer wrong-token' } })).status).toBe(403);
      expect(
        (await fetch(`${closed.origin}/metrics`, { headers: { Authorization: 'Bearer scrape-token-0123456789' } })).status,
      ).toBe(200);
    } finally {
      await closed.close();
    }
  });

  it('counts rate-limit rejections and is itself never rate limited', async () => {
    const strict = await startApp({ DATABASE_URL: db.url, RATE_LIMIT_CALLS: '3' });
    try {
      for (let i = 0; i < 5; i++) await fetch(`${strict.api}/users/me`);
      for (let i = 0; i < 5; i++) expect((await fetch(`${strict.origin}/metrics`)).status).toBe(200);
      const samples = parseExposition(await (await fetch(`${strict.origin}/metrics`)).text());
      expect(
        [...samples.entries()].find(
          ([k]) => k.startsWith('rate_limit_rejections_total{') && k.includes('limiter="default"'),
        )?.[1],
      ).toBeGreaterThanOrEqual(2);
    } finally {
      await strict.close();
    }
  });

  it('is absent when ENABLE_METRICS=false', async () => {
    const off = await startApp({ DATABASE_URL: db.url, ENABLE_METRICS: 'false' });
    try {
      expect((await fetch(`${off.origin}/metrics`)).status).toBe(404);
    } finally {
      await off.close();
    }
  });
});
