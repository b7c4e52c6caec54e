import { STATUS_CODES } from 'node:http';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import {
  DocumentBuilder,
  SwaggerModule,
  type HeaderObject,
  type OpenAPIObject,
  type OperationObject,
  type ReferenceObject,
  type ResponseObject,
  type ResponsesObject,
  type SchemaObject,
} from '@nestjs/swagger';
import type { Configuration } from '@gad/config';
import { MAX_REQUEST_ID_LENGTH, ProblemDto, problemContent } from '@gad/observability';
import { isProbePath } from '@gad/edge';

const RFC_8725 =
  'HS256 only; `iss`, `aud`, `exp` and `iat` are checked, and the session and user are checked on every request, ' +
  'as RFC8725 (JSON Web Token Best Current Practices) recommends.';

const TAGS: [string, string][] = [
  ['auth', 'Sign in, refresh, sign out, change password. Tokens and cookies: docs/API.md, Auth.'],
  ['users', 'Accounts and roles (admin), and your own profile.'],
  ['audit', 'The append-only audit trail (admin).'],
  ['ai', 'Chat with the AI provider, with fallbacks; recorded interactions (admin).'],
  ['cache', 'Cache counters and invalidation (admin).'],
  ['health', 'Kubernetes probes: liveness and readiness. Never rate-limited.'],
];

/** The document served at `${API_V1_STR}/openapi.json` and committed as openapi.json. */
export function buildOpenApiDocument(app: NestFastifyApplication, config: Configuration): OpenAPIObject {
  const prefix = config.app.apiPrefix;
  const builder = new DocumentBuilder()
    .setTitle(config.app.name)
    .setVersion(config.app.version)
    .setDescription(
      `${config.app.name} REST API. Errors are RFC 9457 problem details (application/problem+json). ` +
        'Every response carries X-Request-Id; rate-limited responses carry X-RateLimit-* and, when refused, Retry-After. ' +
        'The full contract, including the Socket.IO events, is docs/API.md in the repository.',
    )
    .addBearerAuth({
      type: 'http',
      scheme: 'bearer',
      bearerFormat: 'JWT',
      description: `The access token from /auth/login or /auth/refresh. ${RFC_8725}`,
    })
    .addCookieAuth(
      'access_token',
      {
        type: 'apiKey',
        in: 'cookie',
        name: 'access_token',
        description: 'The same access token, as the HttpOnly cookie set at sign-in.',
      },
      'access_token',
    )
    .addCookieAuth(
      'refresh_token',
      {
        type: 'apiKey',
        in: 'cookie',
        name: 'refresh_token',
        description: `The opaque refresh token, an HttpOnly cookie limited to ${prefix}/auth; rotated on every use.`,
      },
      'refresh_token',
    )
    .addOAuth2({
      type: 'oauth2',
      description: `OAuth2 password flow (Swagger UI's Authorize button); the access token is a JWT. ${RFC_8725}`,
      flows: {
        // no refreshUrl: the refresh token is an HttpOnly cookie, not OAuth2's refresh_token grant
        password: { tokenUrl: `${prefix}/auth/login`, scopes: {} },
      },
    });
  for (const [name, description] of TAGS) builder.addTag(name, description);
  const document = SwaggerModule.createDocument(app, builder.build(), {
    ignoreGlobalPrefix: true,
    extraModels: [ProblemDto],
    operationIdFactory: operationId,
  });
  // package.json says UNLICENSED: a proprietary API, so there is no license text to link to
  document.info.license = { name: 'Proprietary (UNLICENSED): all rights reserved' };
  // relative: the host that served this document, whichever environment (local, staging, production) it is;
  // x-internal: false says it is meant for outside clients
  const audience = { 'x-internal': false };
  document.servers = [
    { url: prefix, description: 'This host (local, staging or production alike), under API_V1_STR', ...audience },
  ];
  return applyApiConventions(document, (path) => isProbePath(config, `${prefix}${path}`));
}

type Response = ResponseObject | ReferenceObject;

/** `usersList`, `authLogin`, `aiChatStream`: what a generated client names its methods (Nest's default is `UsersController_list`). */
function operationId(controllerKey: string, methodKey: string): string {
  const feature = controllerKey.replace(/Controller$/, '');
  return `${feature.charAt(0).toLowerCase()}${feature.slice(1)}${methodKey.charAt(0).toUpperCase()}${methodKey.slice(1)}`;
}

/**
 * What every operation shares, stated once here rather than on each handler: the problem+json
 * answers of the edge, the global rate limiter, the error filter and the database (400, 413, 415,
 * 429, 500, 503); X-Request-Id on every response and the rate-limit headers on those the limiter
 * counts; `security: []` on operations that declare no scheme (the global guard lets only @Public()
 * routes through without one). Probes (liveness, readiness) are never rate-limited.
 */
function applyApiConventions(document: OpenAPIObject, isProbe: (path: string) => boolean): OpenAPIObject {
  const components = (document.components ??= {});
  components.headers = { ...components.headers, ...HEADERS };
  components.responses = { ...components.responses, ...sharedResponses() };

  for (const [path, item] of Object.entries(document.paths)) {
    const probe = isProbe(path);
    for (const method of ['get', 'put', 'post', 'delete', 'patch'] as const) {
      const operation: OperationObject | undefined = item[method];
      if (!operation) continue;
      operation.security ??= [];
      const common: Record<string, Response> = probe
        ? { 413: probeResponse(413), 415: probeResponse(415) }
        : {
            400: ref('BadRequest'),
            413: ref('PayloadTooLarge'),
            415: ref('UnsupportedMediaType'),
            429: ref('TooManyRequests'),
            500: ref('InternalServerError'),
            503: ref('ServiceUnavailable'),
          };
      const responses: ResponsesObject = { ...operation.responses };
      for (const [status, response] of Object.entries(common)) responses[status] ??= response;
      for (const [status, response] of Object.entries(responses)) {
        if (!response || '$ref' in response) continue;
        response.description ||= STATUS_CODES[Number(status)] ?? '';
        response.headers = { ...headersFor(Number(status), probe), ...response.headers };
      }
      operation.responses = Object.fromEntries(Object.entries(responses).sort(([a], [b]) => a.localeCompare(b)));
      closeRequestBody(operation, components.schemas ?? {});
    }
  }
  return document;
}

