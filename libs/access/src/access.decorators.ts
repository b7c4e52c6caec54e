import { SetMetadata, applyDecorators, createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { ApiBearerAuth, ApiCookieAuth, ApiOAuth2, ApiResponse, getSchemaPath } from '@nestjs/swagger';
import type { ServerResponse } from 'node:http';
import type { Role } from './roles.js';
import type { AuthenticatedUser } from './authenticated-user.js';

export const ROLES_KEY = 'roles';

/** Only users with one of these roles (or a superuser) pass the roles guard. */
export const Roles = (...roles: Role[]): MethodDecorator & ClassDecorator => SetMetadata(ROLES_KEY, roles);

/** The authenticated caller, as set by the JWT guard. */
export const CurrentUser = createParamDecorator((_data: unknown, ctx: ExecutionContext): AuthenticatedUser => {
  return ctx.switchToHttp().getRequest<{ user: AuthenticatedUser }>().user;
});

const PENDING_PASSWORD_CHANGE = 'the account must change its password first (every route but /auth/* and GET /users/me)';

/**
 * Signed-in callers only (the global JWT guard already insists; this adds roles and the OpenAPI
 * security schemes and 401/403 answers). `@Authenticated('admin')` also requires the admin role.
 */
export function Authenticated(...roles: Role[]): MethodDecorator & ClassDecorator {
  const forbidden =
    roles.length > 0
      ? `Requires role ${roles.join(' or ')} (or a superuser); or ${PENDING_PASSWORD_CHANGE}.`
      : `Forbidden: ${PENDING_PASSWORD_CHANGE}.`;
  const decorators = [...signedIn(), problem(403, forbidden)];
  if (roles.length > 0) decorators.push(Roles(...roles));
  return applyDecorators(...decorators);
}

/**
 * Signed-in callers, also while they must still change their password (the contract: change-password and
 * GET /users/me), so no 403 to document.
 */
export function AuthenticatedDuringPasswordChange(): MethodDecorator & ClassDecorator {
  return applyDecorators(...signedIn(), AllowPendingPasswordChange());
}

function signedIn(): Array<MethodDecorator & ClassDecorator> {
  return [
    ApiBearerAuth(),
    ApiCookieAuth('access_token'),
    ApiOAuth2([]),
    problem(401, 'Missing, invalid, expired or revoked access token, or the user was deactivated since it was issued.'),
  ];
}

/**
 * A problem+json answer in the OpenAPI document. The schema is referred to by name: `ProblemDto` is
 * defined with the problem details (a floor above this one) and registered in every document.
 */
function problem(status: 401 | 403, description: string): MethodDecorator & ClassDecorator {
  return ApiResponse({
    status,
    description,
    content: { 'application/problem+json': { schema: { $ref: getSchemaPath('ProblemDto') } } },
  });
}

export const ALLOW_PENDING_PASSWORD_CHANGE_KEY = 'allowPendingPasswordChange';

/** Reachable while the caller still must change their password (the contract: /auth/* and GET /users/me). */
export const AllowPendingPasswordChange = (): MethodDecorator & ClassDecorator =>
  SetMetadata(ALLOW_PENDING_PASSWORD_CHANGE_KEY, true);

/** Where the request came from, for the audit trail, and whether anyone still waits for its answer. */
export interface ClientContext {
  ip: string;
  userAgent: string;
  requestId: string;
  /** Aborts once the request's answer is closed; work still queued for it can be dropped. Absent outside HTTP. */
  signal?: AbortSignal;
}

export const Client = createParamDecorator((_data: unknown, ctx: ExecutionContext): ClientContext => {
  const http = ctx.switchToHttp();
  const req = http.getRequest<{ ip?: string; id?: string; headers: Record<string, string | undefined> }>();
  return {
    ip: req.ip ?? '',
    userAgent: (req.headers['user-agent'] ?? '').slice(0, 512),
    requestId: req.id ?? '',
    signal: answerClosedSignal(http.getResponse<{ raw: ServerResponse }>().raw),
  };
});

/**
 * Aborts when the response closes: answered (by the handler, or with 503 past REQUEST_TIMEOUT_SECONDS) or cut off
 * by the client. Fastify's own `request.signal` cannot serve: it aborts as soon as a request body has been read
 * (fastify/fastify#6725), i.e. before every POST handler runs.
 */
export function answerClosedSignal(res: ServerResponse): AbortSignal {
  const ended = (): Error => new Error('the request was answered or abandoned');
  if (res.closed) return AbortSignal.abort(ended()); // the client left while the guards ran
  const controller = new AbortController();
  res.once('close', () => controller.abort(ended()));
  return controller.signal;
}
