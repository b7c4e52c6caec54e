import { Inject, HttpStatus, Injectable, Optional, type OnModuleInit } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import type { Counter } from 'prom-client';
import { authConfig } from '@gad/config';
import { AuditService } from '@gad/audit';
import { MetricsService, ProblemException } from '@gad/observability';
import { rateLimitRejections } from '@gad/limits';
import { PasswordService, UserDto, UserEvents, UsersService, normalizeEmail, roleNamesOf, type UserEntity } from '@gad/users';
import { CacheService } from '@gad/cache';
import { LoginLimiterService, type LoginAttempt } from './login-limiter.service.js';
import { SessionsRepository } from './sessions.repository.js';
import { TokenService, hashRefreshToken, invalidToken, unauthenticated, type AccessTokenClaims } from './token.service.js';
import type { AuthenticatedUser, ClientContext } from '@gad/access';

export interface IssuedTokens {
  accessToken: string;
  expiresIn: number;
  refreshToken: string;
  refreshExpiresAt: Date;
}

const INVALID_CREDENTIALS = 'Incorrect email or password.';

/** Who holds a session, as cached: the user (in its one cached shape) and the session's state. */
interface Principal {
  user: UserDto;
  session: { revoked: boolean; expiresAt: number };
}

/** Keyed by user, so that a change to the user evicts every session of theirs with one prefix. */
const principalKey = (userId: string, sessionId: string): string => `principal:${userId}:${sessionId}`;
const principalsOf = (userId: string): string => `principal:${userId}:`;

@Injectable()
export class AuthService implements OnModuleInit {
  private readonly refreshTtlMs: number;
  private readonly reuseGraceMs: number;

  constructor(
    @Inject(authConfig.KEY) settings: ConfigType<typeof authConfig>,
    private readonly users: UsersService,
    private readonly passwords: PasswordService,
    private readonly sessions: SessionsRepository,
    private readonly tokens: TokenService,
    private readonly limiter: LoginLimiterService,
    private readonly audit: AuditService,
    private readonly userEvents: UserEvents,
    private readonly cache: CacheService,
    @Optional() metrics?: MetricsService,
  ) {
    this.refreshTtlMs = settings.refreshTokenExpireDays * 86_400_000;
    this.reuseGraceMs = settings.refreshReuseGraceMs;
    this.rejections = metrics && rateLimitRejections(metrics);
  }

  private readonly rejections?: Counter<'limiter'>;

  onModuleInit(): void {
    // Runs inside the request that changed the user: when it answers, revocation is in force everywhere.
    this.userEvents.subscribe(async (event) => {
      if (event.type === 'user.created') return;
      if (event.type === 'session.revoked') return void (await this.cache.forget(principalKey(event.userId, event.sessionId)));
      if (event.type === 'user.deactivated') await this.sessions.revokeUserSessions(event.userId, 'deactivated');
      if (event.type === 'user.password_changed') {
        await this.sessions.revokeUserSessions(event.userId, 'password_changed', event.keepSessionId);
      }
      // deletion cascades to sessions in the database; any other change alters what the guard knows of the user
      await this.cache.forgetPrefix(principalsOf(event.userId));
    });
  }

  async login(email: string, password: string, client: ClientContext): Promise<IssuedTokens> {
    const normalized = normalizeEmail(email);
    if (Buffer.byteLength(password, 'utf8') > 72) {
      throw new ProblemException(HttpStatus.BAD_REQUEST, {
        title: 'Validation failed',
        detail: "password must be at most 72 bytes (bcrypt's limit)",
        errors: [{ field: 'password', message: "password must be at most 72 bytes (bcrypt's limit)" }],
      });
    }
    const attempt = await this.reserveAttempt(client.ip, normalized);
    let user: Awaited<ReturnType<UsersService['findByEmail']>>;
    let valid: boolean;
    try {
      user = await this.users.findByEmail(normalized);
      valid = user
        ? await this.passwords.verify(password, user.hashedPassword, client.signal)
        : await this.passwords.verifyAgainstDummy(password, client.signal);
    } catch (error) {
      await this.limiter.abandoned(attempt); // no answer on the password: not a failure
      throw error;
    }
    if (!user || !valid) {
      await this.audit.record(
        { action: 'auth.login_failed', targetId: user?.id ?? null, changes: { email: normalized } },
        client,
      );
      await this.limiter.failed(attempt);
      throw unauthenticated(INVALID_CREDENTIALS);
    }
    if (!user.isActive) {
      await this.audit.record(
        { action: 'auth.login_failed', actorId: user.id, targetId: user.id, changes: { reason: 'inactive' } },
        client,
      );
      throw new ProblemException(HttpStatus.FORBIDDEN, { detail: 'This account is deactivated. Contact an administrator.' });
    }
    await this.limiter.succeeded(attempt);
    const session = await this.sessions.createSession(
      user.id,
      new Date(Date.now() + this.refreshTtlMs),
      client.ip,
      client.userAgent,
    );
    const issued = await this.issue(user, session.id, session.expiresAt);
    await this.audit.record(
      { action: 'auth.login', actorId: user.id, targetId: user.id, changes: { session_id: session.id } },
      client,
    );
    return issued;
  }