/** A request body refuses unknown fields (400), so its schema says so: a generated client then refuses them too. */
function closeRequestBody(operation: OperationObject, schemas: Record<string, SchemaObject | ReferenceObject>): void {
  const body = operation.requestBody;
  if (!body || '$ref' in body) return;
  for (const media of Object.values(body.content)) {
    const name = media.schema && '$ref' in media.schema ? media.schema.$ref.split('/').pop() : undefined;
    const schema = name ? schemas[name] : undefined;
    if (schema && !('$ref' in schema)) schema.additionalProperties = false;
  }
}

const integerHeader = (description: string, minimum: number): HeaderObject => ({
  description,
  schema: { type: 'integer', format: 'int32', minimum, maximum: 2_147_483_647 },
});

const HEADERS: Record<string, HeaderObject> = {
  'Access-Control-Allow-Origin': {
    description:
      "The request's Origin, echoed when it is in CORS_ALLOWED_ORIGINS; absent for other origins and same-origin calls.",
    schema: { type: 'string', format: 'uri', maxLength: 2048 },
  },
  'X-Request-Id': {
    description: 'The request id: the one sent, when it is 1..128 characters of [A-Za-z0-9._-], else a generated UUID.',
    schema: { type: 'string', maxLength: MAX_REQUEST_ID_LENGTH, pattern: `^[A-Za-z0-9._-]{1,${MAX_REQUEST_ID_LENGTH}}$` },
  },
  'X-RateLimit-Limit': integerHeader(
    'Requests allowed per client address per window (RATE_LIMIT_CALLS). On the answers the limiter counted: not on ' +
      'those the edge gives before it (413, 415, malformed JSON, a body sent with no valid token or while throttled), ' +
      'though a body it read and refused still counts.',
    1,
  ),
  'X-RateLimit-Remaining': integerHeader('Requests left in the current window.', 0),
  'X-RateLimit-Reset': integerHeader('Seconds until the current window ends.', 0),
  'Retry-After': integerHeader('Seconds to wait before trying again.', 1),
};

const headerRef = (name: keyof typeof HEADERS): ReferenceObject => ({ $ref: `#/components/headers/${name}` });
const ref = (name: string): ReferenceObject => ({ $ref: `#/components/responses/${name}` });

// answered from the request's headers by the edge, before the rate limiter counts the request
const BEFORE_THE_LIMITER = new Set([413, 415]);

/**
 * The headers a response carries: the request id always; the limiter's on 2xx and on the 4xx it counted (not the
 * edge's 413 and 415); Retry-After on 429 and 503.
 */
function headersFor(status: number, probe: boolean): Record<string, ReferenceObject> {
  const headers: Record<string, ReferenceObject> = {
    'X-Request-Id': headerRef('X-Request-Id'),
    'Access-Control-Allow-Origin': headerRef('Access-Control-Allow-Origin'),
  };
  if (!probe && !BEFORE_THE_LIMITER.has(status) && (status < 300 || (status >= 400 && status < 500))) {
    for (const name of ['X-RateLimit-Limit', 'X-RateLimit-Remaining', 'X-RateLimit-Reset'] as const)
      headers[name] = headerRef(name);
  }
  if (status === 429 || status === 503) headers['Retry-After'] = headerRef('Retry-After');
  return headers;
}

const DESCRIPTIONS: Record<number, string> = {
  400: 'The request is malformed: invalid JSON, a body that does not match its Content-Length, or a parameter or field that fails validation (`errors` names each field).',
  413: 'The body is larger than MAX_REQUEST_BODY_SIZE (refused on its Content-Length before it is read, or as soon as a chunked body passes it).',
  415: 'A body that is not application/json (the login route also takes application/x-www-form-urlencoded).',
  429: 'Too many requests from this client address (RATE_LIMIT_CALLS per RATE_LIMIT_PERIOD); wait Retry-After seconds.',
  500: 'An unexpected error; it is logged with the request id. The body carries no stack trace, SQL or secret.',
  503: 'The database is unavailable, the server has a full line of password checks (sign-ins, password changes, passwords an admin sets), or the request ran past REQUEST_TIMEOUT_SECONDS. Retry after Retry-After seconds.',
};

function problemResponse(status: number, probe = false): ResponseObject {
  return { description: DESCRIPTIONS[status], headers: headersFor(status, probe), content: problemContent() };
}

function sharedResponses(): Record<string, ResponseObject> {
  return {
    BadRequest: problemResponse(400),
    PayloadTooLarge: problemResponse(413),
    UnsupportedMediaType: problemResponse(415),
    TooManyRequests: problemResponse(429),
    InternalServerError: problemResponse(500),
    ServiceUnavailable: problemResponse(503),
  };
}

/** Probes answer before routing, but the edge's body checks still come first. */
function probeResponse(status: 413 | 415): ResponseObject {
  return problemResponse(status, true);
}
