import { HttpStatus, Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import type { FastifyRequest } from 'fastify';
import { TrustedOrigins } from '@gad/access';
import { httpConfig } from '@gad/config';
import { ProblemException } from '@gad/observability';

/**
 * Where a browser says a request comes from: `Origin`, or without it the origin of `Referer`; undefined
 * when neither is sent (not a browser form or script: curl, a mobile app, a server).
 */
function claimedOrigin(headers: FastifyRequest['headers']): string | undefined {
  const origin = headers.origin;
  if (typeof origin === 'string' && origin !== '') return origin;
  const referer = headers.referer;
  if (typeof referer !== 'string' || referer === '') return undefined;
  try {
    return new URL(referer).origin;
  } catch {
    return 'null';
  }
}

/**
 * Login CSRF: the routes that set auth cookies (login, refresh) refuse a browser request from a page that
 * is neither this site (same host) nor a CORS_ALLOWED_ORIGINS origin, so a hostile page cannot sign a
 * visitor's browser into another account. `Origin: null` (sandboxed frames, some redirects) is refused too.
 */
@Injectable()
export class TrustedOriginGuard implements CanActivate {
  private readonly origins: TrustedOrigins;

  constructor(@Inject(httpConfig.KEY) http: ConfigType<typeof httpConfig>) {
    this.origins = new TrustedOrigins(http.corsAllowedOrigins);
  }

  canActivate(context: ExecutionContext): boolean {
    const req = context.switchToHttp().getRequest<FastifyRequest>();
    const origin = claimedOrigin(req.headers);
    if (origin === undefined || this.origins.isTrusted(origin, req.headers.host)) return true;
    throw new ProblemException(HttpStatus.FORBIDDEN, {
      detail: 'This request comes from a page of another site: sign in from this site or a CORS_ALLOWED_ORIGINS origin.',
    });
  }
}
