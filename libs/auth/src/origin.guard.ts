import { HttpStatus, Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import type { FastifyRequest } from 'fastify';
import { httpConfig } from '@gad/config';
import { ProblemException } from '@gad/observability';

const normalize = (origin: string): string => origin.trim().replace(/\/+$/, '').toLowerCase();

/**
 * Where a browser says a request comes from: `Origin`, or without it the origin of `Referer`; undefined
 * when neither is sent (not a browser form or script: curl, a mobile app, a server).
 */
export function claimedOrigin(headers: FastifyRequest['headers']): string | undefined {
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
  private readonly allowed: ReadonlySet<string>;

  constructor(@Inject(httpConfig.KEY) http: ConfigType<typeof httpConfig>) {
    this.allowed = new Set(http.corsAllowedOrigins.map(normalize));
  }

  canActivate(context: ExecutionContext): boolean {
    const req = context.switchToHttp().getRequest<FastifyRequest>();
    const origin = claimedOrigin(req.headers);
    if (origin === undefined || this.trusted(origin, req.headers.host)) return true;
    throw new ProblemException(HttpStatus.FORBIDDEN, {
      detail: 'This request comes from a page of another site: sign in from this site or a CORS_ALLOWED_ORIGINS origin.',
    });
  }

  private trusted(origin: string, host: string | undefined): boolean {
    if (this.allowed.has(normalize(origin))) return true;
    try {
      return host !== undefined && new URL(origin).host === host.toLowerCase();
    } catch {
      return false;
    }
  }
}
