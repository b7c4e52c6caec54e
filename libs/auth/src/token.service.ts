import { Injectable } from '@nestjs/common';
import { JwtService, type JwtVerifyOptions } from '@nestjs/jwt';
import { createHash, createSecretKey, randomBytes, randomUUID } from 'node:crypto';
import { AppConfig } from '@gad/config';
import { type Role } from '@gad/access';

export const TOKEN_AUDIENCE = 'api';
export const CLOCK_SKEW_SECONDS = 30;
/** Access tokens remembered as verified; about 1 KB each. */
export const VERIFIED_TOKENS_KEPT = 10_000;

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

/** Signs and verifies access tokens (HS256 only) and mints opaque refresh tokens. */
@Injectable()
export class TokenService {
  readonly accessTtlSeconds: number;
  /**
   * A KeyObject, not the string: given a string, jsonwebtoken first tries to parse it as a public
   * key on every call (a thrown exception each time), which cost ~450 µs per verify against ~7 µs.
   */
  private readonly key: string;

  constructor(
    private readonly jwt: JwtService,
    private readonly config: AppConfig,
  ) {
    this.accessTtlSeconds = config.security.accessTokenExpireMinutes * 60;
    this.key = createSecretKey(Buffer.from(config.security.secretKey, 'utf8')) as unknown as string;
  }

  /** The verification every access token gets, over HTTP and sockets alike. */
  get verifyOptions(): JwtVerifyOptions & { algorithms: ['HS256'] } {
    return {
      secret: this.key,
      algorithms: ['HS256'],
      issuer: this.config.app.name,
      audience: TOKEN_AUDIENCE,
      // the contract grants clock skew to `iat` only (checked in checkClaims); `exp` is exact
      clockTolerance: 0,
    };
  }

  signAccessToken(user: { id: string; email: string; roles: Role[] }, sessionId: string): Promise<string> {
    return this.jwt.signAsync(
      { sub: user.id, email: user.email, roles: user.roles, sid: sessionId },
      {
        secret: this.key,
        algorithm: 'HS256',
        expiresIn: this.accessTtlSeconds,
        issuer: this.config.app.name,
        audience: TOKEN_AUDIENCE,
        jwtid: randomUUID(),
      },
    );
  }

  /**
   * Signature, algorithm, issuer, audience and expiry. A token that passed is remembered (by its exact
   * text, until it expires, the oldest forgotten past VERIFIED_TOKENS_KEPT): decoding and the HMAC were a
   * tenth of an authenticated request, for the same bytes every time. Failures are never remembered, and
   * revocation is not decided here: the session and the user are checked on every request.
   */
  async verifyAccessToken(token: string): Promise<Record<string, unknown>> {
    const known = this.rememberedPayload(token);
    if (known) return known;
    const payload = await this.jwt.verifyAsync<Record<string, unknown>>(token, this.verifyOptions);
    if (typeof payload.exp === 'number') {
      this.verified.delete(token);
      if (this.verified.size >= VERIFIED_TOKENS_KEPT) this.verified.delete(this.verified.keys().next().value as string);
      this.verified.set(token, Object.freeze(payload));
    }
    return payload;
  }

  private readonly verified = new Map<string, Readonly<Record<string, unknown>>>();

  /** The payload of a token that passed verifyAccessToken and has not expired since; else undefined. */
  rememberedPayload(token: string): Readonly<Record<string, unknown>> | undefined {
    const known = this.verified.get(token);
    return known && Math.floor(Date.now() / 1000) < (known.exp as number) ? known : undefined;
  }

  /** Claims jsonwebtoken does not insist on: exp, iat (not in the future), sub, sid, jti. */
  checkClaims(payload: Record<string, unknown>): AccessTokenClaims | undefined {
    const now = Math.floor(Date.now() / 1000);
    const { sub, sid, iat, exp, jti } = payload;
    if (typeof sub !== 'string' || typeof sid !== 'string' || typeof jti !== 'string') return undefined;
    if (typeof iat !== 'number' || typeof exp !== 'number') return undefined;
    if (iat > now + CLOCK_SKEW_SECONDS) return undefined;
    return payload as unknown as AccessTokenClaims;
  }

  newRefreshToken(): { token: string; hash: string } {
    const token = randomBytes(32).toString('base64url');
    return { token, hash: hashRefreshToken(token) };
  }
}

export function hashRefreshToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}
