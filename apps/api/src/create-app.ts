import { NotFoundException } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import express, { type NextFunction, type Request, type Response } from 'express';
import { Logger } from 'nestjs-pino';
import type { AppConfig } from '@gad/config';
import { ProblemDetailsFilter, assignRequestId, createValidationPipe, sendProblem, toProblem } from '@gad/observability';
import { AppModule, type ModuleImport } from './app.module.js';

export const SWAGGER_UI_PATH = 'api/docs';

/** Builds the whole HTTP pipeline; main.ts and every e2e test go through here. */
export interface CreateAppOptions {
  /** Extra modules mounted in the same pipeline (tests use it for probe routes). */
  imports?: ModuleImport[];
}

export async function createApp(config: AppConfig, options: CreateAppOptions = {}): Promise<NestExpressApplication> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule.register(config, options.imports), {
    bufferLogs: true,
    bodyParser: false,
    abortOnError: false,
  });
  app.useLogger(app.get(Logger));
  app.disable('x-powered-by');
  app.use((req: Request, res: Response, next: NextFunction) => {
    assignRequestId(req, res);
    next();
  });

  app.use(express.json({ limit: config.http.maxRequestBodySize }));
  app.use(express.urlencoded({ extended: false, limit: config.http.maxRequestBodySize }));
  app.use(bodyErrorsAsProblems(config));

  app.setGlobalPrefix(config.app.apiPrefix, { exclude: ['dashboard'] });
  app.useGlobalPipes(createValidationPipe());
  app.useGlobalFilters(new ProblemDetailsFilter(config));

  const document = buildOpenApiDocument(app, config);
  SwaggerModule.setup(SWAGGER_UI_PATH, app, document, {
    useGlobalPrefix: false,
    jsonDocumentUrl: `${config.app.apiPrefix}/openapi.json`,
    yamlDocumentUrl: `${config.app.apiPrefix}/openapi.yaml`,
    swaggerOptions: { persistAuthorization: false },
  });

  await app.init();
  // Nest's own not-found handler covers only the API prefix; everything else ends here.
  app.use((req: Request, res: Response) => {
    sendProblem(res, toProblem(new NotFoundException(`Cannot ${req.method} ${req.path}`), req, { exposeStack: false }));
  });
  return app;
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

/** Body-parser failures happen before Nest's filters: answer them as problem details too. */
function bodyErrorsAsProblems(config: AppConfig) {
  const exposeStack = config.environment === 'development' && config.debug;
  return (error: unknown, req: Request, res: Response, next: NextFunction): void => {
    if (!error) return next();
    sendProblem(res, toProblem(error, req, { exposeStack }));
  };
}
