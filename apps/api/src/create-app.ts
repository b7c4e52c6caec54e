import { join, resolve } from 'node:path';
import { NotFoundException } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { Server } from 'node:http';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import express, { type NextFunction, type Request, type Response } from 'express';
import { Logger } from 'nestjs-pino';
import type { AppConfig } from '@gad/config';
import { RealtimeIoAdapter } from '@gad/realtime';
import {
  JSON_TYPES,
  RequestTimeoutInterceptor,
  compileTrustedProxies,
  compressResponses,
  corsOptions,
  dashboardPage,
  httpsRedirect,
  loginPath,
  rejectOversizedBodies,
  requireJsonBodies,
  securityHeaders,
  staticAssets,
} from '@gad/security';
import {
  MetricsService,
  ProblemDetailsFilter,
  assignRequestId,
  createValidationPipe,
  metricsEndpoint,
  sendProblem,
  toProblem,
} from '@gad/observability';
import { AppModule, type ModuleImport } from './app.module.js';

export const SWAGGER_UI_PATH = 'api/docs';

/** Builds the whole HTTP pipeline; main.ts and every e2e test go through here. */
export interface CreateAppOptions {
  /** Extra modules mounted in the same pipeline (tests use it for probe routes). */
  imports?: ModuleImport[];
  /** The dashboard page and its static/ folder; default apps/dashboard under the working directory. */
  dashboardDir?: string;
}

export async function createApp(config: AppConfig, options: CreateAppOptions = {}): Promise<NestExpressApplication> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule.register(config, options.imports), {
    bufferLogs: true,
    bodyParser: false,
    abortOnError: false,
  });
  app.useLogger(app.get(Logger));
  const http = app.getHttpAdapter().getInstance() as express.Express;

  // The edge, in order: who the client is (req.ip, req.secure), then headers, then what it may send.
  app.set('trust proxy', compileTrustedProxies(config.security.trustedProxyHosts));
  app.disable('x-powered-by');
  app.use((req: Request, res: Response, next: NextFunction) => {
    assignRequestId(req, res);
    next();
  });
  app.use(httpsRedirect(config));
  app.use(securityHeaders(config, { swaggerUi: `/${SWAGGER_UI_PATH}` }));
  app.enableCors(corsOptions(config)); // before the body checks, so browsers can read a 413/415
  app.use(compressResponses());

  const limit = config.http.maxRequestBodySize;
  app.use(rejectOversizedBodies(config));
  app.use(requireJsonBodies(config));
  app.use(express.json({ limit, type: JSON_TYPES }));
  app.use(loginPath(config), express.urlencoded({ extended: false, limit }));
  app.use(expressErrorsAsProblems(config));

  const dashboardDir = options.dashboardDir ?? resolve('apps/dashboard');
  app.use('/static', staticAssets(config, join(dashboardDir, 'static')));
  http.get('/dashboard', dashboardPage(dashboardDir));

  if (config.metrics.enabled) {
    http.get(config.metrics.path, metricsEndpoint(app.get(MetricsService), config));
  }

  app.setGlobalPrefix(config.app.apiPrefix, { exclude: ['dashboard'] });
  app.useGlobalPipes(createValidationPipe());
  app.useGlobalFilters(new ProblemDetailsFilter(config));
  app.useGlobalInterceptors(new RequestTimeoutInterceptor(config.http.requestTimeoutMs));

  const document = buildOpenApiDocument(app, config);
  SwaggerModule.setup(SWAGGER_UI_PATH, app, document, {
    useGlobalPrefix: false,
    jsonDocumentUrl: `${config.app.apiPrefix}/openapi.json`,
    yamlDocumentUrl: `${config.app.apiPrefix}/openapi.yaml`,
    swaggerOptions: { persistAuthorization: false },
  });

  app.useWebSocketAdapter(await RealtimeIoAdapter.create(app));
  await app.init();
  // Nest's own not-found handler covers only the API prefix; everything else ends here.
  app.use((req: Request, res: Response) => {
    sendProblem(res, toProblem(new NotFoundException(`Cannot ${req.method} ${req.path}`), req, { exposeStack: false }));
  });
  app.use(expressErrorsAsProblems(config)); // e.g. a static path that tries to climb out of its folder
  applyServerTimeouts(app.getHttpServer() as Server, config);
  return app;
}

/**
 * Slowloris and stalled uploads are cut by the server itself: headers must arrive within
 * HEADERS_TIMEOUT_SECONDS, a whole request within REQUEST_TIMEOUT_SECONDS (checked every second),
 * idle keep-alive sockets close after KEEP_ALIVE_TIMEOUT, and MAX_CONNECTIONS caps sockets per worker.
 */
export function applyServerTimeouts(server: Server, config: AppConfig): void {
  server.keepAliveTimeout = config.http.keepAliveTimeoutMs;
  server.headersTimeout = config.http.headersTimeoutMs;
  server.requestTimeout = config.http.requestTimeoutMs + 5000; // the interceptor answers 503 first
  server.maxConnections = config.http.maxConnections;
  // read when the server starts listening; Node's default (30 s) would let slow clients linger
  (server as Server & { connectionsCheckingInterval: number }).connectionsCheckingInterval = 1000;
}

export function buildOpenApiDocument(app: NestExpressApplication, config: AppConfig): OpenAPIObject {
  const options = new DocumentBuilder()
    .setTitle(config.app.name)
    .setVersion(config.app.version)
    .setDescription(`${config.app.name} REST API. Errors are RFC 9457 problem details (application/problem+json).`)
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' })
    .addOAuth2({
      type: 'oauth2',
      flows: { password: { tokenUrl: `${config.app.apiPrefix}/auth/login`, scopes: {} } },
    })
    .build();
  return SwaggerModule.createDocument(app, options);
}

/** Body-parser and static-file failures happen outside Nest's filters: answer them as problem details too. */
function expressErrorsAsProblems(config: AppConfig) {
  const exposeStack = config.environment === 'development' && config.debug;
  return (error: unknown, req: Request, res: Response, next: NextFunction): void => {
    if (!error) return next();
    const mapped = toProblem(error, req, { exposeStack });
    // a chunked body cut off at the limit may still be arriving: close rather than drain it
    if (mapped.problem.status === 413) res.setHeader('Connection', 'close');
    sendProblem(res, mapped);
  };
}
