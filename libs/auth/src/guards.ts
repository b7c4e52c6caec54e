import { HttpStatus, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import {
  ALLOW_PENDING_PASSWORD_CHANGE_KEY,
  IS_PUBLIC_KEY,
  ROLES_KEY,
  hasRole,
  type AuthenticatedUser,
  type Role,
} from '@gad/access';
import { ProblemException } from '@gad/observability';
import { extractAccessToken } from './auth-cookies.js';
import { AuthService } from './auth.service.js';
import { authenticationRequired } from './token.service.js';

/**
 * Global: every route needs a valid access token unless marked @Public(). Verification is
 * AuthService.authenticate, the same code path sockets use (signature, claims, user, session).
 */
@Injectable()
export class JwtAuthGuard implements CanActivate {
  constructor(
    private readonly auth: AuthService,
    private readonly reflector: Reflector,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http' || this.flag(context, IS_PUBLIC_KEY)) return true;
    const req = context.switchToHttp().getRequest<FastifyRequest & { user?: AuthenticatedUser }>();
    const token = extractAccessToken(req);
    if (!token) throw authenticationRequired();
    const user = await this.auth.authenticate(token);
    if (user.mustChangePassword && !this.flag(context, ALLOW_PENDING_PASSWORD_CHANGE_KEY)) {
      throw new ProblemException(HttpStatus.FORBIDDEN, {
        title: 'Password change required',
        detail: 'You must change your password before using the API: POST /auth/change-password.',
      });
    }
    req.user = user;
    return true;
  }

  private flag(context: ExecutionContext, key: string): boolean {
    return this.reflector.getAllAndOverride<boolean>(key, [context.getHandler(), context.getClass()]) === true;
  }
}

/** Global: routes with @Roles(...) / @Authenticated('admin') need one of those roles (a superuser has all). */
@Injectable()
export class RolesGuard implements CanActivate {
  constructor(private readonly reflector: Reflector) {}

  canActivate(context: ExecutionContext): boolean {
    if (context.getType() !== 'http') return true;
    const roles = this.reflector.getAllAndOverride<Role[] | undefined>(ROLES_KEY, [context.getHandler(), context.getClass()]);
    if (!roles || roles.length === 0) return true;
    const user = context.switchToHttp().getRequest<{ user?: AuthenticatedUser }>().user;
    if (user && hasRole(user, ...roles)) return true;
    throw new ProblemException(HttpStatus.FORBIDDEN, { detail: `This action requires the ${roles.join(' or ')} role.` });
  }
}
