import { Inject, HttpStatus, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { JwtService, type JwtModuleOptions } from '@nestjs/jwt';
import { createHash, createSecretKey, randomBytes, randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { authConfig } from '@gad/config';
import { ProblemException } from '@gad/observability';
import { AUTHENTICATION_REQUIRED, ROLES, type Role } from '@gad/access';
import { extractAccessToken } from './auth-cookies.js';

export const TOKEN_AUDIENCE = 'api';
export const CLOCK_SKEW_SECONDS = 30;
/** Longer than any token we sign: refused before the HMAC. */
const MAX_TOKEN_LENGTH = 4096;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const KNOWN_ROLES: ReadonlySet<string> = new Set(ROLES);

export interface AccessTokenClaims {
  sub: string;
  email: string;
  roles: Role[];
  sid: string;
  jti: string;
  iat: number;
  exp: number;
  iss: string;
  aud: string;
}

/**
 * JwtModule's settings, as @nestjs/jwt documents them: the key and the options every access token is signed
 * and verified with, resolved once. The key is a KeyObject, not the string: given a string, jsonwebtoken
 * first tries to parse it as a public key on every call (a thrown exception each time), ~450 µs per verify.
 */
export function jwtModuleOptions(config: ConfigType<typeof authConfig>): JwtModuleOptions {
  return {
    secret: createSecretKey(Buffer.from(config.secretKey, 'utf8')) as unknown as string,
    signOptions: {
      algorithm: 'HS256',
      expiresIn: config.accessTokenExpireMinutes * 60,
      issuer: config.issuer,
      audience: TOKEN_AUDIENCE,
    },
    verifyOptions: {
      algorithms: ['HS256'],
      issuer: config.issuer,
      audience: TOKEN_AUDIENCE,
      // exp is checked in verify() once its shape is known: a negative or fractional exp is invalid, not expired
      ignoreExpiration: true,
      clockTolerance: 0,
    },
  };
}

/** Signs and verifies access tokens (HS256 only) and mints opaque refresh tokens. */
@Injectable()
export class TokenService {
  readonly accessTtlSeconds: number;

  constructor(
    private readonly jwt: JwtService,
    @Inject(authConfig.KEY) private readonly config: ConfigType<typeof authConfig>,
  ) {
    this.accessTtlSeconds = config.accessTokenExpireMinutes * 60;
  }

  signAccessToken(user: { id: string; email: string; roles: Role[] }, sessionId: string): Promise<string> {
    return this.jwt.signAsync({ sub: user.id, email: user.email, roles: user.roles, sid: sessionId }, { jwtid: randomUUID() });
  }

  /**
   * The whole check of an access token, over HTTP and sockets alike: signature (HS256 only), issuer,
   * audience, expiry, then the claims the API relies on. Throws 401 problem details.
   */
  verify(token: string): AccessTokenClaims {
    if (typeof token !== 'string' || token.length > MAX_TOKEN_LENGTH) throw invalidToken('The access token is invalid.');
    let payload: Record<string, unknown>;
    try {
      payload = this.jwt.verify<Record<string, unknown>>(token);
    } catch {
      throw invalidToken('The access token is invalid.');
    }
    const claims = checkClaims(payload, this.config.issuer, this.accessTtlSeconds);
    if (!claims) throw invalidToken('The access token is invalid.');
    // the contract grants clock skew to `iat` only; `exp` is exact
    if (claims.exp <= Date.now() / 1000) throw new AccessTokenExpired();
    return claims;
  }

  /**
   * Why a request's access token is refused before anything is looked up (none sent, or its signature, claims or
   * expiry fail), with the answer the guard would give; undefined when it verifies. The HTTP edge refuses such
   * uploads without reading their bodies.
   */
  refusal(request: { headers: IncomingHttpHeaders }): ProblemException | undefined {
    const token = extractAccessToken(request);
    if (token === undefined) return authenticationRequired();
    try {
      this.verify(token);
      return undefined;
    } catch (error) {
      if (error instanceof ProblemException) return error;
      throw error;
    }
  }

  newRefreshToken(): { token: string; hash: string } {
    const token = randomBytes(32).toString('base64url');
    return { token, hash: hashRefreshToken(token) };
  }
}

/**
 * Every claim the API relies on, checked for shape before any of it reaches a query or a cache key
 * (a token signed with the real key may still carry anything): `sub`/`sid` UUIDs, `jti` a short string,
 * `iat`/`exp`/`nbf` finite whole seconds within one access-token lifetime of now, `iss`/`aud` exactly ours
 * (jsonwebtoken would take an `aud` array that merely contains ours), `roles` known names, `email` a string.
 */
function checkClaims(
  payload: Record<string, unknown>,
  issuer: string,
  ttlSeconds: number,
  now = Math.floor(Date.now() / 1000),
): AccessTokenClaims | undefined {
  const { sub, sid, jti, iat, exp, nbf, iss, aud, roles, email } = payload;
  if (!isUuid(sub) || !isUuid(sid)) return undefined;
  if (typeof jti !== 'string' || jti.length === 0 || jti.length > 64) return undefined;
  if (iss !== issuer || aud !== TOKEN_AUDIENCE) return undefined;
  if (!isSeconds(iat) || !isSeconds(exp) || (nbf !== undefined && !isSeconds(nbf))) return undefined;
  if (iat > now + CLOCK_SKEW_SECONDS || exp > now + ttlSeconds + CLOCK_SKEW_SECONDS) return undefined;
  if (typeof nbf === 'number' && nbf > now + CLOCK_SKEW_SECONDS) return undefined;
  if (roles !== undefined && !isRoleList(roles)) return undefined;
  if (email !== undefined && (typeof email !== 'string' || email.length > 320)) return undefined;
  return payload as unknown as AccessTokenClaims;
}

function isUuid(value: unknown): value is string {
  return typeof value === 'string' && UUID.test(value);
}

/** A whole, non-negative number of seconds that a Date can hold (rules out NaN, ±Infinity, 1e300, -1). */
function isSeconds(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 && value < 8.64e12;
}

function isRoleList(value: unknown): value is Role[] {
  return (
    Array.isArray(value) &&
    value.length <= ROLES.length &&
    new Set(value).size === value.length &&
    value.every((role) => typeof role === 'string' && KNOWN_ROLES.has(role))
  );
}

/** RFC 6750 §3.1: a bearer token that is malformed, expired, revoked or otherwise unusable. */
const INVALID_TOKEN_CHALLENGE = 'Bearer error="invalid_token"';

export function invalidToken(detail: string): ProblemException {
  return new ProblemException(HttpStatus.UNAUTHORIZED, { detail, headers: { 'WWW-Authenticate': INVALID_TOKEN_CHALLENGE } });
}

/** The one refusal of a well-formed token that the client fixes by refreshing it, not by signing in again. */
export class AccessTokenExpired extends ProblemException {
  constructor() {
    super(HttpStatus.UNAUTHORIZED, {
      detail: 'The access token has expired.',
      headers: { 'WWW-Authenticate': INVALID_TOKEN_CHALLENGE },
    });
  }
}

/** No access token at all (no Bearer header, no access cookie) on a route that needs one. */
export function authenticationRequired(): ProblemException {
  return new ProblemException(HttpStatus.UNAUTHORIZED, {
    detail: AUTHENTICATION_REQUIRED,
    headers: { 'WWW-Authenticate': 'Bearer' },
  });
}

/** A 401 that is not about a bearer token (wrong password, refresh cookie): the plain challenge. */
export function unauthenticated(detail: string): ProblemException {
  return new ProblemException(HttpStatus.UNAUTHORIZED, { detail, headers: { 'WWW-Authenticate': 'Bearer' } });
}

export function hashRefreshToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}
