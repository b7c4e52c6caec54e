import { configurationFrom } from '@gad/config';
import { suiteApps, type TestApp } from './support/test-app.js';
import { baseEnv } from './support/test-env.js';

describe('small exposures (PostgreSQL)', () => {
  const suite = suiteApps();
  let t: TestApp;

  beforeAll(async () => {
    t = await suite.start({ RATE_LIMIT_CALLS: '100000' });
  });

  it.each(['/api/v1/%zz', '/api/v1/users/%E0%A4%A', '/%'])('answers the malformed URL %s with 400 problem+json', async (path) => {
    const res = await fetch(`${t.origin}${path}`);
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toMatch(/application\/problem\+json/);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ status: 400, title: 'Bad Request', detail: 'The request URL is malformed.' });
    expect(body.request_id).toEqual(expect.any(String));
    expect(JSON.stringify(body)).not.toMatch(/FST_ERR/);
  });

  it('serves the docs where DOCS_ENABLED is on (the default outside production)', async () => {
    expect(t.config.app.docsEnabled).toBe(true);
    expect((await fetch(`${t.origin}/api/docs`)).status).toBe(200);
    expect((await fetch(`${t.api}/openapi.json`)).status).toBe(200);
  });

  it('closes Swagger UI and the OpenAPI document with DOCS_ENABLED=false', async () => {
    const closed = await suite.start({ DOCS_ENABLED: 'false' });
    for (const path of ['/api/docs', '/api/docs/', '/api/v1/openapi.json', '/api/v1/openapi.yaml']) {
      const res = await fetch(`${closed.origin}${path}`);
      expect(res.status).toBe(404);
      expect(res.headers.get('content-type')).toMatch(/problem\+json/);
    }
    await closed.close();
  });

  it('makes the docs opt-in in production', () => {
    const production = (extra: Record<string, string> = {}) =>
      configurationFrom(
        baseEnv({
          ENVIRONMENT: 'production',
          BCRYPT_ROUNDS: '12',
          DATABASE_URL: 'postgresql://u:p@db.example:5432/gad',
          ...extra,
        }),
      ).app.docsEnabled;
    expect(production()).toBe(false);
    expect(production({ DOCS_ENABLED: 'true' })).toBe(true);
  });
});