  /**
   * Rotates the refresh token. Presented again within REFRESH_REUSE_GRACE_SECONDS of its rotation (two tabs,
   * or a retried request, racing), it gets a fresh pair in the same session; later, reuse revokes the family.
   */
  async refresh(refreshToken: string | undefined, client: ClientContext): Promise<IssuedTokens> {
    if (!refreshToken) throw unauthenticated('No refresh token: sign in again.');
    const hash = hashRefreshToken(refreshToken);
    const stored = await this.sessions.findRefreshToken(hash);
    if (!stored) throw unauthenticated('Invalid refresh token: sign in again.');
    const session = await this.sessions.findSession(stored.sessionId);
    if (!session || session.revokedAt || session.expiresAt.getTime() <= Date.now() || stored.expiresAt.getTime() <= Date.now()) {
      throw unauthenticated('This session has ended: sign in again.');
    }
    if (stored.usedAt || !(await this.sessions.markUsed(stored.id))) {
      // lost a race to markUsed: the winner's time is the rotation time
      const usedAt = stored.usedAt ?? (await this.sessions.findRefreshToken(hash))?.usedAt;
      if (!usedAt || Date.now() - usedAt.getTime() > this.reuseGraceMs) {
        await this.sessions.revokeSession(session.id, 'refresh_reuse');
        await this.userEvents.publish({ type: 'session.revoked', userId: session.userId, sessionId: session.id });
        await this.audit.record(
          {
            action: 'auth.refresh_reuse',
            actorId: session.userId,
            targetId: session.userId,
            changes: { session_id: session.id },
          },
          client,
        );
        throw unauthenticated('This refresh token was already used; the session has been revoked. Sign in again.');
      }
    }
    const user = await this.users.findById(session.userId);
    if (!user || !user.isActive) {
      await this.sessions.revokeSession(session.id, 'user_inactive');
      throw unauthenticated('This account is no longer active.');
    }
    return this.issue(user, session.id, session.expiresAt);
  }

  /** Ends the session named by the refresh token or the access token; fine when there is none. */
  async logout(refreshToken: string | undefined, accessToken: string | undefined, client: ClientContext): Promise<void> {
    let sessionId: string | undefined;
    let userId: string | null = null;
    if (refreshToken) {
      const stored = await this.sessions.findRefreshToken(hashRefreshToken(refreshToken));
      sessionId = stored?.sessionId;
    }
    if (!sessionId && accessToken) {
      const claims = this.verifiedOrUndefined(accessToken);
      sessionId = claims?.sid;
      userId = claims?.sub ?? null;
    }
    if (!sessionId) return;
    const session = await this.sessions.findSession(sessionId);
    if (session && (await this.sessions.revokeSession(sessionId, 'logout'))) {
      await this.userEvents.publish({ type: 'session.revoked', userId: session.userId, sessionId });
      await this.audit.record(
        {
          action: 'auth.logout',
          actorId: userId ?? session.userId,
          targetId: session.userId,
          changes: { session_id: sessionId },
        },
        client,
      );
    }
  }

