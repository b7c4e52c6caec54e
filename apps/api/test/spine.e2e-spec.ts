import { Agent, get } from 'node:http';
import { Body, Controller, Get, HttpCode, Module, Post, Query } from '@nestjs/common';
import { createThrowawayDatabase, type ThrowawayDatabase } from './support/databases.js';
import { startApp, type TestApp } from './support/test-app.js';
import { TcpProxy } from './support/tcp-proxy.js';
import { gracefulShutdown } from '../src/shutdown.js';
import { createApp } from '../src/create-app.js';
import { configurationFrom } from '@gad/config';
import { baseEnv } from './support/test-env.js';
import { Client, Public, type ClientContext } from '@gad/access';

@Public()
@Controller('test-probe')
class ProbeController {
  @Get('boom')
  boom(): never {
    throw new Error('SELECT secret FROM vault WHERE password = hunter2');
  }

  @Get('slow')
  async slow(): Promise<{ done: true }> {
    await new Promise((resolve) => setTimeout(resolve, 600));
    return { done: true };
  }

  /** Holds the request for `ms` and says whether its ClientContext signal had aborted by then. */
  @Post('client-signal')
  @HttpCode(200)
  async clientSignal(
    @Body() _body: unknown,
    @Client() client: ClientContext,
    @Query('ms') ms = '50',
  ): Promise<{ abortedWhileRunning: boolean }> {
    clientSignals.push(client.signal!);
    await new Promise((resolve) => setTimeout(resolve, Number(ms)));
    return { abortedWhileRunning: client.signal!.aborted };
  }
}
const clientSignals: AbortSignal[] = [];

@Module({ controllers: [ProbeController] })
class ProbeModule {}

async function waitFor(condition: () => boolean, ms = 2000): Promise<void> {
  for (const started = Date.now(); !condition(); await new Promise((resolve) => setTimeout(resolve, 10))) {
    if (Date.now() - started > ms) throw new Error('condition not met in time');
  }
}

