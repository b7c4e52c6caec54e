import { Inject, HttpStatus, Injectable, Logger } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import type { Socket } from 'socket.io';
import { ACCESS_COOKIE, AccessTokenExpired, AuthService, readCookie } from '@gad/auth';
import { httpConfig } from '@gad/config';
import { MetricsService, ProblemException } from '@gad/observability';
import type { Counter } from 'prom-client';
import { ConnectionSlotsRepository, type ConnectionSlot } from './connection-slots.repository.js';
import type { RefusalReason } from './realtime.constants.js';
import { errorText } from './error-text.js';
import { TrustedOrigins, type AuthenticatedUser } from '@gad/access';

/** A refused handshake: socket.io sends it to the client as `connect_error` (message = reason, data = {detail}). */
export class SocketRefusal extends Error {
  readonly data: { detail: string };

  constructor(
    readonly reason: RefusalReason,
    detail: string,
  ) {
    super(reason);
    this.data = { detail };
  }
}

export interface Admission {
  user: AuthenticatedUser;
  slot: ConnectionSlot;
}

/**
 * Who may open a /dashboard socket: a valid access token (handshake `auth.token`, or the access
 * cookie for browsers), verified by AuthService.authenticate exactly as HTTP does, and a free
 * connection slot. The token is checked before a slot is taken, so strangers cannot fill the server.
 */
@Injectable()
export class HandshakeService {
  private readonly logger = new Logger('Realtime');
  private readonly origins: TrustedOrigins;
  private readonly refusals: Counter<'reason'>;

  constructor(
    @Inject(httpConfig.KEY) http: ConfigType<typeof httpConfig>,
    private readonly auth: AuthService,
    private readonly slots: ConnectionSlotsRepository,
    metrics: MetricsService,
  ) {
    this.origins = new TrustedOrigins(http.corsAllowedOrigins);
    this.refusals = metrics.counter('socketio_refusals_total', 'Socket.IO handshakes refused, by reason', ['reason']);
  }

  async admit(socket: Socket): Promise<Admission> {
    try {
      return await this.check(socket);
    } catch (error) {
      const refusal = error instanceof SocketRefusal ? error : this.unexpected(error);
      this.refusals.inc({ reason: refusal.reason });
      throw refusal;
    }
  }

  private async check(socket: Socket): Promise<Admission> {
    const { handshake } = socket;
    const offered: unknown = handshake.auth?.token;
    const fromAuth = typeof offered === 'string' && offered !== '' ? offered : undefined;
    const token = fromAuth ?? readCookie(handshake, ACCESS_COOKIE);
    if (!token) throw new SocketRefusal('unauthorized', 'An access token is required: send auth.token or sign in first.');
    // A cookie rides along on any page's request: only same-origin or listed pages may use it (no cross-site socket hijacking).
    if (!fromAuth && !this.originAllowed(handshake.headers.origin, handshake.headers.host)) {
      throw new SocketRefusal(
        'origin_not_allowed',
        'The access cookie is only accepted from this site or a CORS_ALLOWED_ORIGINS origin.',
      );
    }
    const user = await this.authenticate(token);
    if (user.mustChangePassword) {
      throw new SocketRefusal('password_change_required', 'Change your password first: POST /auth/change-password.');
    }
    const slot = await this.slots.acquire(user.id);
    if (slot === 'user_full') {
      throw new SocketRefusal(
        'too_many_connections',
        `This account holds its limit of ${this.slots.maxPerUser} live connections; close one first.`,
      );
    }
    if (slot === 'server_full') {
      throw new SocketRefusal(
        'too_many_connections',
        `The server holds its limit of ${this.slots.max} live connections; retry shortly.`,
      );
    }
    return { user, slot };
  }

  /** `auth:refresh`: a new token for the same user (its errors are problem details, shown as `error` events). */
  async reauthenticate(current: AuthenticatedUser, token: string): Promise<AuthenticatedUser> {
    const user = await this.auth.authenticate(token);
    if (user.id !== current.id) {
      throw new ProblemException(HttpStatus.FORBIDDEN, {
        detail: 'The token belongs to another user: open a new connection instead.',
      });
    }
    if (user.mustChangePassword) {
      throw new ProblemException(HttpStatus.FORBIDDEN, { detail: 'Change your password first: POST /auth/change-password.' });
    }
    return user;
  }

  private async authenticate(token: string): Promise<AuthenticatedUser> {
    try {
      return await this.auth.authenticate(token);
    } catch (error) {
      if (error instanceof ProblemException && error.getStatus() === HttpStatus.UNAUTHORIZED) {
        // an expired token is refreshed, not signed in again
        throw new SocketRefusal(error instanceof AccessTokenExpired ? 'token_expired' : 'unauthorized', error.problem.detail);
      }
      throw error;
    }
  }

  private originAllowed(origin: string | undefined, host: string | undefined): boolean {
    return !origin || this.origins.isTrusted(origin, host); // no Origin: not a browser page
  }

  private unexpected(error: unknown): SocketRefusal {
    this.logger.error({ err: errorText(error) }, 'socket handshake failed');
    return new SocketRefusal('unavailable', 'The server could not check your access right now; retry shortly.');
  }
}