  /**
   * The current password is checked like a sign-in's, on the login limiter's counters for the account and this
   * address: a stolen access token must not buy unlimited guesses at the password it could then replace.
   */
  async changePassword(principal: AuthenticatedUser, current: string, next: string, client: ClientContext): Promise<void> {
    const user = await this.users.findById(principal.id);
    if (!user) throw unauthenticated('The current password is incorrect.');
    const attempt = await this.reserveAttempt(client.ip, normalizeEmail(user.email)); // the key sign-in uses
    let valid: boolean;
    try {
      valid = await this.passwords.verify(current, user.hashedPassword, client.signal);
    } catch (error) {
      await this.limiter.abandoned(attempt);
      throw error;
    }
    if (!valid) {
      await this.audit.record({ action: 'auth.password_change_failed', actorId: user.id, targetId: user.id }, client);
      await this.limiter.failed(attempt);
      throw unauthenticated('The current password is incorrect.');
    }
    await this.limiter.succeeded(attempt);
    this.passwords.assertAcceptable(next, user.email, 'new_password');
    if (await this.passwords.verify(next, user.hashedPassword, client.signal)) {
      throw new ProblemException(HttpStatus.BAD_REQUEST, {
        title: 'Weak password',
        detail: 'new_password must differ from the current password',
        errors: [{ field: 'new_password', message: 'new_password must differ from the current password' }],
      });
    }
    if (!(await this.users.changeOwnPassword(user.id, user.hashedPassword, next, principal.sessionId, client.signal))) {
      throw unauthenticated('The current password is incorrect.'); // another change won while this one was checked
    }
    await this.audit.record({ action: 'auth.password_changed', actorId: user.id, targetId: user.id }, client);
  }

  /** Counts a password check on the login limiter; 429 with Retry-After when this address is over its budget. */
  private async reserveAttempt(ip: string, email: string): Promise<LoginAttempt> {
    const attempt = await this.limiter.reserve(ip, email);
    if (attempt.retryAfter > 0) {
      this.rejections?.inc({ limiter: 'login' });
      throw new ProblemException(HttpStatus.TOO_MANY_REQUESTS, {
        detail: `Too many failed password attempts from this address. Try again in ${attempt.retryAfter} seconds.`,
        headers: { 'Retry-After': String(attempt.retryAfter) },
      });
    }
    return attempt;
  }

  /**
   * The one verifier for HTTP and sockets: the token (signature and claims), then who holds its session,
   * read through the cache (one query when cold: the session with its user and roles), then whether
   * the user is still active and the session still live.
   */
  async authenticate(token: string): Promise<AuthenticatedUser> {
    const claims = this.tokens.verify(token);
    const principal = await this.cache.remember(
      principalKey(claims.sub, claims.sid),
      async (): Promise<Principal | null> => {
        const session = await this.sessions.findWithUser(claims.sid, claims.sub);
        if (!session?.user) return null;
        return {
          user: UserDto.from(session.user),
          session: { revoked: session.revokedAt !== null, expiresAt: session.expiresAt.getTime() },
        };
      },
      { memory: true },
    );
    return admit(principal, claims);
  }

  private verifiedOrUndefined(token: string): AccessTokenClaims | undefined {
    try {
      return this.tokens.verify(token);
    } catch {
      return undefined;
    }
  }

  private async issue(user: UserEntity, sessionId: string, sessionExpiresAt: Date): Promise<IssuedTokens> {
    const accessToken = await this.tokens.signAccessToken(
      { id: user.id, email: user.email, roles: roleNamesOf(user) },
      sessionId,
    );
    const { token, hash } = this.tokens.newRefreshToken();
    await this.sessions.addRefreshToken(sessionId, hash, sessionExpiresAt);
    return { accessToken, expiresIn: this.tokens.accessTtlSeconds, refreshToken: token, refreshExpiresAt: sessionExpiresAt };
  }
}

function admit(principal: Principal | null, claims: AccessTokenClaims): AuthenticatedUser {
  if (!principal) throw invalidToken('This session has ended: sign in again.');
  const { user, session } = principal;
  if (!user.is_active) throw invalidToken('This account is no longer active.');
  if (session.revoked || session.expiresAt <= Date.now()) throw invalidToken('This session has ended: sign in again.');
  return {
    id: user.id,
    email: user.email,
    fullName: user.full_name,
    roles: user.roles,
    isSuperuser: user.is_superuser,
    mustChangePassword: user.must_change_password,
    createdAt: user.created_at,
    updatedAt: user.updated_at,
    sessionId: claims.sid,
    tokenExpiresAt: claims.exp,
  };
}
