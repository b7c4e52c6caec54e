// Framework floors: a hello world on each HTTP framework, run in the same bench as the API and the baseline,
// so the report shows what the framework alone leaves of bare node:http before any of our own code runs.
//
//   GET /api/v1/health  →  200 {"status":"ok"}
//
// KIND=express       NestJS (logger off, setGlobalPrefix('api/v1')) on @nestjs/platform-express
// KIND=fastify       NestJS (the same module) on @nestjs/platform-fastify
// KIND=express-bare  Express 5, one route
// KIND=fastify-bare  Fastify 5, one route
//
// Everything else is each framework's defaults (no middleware, no schema, no logging).
// Run on its own:  KIND=fastify PORT=9001 node bench/frameworks.mjs
// No TypeScript: the Nest decorators are applied with Reflect.decorate, as tsc's legacy decorators would.
// Env: KIND, PORT (0 = any free port), HOST (127.0.0.1). Prints one line `READY <port>` on stdout when listening.
import { exitOnSignals, runAsScript } from './script.mjs';

export const KINDS = {
  express: 'nest+express (hello)',
  fastify: 'nest+fastify (hello)',
  'express-bare': 'express (hello)',
  'fastify-bare': 'fastify (hello)',
};
const PREFIX = 'api/v1';
const BODY = { status: 'ok' };

async function nestApp(kind) {
  await import('reflect-metadata'); // first, before Nest's decorators (loaded here only: run.mjs imports KINDS)
  const [{ Controller, Get, Module }, { NestFactory }] = await Promise.all([import('@nestjs/common'), import('@nestjs/core')]);

  class HealthController {
    health() {
      return BODY;
    }
  }
  Reflect.decorate(
    [Get('health')],
    HealthController.prototype,
    'health',
    Object.getOwnPropertyDescriptor(HealthController.prototype, 'health'),
  );
  Reflect.decorate([Controller()], HealthController);

  class AppModule {}
  Reflect.decorate([Module({ controllers: [HealthController] })], AppModule);

  let adapter;
  if (kind === 'fastify') {
    const { FastifyAdapter } = await import('@nestjs/platform-fastify');
    adapter = new FastifyAdapter();
  } else {
    const { ExpressAdapter } = await import('@nestjs/platform-express');
    adapter = new ExpressAdapter();
  }
  const app = await NestFactory.create(AppModule, adapter, { logger: false });
  app.setGlobalPrefix(PREFIX);
  return {
    listen: async (port, host) => {
      await app.listen(port, host);
      return app.getHttpServer().address().port;
    },
    close: () => app.close(),
  };
}

async function expressApp() {
  const { default: express } = await import('express');
  const app = express();
  app.get(`/${PREFIX}/health`, (_req, res) => res.json(BODY));
  let server;
  return {
    listen: (port, host) =>
      new Promise((ok, fail) => {
        server = app.listen(port, host, (error) => (error ? fail(error) : ok(server.address().port)));
      }),
    close: () => new Promise((ok) => server.close(() => ok())),
  };
}

async function fastifyApp() {
  const { default: Fastify } = await import('fastify');
  const app = Fastify({ logger: false });
  app.get(`/${PREFIX}/health`, () => BODY);
  return {
    listen: async (port, host) => {
      await app.listen({ port, host });
      return app.server.address().port;
    },
    close: () => app.close(),
  };
}

/** Builds the hello-world server for `kind` (not listening yet): { listen(port, host) → port, close() }. */
export async function createFrameworkServer(kind) {
  if (kind === 'express' || kind === 'fastify') return nestApp(kind);
  if (kind === 'express-bare') return expressApp();
  if (kind === 'fastify-bare') return fastifyApp();
  throw new Error(`frameworks: KIND must be one of ${Object.keys(KINDS).join(', ')} (got ${JSON.stringify(kind)})`);
}

async function main() {
  const env = process.env;
  const server = await createFrameworkServer(env.KIND);
  const port = await server.listen(Number(env.PORT || 0), env.HOST || '127.0.0.1');
  process.stdout.write(`READY ${port}\n`);
  exitOnSignals(() => server.close());
}

runAsScript(import.meta.url, main);
