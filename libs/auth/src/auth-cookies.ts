import { serialize, type SerializeOptions } from 'cookie';
import type { IncomingHttpHeaders } from 'node:http';
import type { FastifyReply } from 'fastify';
import type { Configuration } from '@gad/config';

export const ACCESS_COOKIE = 'access_token';
export const REFRESH_COOKIE = 'refresh_token';

/** Reads a cookie from the raw header (no cookie-parser needed on the hot path). */
export function readCookie(req: { headers: IncomingHttpHeaders }, name: string): string | undefined {
  const header = req.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) {
      try {
        return decodeURIComponent(part.slice(eq + 1).trim());
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

/** The cookies an answer sets, as the OpenAPI document states them (two Set-Cookie headers). */
export function setCookieHeader(what: 'set' | 'clear'): Record<string, { description: string; schema: object }> {
  const description =
    what === 'set'
      ? `\`${ACCESS_COOKIE}\` (path /, until the access token expires) and \`${REFRESH_COOKIE}\` (sent to the auth routes only, until the ` +
        'session expires), both HttpOnly, SameSite=Strict, Secure in production.'
      : `\`${ACCESS_COOKIE}\` and \`${REFRESH_COOKIE}\` cleared (empty, expired in 1970).`;
  return { 'Set-Cookie': { description, schema: { type: 'string', maxLength: 4096 } } };
}

export class AuthCookies {
  constructor(private readonly config: Pick<Configuration, 'app' | 'auth'>) {}

  private base(path: string): SerializeOptions {
    return { httpOnly: true, sameSite: 'strict', secure: this.config.auth.secureCookies, path };
  }

  get refreshPath(): string {
    return `${this.config.app.apiPrefix}/auth`;
  }

  set(res: FastifyReply, accessToken: string, accessTtlSeconds: number, refreshToken: string, refreshExpiresAt: Date): void {
    const accessExpires = new Date(Date.now() + accessTtlSeconds * 1000);
    res.header('set-cookie', [
      serialize(ACCESS_COOKIE, accessToken, { ...this.base('/'), maxAge: accessTtlSeconds, expires: accessExpires }),
      serialize(REFRESH_COOKIE, refreshToken, { ...this.base(this.refreshPath), expires: refreshExpiresAt }),
    ]);
  }

  clear(res: FastifyReply): void {
    res.header('set-cookie', [
      serialize(ACCESS_COOKIE, '', { ...this.base('/'), expires: new Date(0) }),
      serialize(REFRESH_COOKIE, '', { ...this.base(this.refreshPath), expires: new Date(0) }),
    ]);
  }
}

/** `Authorization: Bearer <token>` (the scheme in any case); the token ends at the next space, if any. */
export function bearerToken(req: { headers: IncomingHttpHeaders }): string | undefined {
  const header = req.headers.authorization;
  if (!header || header.indexOf(' ') !== BEARER.length || header.slice(0, BEARER.length).toLowerCase() !== BEARER) {
    return undefined;
  }
  const end = header.indexOf(' ', BEARER.length + 1);
  return header.slice(BEARER.length + 1, end < 0 ? undefined : end) || undefined;
}

const BEARER = 'bearer';

/** The access token from `Authorization: Bearer` or, for browsers, the access cookie; never the query string. */
export function extractAccessToken(req: { headers: IncomingHttpHeaders }): string | undefined {
  return bearerToken(req) ?? readCookie(req, ACCESS_COOKIE);
}
