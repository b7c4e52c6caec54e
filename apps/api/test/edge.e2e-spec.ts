import { mkdirSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { Body, Controller, Get, Header, Module, ParseIntPipe, Post, Query, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { rawRequest, streamUntilAnswered } from './support/raw-http.js';
import { suiteApps, type startApp, type TestApp } from './support/test-app.js';
import { tempDir } from './support/test-env.js';
import { Public } from '@gad/access';
import { DASHBOARD_CSP } from '@gad/edge';

@Public()
@Controller('test-edge')
class EdgeProbeController {
  @Get('slow')
  async slow(): Promise<{ done: true }> {
    await new Promise((resolve) => setTimeout(resolve, 800));
    return { done: true };
  }

  @Get('big')
  big(): { text: string } {
    return { text: 'x'.repeat(5000) };
  }

  @Get('bytes')
  @Header('Content-Type', 'text/plain')
  bytes(@Query('n', ParseIntPipe) n: number): string {
    return 'y'.repeat(n);
  }

  @Get('stream')
  stream(@Res() res: FastifyReply): void {
    void res.header('content-type', 'text/event-stream').send(`data: ${'z'.repeat(4000)}\n\n`);
  }

  /** Like the AI chat's SSE: hijacked, headers copied from the reply, written for 800 ms. */
  @Get('long-stream')
  longStream(@Res() reply: FastifyReply): void {
    reply.hijack();
    reply.raw.writeHead(200, { ...(reply.getHeaders() as Record<string, string>), 'content-type': 'text/event-stream' });
    reply.raw.write('data: first\n\n');
    setTimeout(() => reply.raw.end('data: last\n\n'), 800);
  }

  @Get('png')
  @Header('Content-Type', 'image/png')
  png(@Res() res: FastifyReply): void {
    void res.send(Buffer.alloc(5000, 1));
  }

  @Post('echo')
  echo(@Body() body: Record<string, unknown>): { keys: string[] } {
    return { keys: Object.keys(body ?? {}) };
  }
}

@Module({ controllers: [EdgeProbeController] })
class EdgeProbeModule {}

const probes = { imports: [EdgeProbeModule] };
// production refuses test shortcuts such as BCRYPT_ROUNDS=4
const PRODUCTION = { ENVIRONMENT: 'production', BCRYPT_ROUNDS: '10' };

describe('the HTTP edge', () => {
  const suite = suiteApps(probes);
  const start = (env: Record<string, string>, options: Parameters<typeof startApp>[1] = probes): Promise<TestApp> =>
    suite.start(env, options);

  describe('security headers', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await start({});
    });

    it('sends the security headers on API routes, with a CSP that allows no inline script or style, and no HSTS outside production', async () => {
      const res = await fetch(`${t.api}/health`);
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('x-frame-options')).toBe('DENY');
      expect(res.headers.get('referrer-policy')).toBe('strict-origin-when-cross-origin');
      expect(res.headers.get('x-xss-protection')).toBe('0');
      const csp = res.headers.get('content-security-policy')!;
      expect(csp).toContain("default-src 'self'");
      expect(csp).toContain("script-src 'self';");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).not.toContain('unsafe-inline');
      expect(csp).not.toContain('upgrade-insecure-requests');
      expect(res.headers.get('strict-transport-security')).toBeNull();
      expect(res.headers.get('x-powered-by')).toBeNull();
      expect(res.headers.get('server')).toBeNull();
    });

    it('keeps the headers on errors too', async () => {
      const res = await fetch(`${t.origin}/nowhere`);
      expect(res.status).toBe(404);
      expect(res.headers.get('x-frame-options')).toBe('DENY');
      expect(res.headers.get('x-powered-by')).toBeNull();
    });

    it('relaxes styles, and only styles, for Swagger UI', async () => {
      const res = await fetch(`${t.origin}/api/docs`);
      expect(res.status).toBe(200);
      const csp = res.headers.get('content-security-policy')!;
      expect(csp).toContain("style-src 'self' 'unsafe-inline'");
      expect(csp).toContain("script-src 'self';");
      const init = await fetch(`${t.origin}/api/docs/swagger-ui-init.js`);
      expect(init.status).toBe(200);
    });

    it('gives the dashboard and its assets exactly the dashboard policy', async () => {
      const policy =
        "default-src 'self';script-src 'self';style-src 'self';img-src 'self' data:;connect-src 'self';font-src 'self';frame-ancestors 'none'";
      expect(DASHBOARD_CSP).toBe(policy);
      for (const path of ['/dashboard', '/static/dashboard.js']) {
        const res = await fetch(`${t.origin}${path}`);
        expect(res.status).toBe(200);
        expect(res.headers.get('content-security-policy')).toBe(policy);
        expect(res.headers.get('x-frame-options')).toBe('DENY');
      }
      // a CDN may serve the assets to the dashboard's origin; API answers stay same-origin
      expect((await fetch(`${t.origin}/static/dashboard.js`)).headers.get('cross-origin-resource-policy')).toBe('cross-origin');
      expect((await fetch(`${t.origin}/dashboard`)).headers.get('cross-origin-resource-policy')).toBe('same-origin');
      expect((await fetch(`${t.api}/health`)).headers.get('cross-origin-resource-policy')).toBe('same-origin');
    });

    it('sends the whole header list on every answer, refusals included', async () => {
      const expected = {
        'cross-origin-opener-policy': 'same-origin',
        'origin-agent-cluster': '?1',
        'x-dns-prefetch-control': 'off',
        'x-download-options': 'noopen',
        'x-permitted-cross-domain-policies': 'none',
        'x-content-type-options': 'nosniff',
      };
      const answers = [
        await fetch(`${t.api}/health`),
        await fetch(`${t.api}/users/me`),
        await fetch(`${t.api}/users`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'x' }),
      ];
      expect(answers.map((res) => res.status)).toEqual([200, 401, 415]);
      for (const res of answers) {
        for (const [name, value] of Object.entries(expected)) expect([name, res.headers.get(name)]).toEqual([name, value]);
      }
    });

    it('adds HSTS (and upgrade-insecure-requests) in production', async () => {
      const prod = await start({ ...PRODUCTION, HSTS_MAX_AGE: '31536000' });
      const res = await fetch(`${prod.api}/health`);
      expect(res.headers.get('strict-transport-security')).toBe('max-age=31536000; includeSubDomains');
      expect(res.headers.get('content-security-policy')).toContain('upgrade-insecure-requests');
      expect(res.headers.get('x-frame-options')).toBe('DENY');
    });

    it('adds HSTS outside production when FORCE_HTTPS is on', async () => {
      const forced = await start({ FORCE_HTTPS: 'true', HSTS_MAX_AGE: '600' });
      const res = await fetch(`${forced.api}/health`);
      expect(res.headers.get('strict-transport-security')).toBe('max-age=600; includeSubDomains');
    });
  });

  describe('CORS', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await start({ CORS_ALLOWED_ORIGINS: '["https://app.example.com"]', CORS_ALLOW_CREDENTIALS: 'true' });
    });

    it('echoes an allowed origin with credentials and the exposed headers', async () => {
      const res = await fetch(`${t.api}/health`, { headers: { Origin: 'https://app.example.com' } });
      expect(res.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
      expect(res.headers.get('access-control-allow-credentials')).toBe('true');
      expect(res.headers.get('access-control-expose-headers')).toContain('X-Request-Id');
      expect(res.headers.get('vary')).toMatch(/Origin/);
    });

    it('never reflects an origin that is not listed', async () => {
      for (const origin of ['https://evil.example.com', 'https://app.example.com.evil.com', 'null']) {
        const res = await fetch(`${t.api}/health`, { headers: { Origin: origin } });
        expect(res.status).toBe(200);
        expect(res.headers.get('access-control-allow-origin')).toBeNull();
      }
    });

    it('answers an allowed preflight with methods, headers and max-age', async () => {
      const res = await fetch(`${t.api}/users`, {
        method: 'OPTIONS',
        headers: {
          Origin: 'https://app.example.com',
          'Access-Control-Request-Method': 'PATCH',
          'Access-Control-Request-Headers': 'authorization,content-type',
        },
      });
      expect(res.status).toBe(204);
      expect(res.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
      expect(res.headers.get('access-control-allow-methods')).toBe('GET,POST,PUT,DELETE,PATCH,OPTIONS');
      expect(res.headers.get('access-control-allow-headers')).toBe('authorization,content-type');
      expect(res.headers.get('access-control-max-age')).toBe('600');
    });

    it('gives a preflight from another origin nothing to go on', async () => {
      const res = await fetch(`${t.api}/users`, {
        method: 'OPTIONS',
        headers: { Origin: 'https://evil.example.com', 'Access-Control-Request-Method': 'DELETE' },
      });
      expect(res.headers.get('access-control-allow-origin')).toBeNull();
      expect(res.headers.get('access-control-allow-credentials')).toBeNull();
    });

    it('adds the localhost origins in development only', async () => {
      const dev = await start({ ENVIRONMENT: 'development', CORS_ALLOWED_ORIGINS: '[]' });
      const ok = await fetch(`${dev.api}/health`, { headers: { Origin: 'http://localhost:3000' } });
      expect(ok.headers.get('access-control-allow-origin')).toBe('http://localhost:3000');
      const test = await fetch(`${t.api}/health`, { headers: { Origin: 'http://localhost:3000' } });
      expect(test.headers.get('access-control-allow-origin')).toBeNull();
    });
  });

  describe('request bodies', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await start({ MAX_REQUEST_BODY_SIZE: '4096', CORS_ALLOWED_ORIGINS: '["https://app.example.com"]' });
    });

    it('accepts a JSON body under the limit', async () => {
      const res = await fetch(`${t.api}/test-edge/echo`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ a: 1, b: 'x'.repeat(3000) }),
      });
      expect(res.status).toBe(201);
      expect(await res.json()).toEqual({ keys: ['a', 'b'] });
    });

    it('accepts a chunked JSON body under the limit', async () => {
      const res = await rawRequest(t.origin, {
        method: 'POST',
        path: '/api/v1/test-edge/echo',
        headers: { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' },
        body: JSON.stringify({ chunked: 'x'.repeat(3000) }),
      });
      expect(res.status).toBe(201);
      expect(JSON.parse(res.body.toString())).toEqual({ keys: ['chunked'] });
    });

    it('answers 413 to a declared Content-Length over the limit before reading the body', async () => {
      // only the headers go out: the answer must come without the server waiting for the body
      const res = await rawRequest(t.origin, {
        method: 'POST',
        path: '/api/v1/test-edge/echo',
        headers: { 'Content-Type': 'application/json', 'Content-Length': '10000000', Origin: 'https://app.example.com' },
      });
      expect(res.status).toBe(413);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.headers['access-control-allow-origin']).toBe('https://app.example.com');
      expect(JSON.parse(res.body.toString())).toMatchObject({ status: 413, title: 'Payload Too Large' });
    });

    it('cuts a chunked body off with 413 once it passes the limit', async () => {
      const cap = 64 * 1024 * 1024;
      const res = await streamUntilAnswered(t.origin, '/api/v1/test-edge/echo', { 'Content-Type': 'application/json' }, cap);
      expect(res.status).toBe(413);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.headers.connection).toBe('close');
      // answered (and the connection closed) long before the client ran out of body to send;
      // the allowance covers what loopback socket buffers absorb
      expect(res.sent).toBeLessThan(8 * 1024 * 1024);
    });

    it.each([
      ['text/plain', 'hello'],
      ['application/xml', '<a/>'],
      ['application/x-www-form-urlencoded', 'a=1'],
      ['multipart/form-data; boundary=x', '--x--'],
    ])('answers 415 problem+json to a %s body on a JSON route', async (type, body) => {
      const res = await fetch(`${t.api}/test-edge/echo`, { method: 'POST', headers: { 'Content-Type': type }, body });
      expect(res.status).toBe(415);
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(await res.json()).toMatchObject({ status: 415, title: 'Unsupported Media Type' });
    });

    it('hangs up on a refused (415) chunked body instead of draining it', async () => {
      const res = await streamUntilAnswered(
        t.origin,
        '/api/v1/test-edge/echo',
        { 'Content-Type': 'text/plain' },
        64 * 1024 * 1024,
      );
      expect(res.status).toBe(415);
      expect(res.headers.connection).toBe('close');
      expect(res.sent).toBeLessThan(8 * 1024 * 1024);
    });

    it('answers 415 to a body without a Content-Type', async () => {
      const res = await rawRequest(t.origin, { method: 'POST', path: '/api/v1/test-edge/echo', body: '{"a":1}' });
      expect(res.status).toBe(415);
    });

    it('takes the OAuth2 form on POST /auth/login only', async () => {
      const res = await fetch(`${t.api}/auth/login`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: 'username=nobody%40example.com&password=wrong-password',
      });
      expect(res.status).toBe(401);
      const text = await fetch(`${t.api}/auth/login`, { method: 'POST', headers: { 'Content-Type': 'text/plain' }, body: 'x' });
      expect(text.status).toBe(415);
    });

    it('lets bodiless requests through whatever their Content-Type', async () => {
      const res = await fetch(`${t.api}/auth/logout`, { method: 'POST', headers: { 'Content-Type': 'text/plain' } });
      expect(res.status).toBe(204);
    });
  });

  describe('request timeout', () => {
    it('answers 503 problem+json when a handler runs past REQUEST_TIMEOUT_SECONDS', async () => {
      const t = await start({ REQUEST_TIMEOUT_SECONDS: '0.3' });
      const began = Date.now();
      const res = await fetch(`${t.api}/test-edge/slow`);
      expect(res.status).toBe(503);
      expect(Date.now() - began).toBeLessThan(750);
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(res.headers.get('retry-after')).toBe('5'); // docs/API.md, "Outages"
      expect(await res.json()).toMatchObject({ status: 503, title: 'Request timed out' });
    });

    it('leaves a stream that has started (a hijacked reply) to finish past the timeout', async () => {
      const t = await start({ REQUEST_TIMEOUT_SECONDS: '0.3' });
      const res = await fetch(`${t.api}/test-edge/long-stream`);
      expect(res.status).toBe(200);
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(await res.text()).toBe('data: first\n\ndata: last\n\n');
    });

    it('answers a body still arriving at the timeout once: 408, then the connection closes', async () => {
      const t = await start({ REQUEST_TIMEOUT_SECONDS: '0.5' });
      const url = new URL(t.origin);
      const socket = connect(Number(url.port), url.hostname);
      let received = '';
      socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
      socket.on('error', () => undefined); // a reset after the answer is fine
      socket.write(
        'POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"email',
      );
      const closed = await new Promise<boolean>((resolve) => {
        socket.once('close', () => resolve(true));
        setTimeout(() => resolve(false), 3000);
      });
      socket.destroy();
      // Fastify's handler timeout and Node's request timeout both fire here; before, the first answered 503 with
      // keep-alive and the second sent an unasked 408 on the same connection half a second later
      expect(received.match(/^HTTP\/1\.1 \d{3}/gm)).toEqual(['HTTP/1.1 408']);
      expect(received).toMatch(/^connection: close\r$/im);
      expect(received).toMatch(/^content-type: application\/problem\+json/im);
      expect(closed).toBe(true);
      expect((await fetch(`${t.api}/health`)).status).toBe(200);
    });

    it('does not answer twice: a request answered in time gets one 200 and the server stays up', async () => {
      const t = await start({ REQUEST_TIMEOUT_SECONDS: '0.3' });
      const res = await fetch(`${t.api}/test-edge/big`);
      expect(res.status).toBe(200);
      await new Promise((resolve) => setTimeout(resolve, 400));
      expect((await fetch(`${t.api}/health`)).status).toBe(200);
    });
  });

  describe('FORCE_HTTPS', () => {
    let behindProxy: TestApp;
    let direct: TestApp;
    beforeAll(async () => {
      behindProxy = await start({ FORCE_HTTPS: 'true', TRUSTED_PROXY_HOSTS: '["127.0.0.1"]' });
      direct = await start({ FORCE_HTTPS: 'true', TRUSTED_PROXY_HOSTS: '[]' });
    });

    it('redirects plain HTTP to https: 301 for GET, 308 for other methods', async () => {
      const get = await rawRequest(behindProxy.origin, { path: '/api/v1/users?skip=1', headers: { Host: 'api.example.com' } });
      expect(get.status).toBe(301);
      expect(get.headers.location).toBe('https://api.example.com/api/v1/users?skip=1');
      const post = await rawRequest(behindProxy.origin, {
        method: 'POST',
        path: '/api/v1/auth/login',
        headers: { Host: 'api.example.com', 'X-Forwarded-Proto': 'http' },
      });
      expect(post.status).toBe(308);
    });

    it('serves what a trusted proxy says arrived over https', async () => {
      const res = await rawRequest(behindProxy.origin, {
        path: '/api/v1/users',
        headers: { Host: 'api.example.com', 'X-Forwarded-Proto': 'https' },
      });
      expect(res.status).toBe(401);
    });

    it('ignores X-Forwarded-Proto from a peer that is not a trusted proxy', async () => {
      const res = await rawRequest(direct.origin, {
        path: '/api/v1/users',
        headers: { Host: 'api.example.com', 'X-Forwarded-Proto': 'https' },
      });
      expect(res.status).toBe(301);
    });

    it('never redirects the probes', async () => {
      for (const path of ['/api/v1/health', '/api/v1/health/ready', '/metrics']) {
        const res = await rawRequest(direct.origin, { path });
        expect([path, res.status]).not.toEqual([path, 301]);
        expect(res.headers.location).toBeUndefined();
      }
    });
  });

  describe('compression', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await start({});
    });

    it('gzips a large JSON response for a gzip client, and prefers brotli when offered', async () => {
      const gz = await rawRequest(t.origin, { path: '/api/v1/test-edge/big', headers: { 'Accept-Encoding': 'gzip' } });
      expect(gz.headers['content-encoding']).toBe('gzip');
      expect(gz.headers.vary).toMatch(/Accept-Encoding/i);
      expect(JSON.parse(gunzipSync(gz.body).toString()).text).toHaveLength(5000);
      const br = await rawRequest(t.origin, {
        path: '/api/v1/test-edge/big',
        headers: { 'Accept-Encoding': 'gzip, deflate, br' },
      });
      expect(br.headers['content-encoding']).toBe('br');
      expect(JSON.parse(brotliDecompressSync(br.body).toString()).text).toHaveLength(5000);
    });

    it('compresses from 1000 bytes up, and not below', async () => {
      const at = await rawRequest(t.origin, { path: '/api/v1/test-edge/bytes?n=1000', headers: { 'Accept-Encoding': 'gzip' } });
      expect(at.headers['content-encoding']).toBe('gzip');
      expect(gunzipSync(at.body).toString()).toHaveLength(1000);
      const below = await rawRequest(t.origin, {
        path: '/api/v1/test-edge/bytes?n=999',
        headers: { 'Accept-Encoding': 'gzip, br' },
      });
      expect(below.headers['content-encoding']).toBeUndefined();
      expect(below.body).toHaveLength(999);
      const health = await rawRequest(t.origin, { path: '/api/v1/health', headers: { 'Accept-Encoding': 'gzip, br' } });
      expect(health.headers['content-encoding']).toBeUndefined();
    });

    it('does not compress for a client that does not ask', async () => {
      const res = await rawRequest(t.origin, { path: '/api/v1/test-edge/big' });
      expect(res.headers['content-encoding']).toBeUndefined();
    });

    it('never compresses event streams or already-compressed types', async () => {
      const sse = await rawRequest(t.origin, { path: '/api/v1/test-edge/stream', headers: { 'Accept-Encoding': 'gzip, br' } });
      expect(sse.headers['content-type']).toMatch(/^text\/event-stream/);
      expect(sse.headers['content-encoding']).toBeUndefined();
      const png = await rawRequest(t.origin, { path: '/api/v1/test-edge/png', headers: { 'Accept-Encoding': 'gzip, br' } });
      expect(png.headers['content-encoding']).toBeUndefined();
      expect(png.body).toHaveLength(5000);
    });
  });

  describe('static assets', () => {
    let dir: string;
    let prod: TestApp;
    let test: TestApp;

    beforeAll(async () => {
      dir = tempDir('gad-dashboard-');
      mkdirSync(join(dir, 'static', 'img'), { recursive: true });
      writeFileSync(join(dir, 'index.html'), '<!doctype html><title>dash</title><script src="/static/plain.js"></script>');
      writeFileSync(join(dir, 'static', 'app.3f9a1c2e.js'), 'console.log(1);\n');
      writeFileSync(join(dir, 'static', 'plain.js'), 'console.log(2);\n');
      writeFileSync(join(dir, 'static', 'img', 'logo.5d41402abc.png'), Buffer.alloc(10));
      writeFileSync(join(dir, 'static', '.env'), 'SECRET=1');
      prod = await start(PRODUCTION, { dashboardDir: dir });
      test = await start({}, { dashboardDir: dir });
    });

    it('uses long cache headers in production: a year, immutable, for fingerprinted files; an hour otherwise', async () => {
      const hashed = await fetch(`${prod.origin}/static/app.3f9a1c2e.js`);
      expect(hashed.status).toBe(200);
      expect(hashed.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
      expect(hashed.headers.get('cross-origin-resource-policy')).toBe('cross-origin');
      const image = await fetch(`${prod.origin}/static/img/logo.5d41402abc.png`);
      expect(image.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
      const plain = await fetch(`${prod.origin}/static/plain.js`);
      expect(plain.headers.get('cache-control')).toBe('public, max-age=3600');
    });

    it('revalidates outside production, cheaply, with ETags', async () => {
      const first = await fetch(`${test.origin}/static/plain.js`);
      expect(first.headers.get('cache-control')).toBe('no-cache');
      const etag = first.headers.get('etag')!;
      expect(etag).toBeTruthy();
      // raw: fetch turns a conditional request into Cache-Control: no-cache, which defeats 304
      const again = await rawRequest(test.origin, { path: '/static/plain.js', headers: { 'If-None-Match': etag } });
      expect(again.status).toBe(304);
    });

    it('serves GET /dashboard from index.html, always revalidated', async () => {
      const res = await fetch(`${prod.origin}/dashboard`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/html/);
      expect(res.headers.get('cache-control')).toBe('no-cache');
      expect(await res.text()).toContain('<title>dash</title>');
      const again = await rawRequest(prod.origin, { path: '/dashboard', headers: { 'If-None-Match': res.headers.get('etag')! } });
      expect(again.status).toBe(304);
    });

    it('points the page at content-hashed copies, cached for a year in every environment and readable cross-origin', async () => {
      for (const app of [prod, test]) {
        const page = await (await fetch(`${app.origin}/dashboard`)).text();
        const src = /src="(\/static\/plain\.[0-9a-f]{12}\.js)"/.exec(page)?.[1];
        expect(src).toBeDefined();
        const res = await fetch(`${app.origin}${src}`, { headers: { Origin: 'https://elsewhere.example' } });
        expect(res.status).toBe(200);
        expect(await res.text()).toBe('console.log(2);\n');
        expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
        expect(res.headers.get('content-type')).toMatch(/^text\/javascript/);
        expect(res.headers.get('access-control-allow-origin')).toBe('*');
        expect(res.headers.get('cross-origin-resource-policy')).toBe('cross-origin');
      }
    });

    it('lists no directory and serves no dotfile', async () => {
      for (const path of ['/static/', '/static', '/static/img/', '/static/.env']) {
        const res = await fetch(`${test.origin}${path}`);
        expect([path, res.status]).toEqual([path, 404]);
        expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      }
    });

    it.each([
      '/static/../package.json',
      '/static/%2e%2e/package.json',
      '/static/..%2fpackage.json',
      '/static/%2e%2e%2fpackage.json',
      '/static/..%5cpackage.json',
      '/static/img/../../package.json',
      '/static/%2e%2e%2f%2e%2e%2fpackage.json',
      '/static/..%252fpackage.json',
      '/static/%00../package.json',
    ])('refuses the traversal %s', async (path) => {
      const res = await rawRequest(test.origin, { path });
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.body.toString()).not.toContain('grupo-gad-api');
    });
  });
});