describe('spine on PostgreSQL', () => {
  let db: ThrowawayDatabase;
  let t: TestApp;

  beforeAll(async () => {
    db = await createThrowawayDatabase();
    const app = await createApp(configurationFrom(baseEnv({ DATABASE_URL: db.url })), { imports: [ProbeModule] });
    const server = await app.listen(0, '127.0.0.1');
    const address = server.address();
    const origin = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    t = {
      app,
      config: configurationFrom(baseEnv({ DATABASE_URL: db.url })),
      origin,
      api: `${origin}/api/v1`,
      close: () => app.close(),
    };
  });

  afterAll(async () => {
    await t?.close();
    await db?.drop();
  });

  it('answers liveness without touching a dependency', async () => {
    const res = await fetch(`${t.api}/health`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: 'ok', version: '1.0.0' });
    expect(res.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    // with the edge's headers, on any casing and for HEAD
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect((await fetch(`${t.api}/HEALTH/`)).status).toBe(200);
    const head = await fetch(`${t.api}/health`, { method: 'HEAD' });
    expect([head.status, await head.text()]).toEqual([200, '']);
    expect((await fetch(`${t.api}/health`, { method: 'POST' })).status).toBe(404);
  });

  it("gives each request's work a signal that holds while it runs, even with a body, and aborts once it is answered", async () => {
    clientSignals.length = 0;
    const res = await fetch(`${t.api}/test-probe/client-signal`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'someone@example.com' }),
    });
    expect(await res.json()).toEqual({ abortedWhileRunning: false });
    await waitFor(() => clientSignals[0]?.aborted === true);
  });

  it('aborts that signal when the client leaves before the answer', async () => {
    clientSignals.length = 0;
    const leaving = new AbortController();
    const call = fetch(`${t.api}/test-probe/client-signal?ms=3000`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
      signal: leaving.signal,
    }).catch((error: Error) => error.name);
    await waitFor(() => clientSignals.length === 1);
    expect(clientSignals[0].aborted).toBe(false);
    leaving.abort();
    await expect(call).resolves.toBe('AbortError');
    await waitFor(() => clientSignals[0].aborted); // well before the handler's 3 s are up
  });

  it('answers readiness with the database check in Terminus format', async () => {
    const res = await fetch(`${t.api}/health/ready`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: 'ok', details: { database: { status: 'up' } } });
  });

  it('echoes a well-formed X-Request-Id and replaces a malformed one', async () => {
    const good = await fetch(`${t.api}/health`, { headers: { 'X-Request-Id': 'abc.DEF_123-x' } });
    expect(good.headers.get('x-request-id')).toBe('abc.DEF_123-x');
    const bad = await fetch(`${t.api}/health`, { headers: { 'X-Request-Id': 'has spaces<script>' } });
    expect(bad.headers.get('x-request-id')).not.toBe('has spaces<script>');
    const long = await fetch(`${t.api}/health`, { headers: { 'X-Request-Id': 'a'.repeat(129) } });
    expect(long.headers.get('x-request-id')).toHaveLength(36);
  });

  it.each(['/api/v1/no-such-route', '/no-such-route', '/'])('answers unknown path %s with 404 problem+json', async (path) => {
    const res = await fetch(`${t.origin}${path}`, { headers: { 'X-Request-Id': 'req-404' } });
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(await res.json()).toEqual({
      type: 'about:blank',
      title: 'Not Found',
      status: 404,
      detail: expect.any(String),
      instance: path,
      request_id: 'req-404',
    });
  });

  it('answers headers too large for the HTTP parser with 431 problem+json and a request id', async () => {
    const { request } = await import('node:http');
    const res = await new Promise<{ status: number; type: string; id: string; body: string }>((resolve, reject) => {
      const req = request(`${t.api}/health`, { headers: { 'X-Big': 'a'.repeat(20_000) }, agent: false }, (r) => {
        let body = '';
        r.on('data', (d) => (body += d));
        r.on('end', () =>
          resolve({
            status: r.statusCode ?? 0,
            type: String(r.headers['content-type']),
            id: String(r.headers['x-request-id']),
            body,
          }),
        );
      });
      req.on('error', reject);
      req.end();
    });
    expect(res.status).toBe(431);
    expect(res.type).toMatch(/problem\+json/);
    expect(JSON.parse(res.body)).toMatchObject({ status: 431, request_id: res.id });
  });

  it('answers malformed JSON with 400 problem+json', async () => {
    const res = await fetch(`${t.api}/test-probe/boom`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-Request-Id': 'bad-json' },
      body: '{"email": ',
    });
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(await res.json()).toMatchObject({
      status: 400,
      detail: 'The request body is not valid JSON.',
      request_id: 'bad-json',
    });
  });

  it('answers an unexpected exception with 500 and no details', async () => {
    const res = await fetch(`${t.api}/test-probe/boom`);
    expect(res.status).toBe(500);
    const text = await res.text();
    expect(JSON.parse(text)).toMatchObject({ status: 500, title: 'Internal Server Error' });
    expect(text).not.toMatch(/SELECT|hunter2|stack|at Object|\.ts:/);
  });

  it('serves Swagger UI and the OpenAPI document with the bearer scheme', async () => {
    const doc = (await (await fetch(`${t.api}/openapi.json`)).json()) as {
      info: { title: string };
      components: { securitySchemes: object };
    };
    expect(doc.info.title).toBe('GRUPO_GAD');
    expect(doc.components.securitySchemes).toHaveProperty('bearer');
    const ui = await fetch(`${t.origin}/api/docs`);
    expect(ui.status).toBe(200);
    expect(await ui.text()).toMatch(/swagger/i);
  });
});

