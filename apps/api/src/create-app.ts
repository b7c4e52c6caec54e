import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NestFactory } from '@nestjs/core';
import { STATUS_CODES, type IncomingMessage, type Server } from 'node:http';
import { randomUUID } from 'node:crypto';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Logger } from 'nestjs-pino';
import type { Configuration } from '@gad/config';
import { TokenService } from '@gad/auth';
import { HealthService } from '@gad/health';
import { ThrottledClients } from '@gad/limits';
import { RealtimeIoAdapter } from '@gad/realtime';
import { compileTrustedProxies, corsOptions, edge, securityHeaders } from '@gad/edge';
import {
  MetricsService,
  ProblemDetailsFilter,
  assignRequestId,
  createValidationPipe,
  logRequests,
  metricsEndpoint,
  recordHttpMetrics,
  sendProblem,
  toProblem,
} from '@gad/observability';
import { AppModule, type ModuleImport } from './app.module.js';
import { buildOpenApiDocument } from './openapi-conventions.js';

export const SWAGGER_UI_PATH = 'api/docs';

export interface CreateAppOptions {
  /** Extra modules mounted in the same pipeline (tests use it for probe routes). */
  imports?: ModuleImport[];
  /** The dashboard page and its static/ folder; default apps/dashboard in this checkout or image. */
  dashboardDir?: string;
}

/** Builds the whole HTTP pipeline; main.ts and every e2e test go through here. */
export async function createApp(config: Configuration, options: CreateAppOptions = {}): Promise<NestFastifyApplication> {
  const adapter = new FastifyAdapter({
    // who the client is: request.ip and request.protocol read X-Forwarded-* only from a trusted hop
    trustProxy: compileTrustedProxies(config.http.trustedProxyHosts),
    routerOptions: { caseSensitive: false, ignoreTrailingSlash: true },
    genReqId: (req: IncomingMessage) => assignRequestId(req),
    requestIdHeader: false,
    // a request still unanswered after REQUEST_TIMEOUT_SECONDS gets 503 (problem+json, see toProblem);
    // a streamed answer (reply.hijack, the AI chat's SSE) is left to finish
    handlerTimeout: Math.max(1, Math.round(config.http.requestTimeoutMs)),
    logger: false,
    clientErrorHandler: answerClientError,
    // errors Fastify answers itself before any hook (a malformed URL such as /api/v1/%zz): problem+json too
    frameworkErrors: (error: Error, request: FastifyRequest, reply: FastifyReply) =>
      sendProblem(reply, toProblem(error, request, { exposeStack: false })),
  });
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.register(config, options.imports), adapter, {
    bufferLogs: true,
    bodyParser: false,
    abortOnError: false,
  });
  app.useLogger(app.get(Logger));
  app.useSecurityHeaders(securityHeaders(config));
  const fastify = app.getHttpAdapter().getInstance() as unknown as FastifyInstance;

  const throttle = app.get(ThrottledClients);
  const tokens = app.get(TokenService);
  await app.register(edge, {
    config,
    swaggerUiPath: `/${SWAGGER_UI_PATH}`,
    dashboardDir: options.dashboardDir ?? join(projectRoot(), 'apps/dashboard'),
    throttle,
    credentialRefusal: (request) => tokens.refusal(request),
  });
  recordHttpMetrics(fastify, app.get(MetricsService));
  logRequests(fastify, config.app);

  // HEALTH_CHECK_PATH, when it differs from the controller's route, serves the same liveness check
  if (config.metrics.healthCheckPath !== `${config.app.apiPrefix}/health`) {
    const health = app.get(HealthService);
    fastify.get(config.metrics.healthCheckPath, async (_request, reply) =>
      reply.header('cache-control', 'no-store').send(await health.live()),
    );
  }
  if (config.metrics.enabled) {
    fastify.get(config.metrics.path, metricsEndpoint(app.get(MetricsService), config.metrics));
  }

  app.setGlobalPrefix(config.app.apiPrefix);
  app.useGlobalPipes(createValidationPipe());
  app.useGlobalFilters(new ProblemDetailsFilter(config.app));

  if (config.app.docsEnabled) {
    // built on the first request for the docs, not at boot: faster boot, a smaller idle footprint
    let document: OpenAPIObject | undefined;
    SwaggerModule.setup(SWAGGER_UI_PATH, app, () => (document ??= buildOpenApiDocument(app, config)), {
      useGlobalPrefix: false,
      jsonDocumentUrl: `${config.app.apiPrefix}/openapi.json`,
      yamlDocumentUrl: `${config.app.apiPrefix}/openapi.yaml`,
      swaggerOptions: { persistAuthorization: false },
    });
  }

  app.useWebSocketAdapter(await RealtimeIoAdapter.create(app, config, corsOptions(config.http)));
  await app.init();
  applyServerTimeouts(app.getHttpServer() as Server, config);
  return app;
}

/**
 * Slowloris and stalled uploads are cut by the server itself: headers must arrive within
 * HEADERS_TIMEOUT_SECONDS, a whole request within REQUEST_TIMEOUT_SECONDS (checked every second),
 * idle keep-alive sockets close after KEEP_ALIVE_TIMEOUT, and MAX_CONNECTIONS caps HTTP connections
 * per worker, besides up to WS_MAX_CONNECTIONS sockets.
 */
function applyServerTimeouts(server: Server, config: Configuration): void {
  server.keepAliveTimeout = config.http.keepAliveTimeoutMs;
  server.headersTimeout = config.http.headersTimeoutMs;
  // Node times only the receiving of a request (headers and body), never the handler, which Fastify's
  // handlerTimeout bounds: no extra allowance here, or a slow body would get 5 s more than configured.
  server.requestTimeout = config.http.requestTimeoutMs;
  // A socket is a connection too: without room for them, sockets at WS_MAX_CONNECTIONS would take
  // every connection, so HTTP requests and the next socket were dropped unanswered instead of the
  // handshake's clean `too_many_connections` (the fault suite's 1000-socket scenario saw both).
  server.maxConnections = config.http.maxConnections + config.ws.maxConnections;
  // read when the server starts listening; Node's default (30 s) would let slow clients linger
  (server as Server & { connectionsCheckingInterval: number }).connectionsCheckingInterval = 1000;
}

const CLIENT_ERRORS: Record<string, [number, string]> = {
  HPE_HEADER_OVERFLOW: [431, 'The request headers are too large.'],
  ERR_HTTP_REQUEST_TIMEOUT: [408, 'The request took too long to arrive.'],
  HPE_HEADERS_TIMEOUT: [408, 'The request headers took too long to arrive.'],
};

/**
 * Errors Node's HTTP parser raises before any handler runs (oversized or malformed headers, slow
 * clients) would get a bare status line; answer them as problem details with a request id too.
 */
function answerClientError(error: Error & { code?: string }, socket: import('node:stream').Duplex): void {
  if (!socket.writable || (socket as { _httpMessage?: unknown })._httpMessage) return void socket.destroy();
  const [status, detail] = CLIENT_ERRORS[error.code ?? ''] ?? [400, 'The request is malformed.'];
  const requestId = randomUUID();
  const body = JSON.stringify({
    type: 'about:blank',
    title: STATUS_CODES[status],
    status,
    detail,
    instance: '',
    request_id: requestId,
  });
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/problem+json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
      `X-Request-Id: ${requestId}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n${body}`,
  );
}

/** The folder holding package.json, found from this file (src/ under Jest, dist/ when built), not from the cwd. */
function projectRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return dir;
}
