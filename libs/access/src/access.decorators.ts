import { SetMetadata, applyDecorators, createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { ApiBearerAuth, ApiCookieAuth, ApiOAuth2, ApiForbiddenResponse, ApiUnauthorizedResponse } from '@nestjs/swagger';
import type { Role } from './roles.js';
import type { AuthenticatedUser } from './authenticated-user.js';

export const ROLES_KEY = 'roles';

/** Only users with one of these roles (or a superuser) pass the roles guard. */
export const Roles = (...roles: Role[]): MethodDecorator & ClassDecorator => SetMetadata(ROLES_KEY, roles);

/** The authenticated caller, as set by the JWT guard. */
export const CurrentUser = createParamDecorator((_data: unknown, ctx: ExecutionContext): AuthenticatedUser => {
  return ctx.switchToHttp().getRequest<{ user: AuthenticatedUser }>().user;
});

/**
 * Signed-in callers only (the global JWT guard already insists; this adds roles and the Swagger
 * security metadata). `@Authenticated('admin')` also requires the admin role.
 */
export function Authenticated(...roles: Role[]): MethodDecorator & ClassDecorator {
  const decorators = [
    ApiBearerAuth(),
    ApiCookieAuth('access_token'),
    ApiOAuth2([]),
    ApiUnauthorizedResponse({ description: 'Missing, invalid or revoked access token (problem+json).' }),
  ];
  if (roles.length > 0) {
    decorators.push(
      Roles(...roles),
      ApiForbiddenResponse({ description: `Requires role: ${roles.join(' or ')} (problem+json).` }),
    );
  }
  return applyDecorators(...decorators);
}

export const ALLOW_PENDING_PASSWORD_CHANGE_KEY = 'allowPendingPasswordChange';

/** Reachable while the caller still must change their password (the contract: /auth/* and GET /users/me). */
export const AllowPendingPasswordChange = (): MethodDecorator & ClassDecorator =>
  SetMetadata(ALLOW_PENDING_PASSWORD_CHANGE_KEY, true);

/** Where the request came from, for the audit trail. */
export interface ClientContext {
  ip: string;
  userAgent: string;
  requestId: string;
}

export const Client = createParamDecorator((_data: unknown, ctx: ExecutionContext): ClientContext => {
  const req = ctx.switchToHttp().getRequest<{ ip?: string; id?: string; headers: Record<string, string | undefined> }>();
  return { ip: req.ip ?? '', userAgent: (req.headers['user-agent'] ?? '').slice(0, 512), requestId: req.id ?? '' };
});