describe('HEALTH_CHECK_PATH', () => {
  it('serves liveness at the configured path as well as under the prefix', async () => {
    const db = await createThrowawayDatabase();
    const app = await startApp({ DATABASE_URL: db.url, HEALTH_CHECK_PATH: '/healthz' });
    try {
      const res = await fetch(`${app.origin}/healthz`);
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ status: 'ok' });
      expect((await fetch(`${app.api}/health`)).status).toBe(200);
    } finally {
      await app.close();
      await db.drop();
    }
  });
});

describe('readiness when the database goes away', () => {
  let db: ThrowawayDatabase;
  let proxy: TcpProxy;
  let t: TestApp;

  beforeAll(async () => {
    db = await createThrowawayDatabase();
    const target = new URL(db.url);
    proxy = new TcpProxy(target.hostname, Number(target.port || 5432));
    const port = await proxy.start();
    target.port = String(port);
    t = await startApp({ DATABASE_URL: target.toString(), DB_POOL_TIMEOUT: '1' });
  });

  afterAll(async () => {
    await proxy.stop();
    await t?.close();
    await db?.drop();
  });

  it('is 200 while the database answers, 503 while it is unreachable, and 200 again after', async () => {
    expect((await fetch(`${t.api}/health/ready`)).status).toBe(200);
    const port = proxy.port;
    await proxy.stop();
    const down = await fetch(`${t.api}/health/ready`);
    expect(down.status).toBe(503);
    expect(await down.json()).toMatchObject({ status: 'error', error: { database: { status: 'down' } } });
    expect((await fetch(`${t.api}/health`)).status).toBe(200);
    await proxy.start(port);
    let status = 0;
    for (let i = 0; i < 20 && status !== 200; i++) {
      status = (await fetch(`${t.api}/health/ready`)).status;
      if (status !== 200) await new Promise((r) => setTimeout(r, 200));
    }
    expect(status).toBe(200);
  });
});

describe('graceful shutdown', () => {
  let db: ThrowawayDatabase;

  beforeAll(async () => {
    db = await createThrowawayDatabase();
  });
  afterAll(async () => {
    await db?.drop();
  });

  it('flips readiness, finishes the in-flight request, refuses new connections, then exits 0', async () => {
    const config = configurationFrom(baseEnv({ DATABASE_URL: db.url, SHUTDOWN_TIMEOUT_SECONDS: '5' }));
    const app = await createApp(config, { imports: [ProbeModule] });
    const server = await app.listen(0, '127.0.0.1');
    const address = server.address();
    const api = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/api/v1`;

    // a probe's kept-alive connection, as a load balancer holds one
    const probe = new Agent({ keepAlive: true, maxSockets: 1 });
    const ready = () =>
      new Promise<{ status: number; body: any }>((resolve, reject) =>
        get(`${api}/health/ready`, { agent: probe }, (res) => {
          let text = '';
          res.on('data', (chunk) => (text += chunk));
          res.on('end', () => resolve({ status: res.statusCode!, body: JSON.parse(text) }));
        }).on('error', reject),
      );
    expect((await ready()).status).toBe(200);

    const inFlight = fetch(`${api}/test-probe/slow`);
    await new Promise((r) => setTimeout(r, 100));
    const exits: number[] = [];
    const stopped = gracefulShutdown(app, config, { exit: (code) => exits.push(code) })('SIGTERM');

    const { LifecycleService } = await import('@gad/health');
    expect(app.get(LifecycleService).isShuttingDown).toBe(true);
    // readiness fails at once, in Terminus' format, while the in-flight request still runs
    expect(await ready()).toEqual({
      status: 503,
      body: {
        status: 'error',
        info: {},
        error: { process: { status: 'down', message: 'shutting down' } },
        details: { process: { status: 'down', message: 'shutting down' } },
      },
    });
    probe.destroy();
    const res = await inFlight;
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ done: true });
    await stopped;
    expect(exits).toEqual([0]);
    await expect(fetch(`${api}/health`)).rejects.toThrow();
  });
});
