import { HttpStatus, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { Namespace, Socket } from 'socket.io';
import { LifecycleService } from '@gad/health';
import { ProblemException } from '@gad/observability';
import { UserEvents, UsersService, type UserEvent } from '@gad/users';
import type { NotificationBroadcastDto } from './dto/notification-broadcast.dto.js';
import type { NotificationDto } from './dto/server-events.dto.js';
import { ROOMS, SERVER_EVENTS, STATUS_INTERVAL_MS } from './realtime.constants.js';
import { SystemStatusService } from './system-status.service.js';
import { TrafficHistoryService } from './traffic-history.service.js';
import { errorText } from './error-text.js';
import { isAdmin, type AuthenticatedUser, type Role } from '@gad/access';

/** The sender of notifications the system raises itself (docs/API.md: `from: {id, full_name}`). */
export const SYSTEM_SENDER = { id: '00000000-0000-0000-0000-000000000000', full_name: 'Sistema' };

type SystemNotice = Pick<NotificationDto, 'message' | 'level' | 'event' | 'user'>;

/**
 * What other modules use to reach dashboard clients: emit to admins, a user or a role, and close a
 * user's sockets. Every call is cluster-wide when the Redis adapter is on. Also owns the admin-only
 * broadcast rule and the live reactions to user changes (UserEvents).
 */
@Injectable()
export class RealtimeService implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('Realtime');
  private ns?: Namespace;
  private statusTimer?: NodeJS.Timeout;
  private statusRunning = false;

  constructor(
    private readonly userEvents: UserEvents,
    private readonly users: UsersService,
    private readonly status: SystemStatusService,
    private readonly traffic: TrafficHistoryService,
    private readonly lifecycle: LifecycleService,
  ) {}

  onModuleInit(): void {
    this.userEvents.subscribe((event) => this.onUserEvent(event));
  }

  /** The gateway hands over its namespace once socket.io has created it. */
  attach(ns: Namespace): void {
    this.ns = ns;
    this.traffic.attach(ns);
    this.statusTimer = setInterval(
      () => this.pushStatus().catch((error: unknown) => this.logger.error({ err: errorText(error) }, 'system:status failed')),
      STATUS_INTERVAL_MS,
    );
    this.statusTimer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.statusTimer);
  }

  emitToAdmins(event: string, payload: unknown): void {
    this.ns?.to(ROOMS.admins).emit(event, payload);
  }

  emitToUser(userId: string, event: string, payload: unknown): void {
    this.ns?.to(ROOMS.user(userId)).emit(event, payload);
  }

  emitToRole(role: Role, event: string, payload: unknown): void {
    this.ns?.to(ROOMS.role(role)).emit(event, payload);
  }

  /** Closes every socket of a user, on every node; `exceptSessionId` keeps that session's sockets. */
  disconnectUser(userId: string, options: { exceptSessionId?: string } = {}): void {
    if (!this.ns) return;
    const target = this.ns.in(ROOMS.user(userId));
    (options.exceptSessionId ? target.except(ROOMS.session(options.exceptSessionId)) : target).disconnectSockets(true);
  }

  /** `notification:broadcast`: admins only (checked here, whoever calls), to everyone or to one role and the sender. */
  broadcast(sender: AuthenticatedUser, input: NotificationBroadcastDto): NotificationDto {
    if (!isAdmin(sender)) {
      throw new ProblemException(HttpStatus.FORBIDDEN, { detail: 'Only admins may broadcast notifications.' });
    }
    const notification: NotificationDto = {
      id: randomUUID(),
      message: input.message,
      level: input.level ?? 'info',
      from: { id: sender.id, full_name: sender.fullName },
      created_at: new Date().toISOString(),
    };
    if (this.ns) {
      const audience = input.role ? this.ns.to(ROOMS.role(input.role)).to(ROOMS.user(sender.id)) : this.ns;
      audience.emit(SERVER_EVENTS.notification, notification);
    }
    return notification;
  }

  /** A `notification` from the system (no sender) to admins. */
  notifyAdmins(notice: SystemNotice): void {
    const notification: NotificationDto = {
      id: randomUUID(),
      from: SYSTEM_SENDER,
      created_at: new Date().toISOString(),
      ...notice,
    };
    this.emitToAdmins(SERVER_EVENTS.notification, notification);
  }

  /** On an admin's connect, so the panel and the chart fill at once: the traffic history, then a status snapshot. */
  async sendStatus(socket: Socket): Promise<void> {
    const traffic = await this.traffic.cluster(socket.nsp);
    socket.emit(SERVER_EVENTS.systemHistory, traffic.history);
    socket.emit(SERVER_EVENTS.systemStatus, await this.status.snapshot(traffic.now));
  }

  /** Each node tells its own admins (with the cluster's HTTP figures); admins elsewhere hear from their node. */
  private async pushStatus(): Promise<void> {
    const ns = this.ns;
    if (!ns || this.statusRunning || this.lifecycle.isShuttingDown || !ns.adapter.rooms.get(ROOMS.admins)?.size) return;
    this.statusRunning = true;
    try {
      const { now } = await this.traffic.cluster(ns);
      ns.local.to(ROOMS.admins).emit(SERVER_EVENTS.systemStatus, await this.status.snapshot(now));
    } finally {
      this.statusRunning = false;
    }
  }

  /** Runs inside the request that changed the user (UserEvents awaits it): fast, and never fails that request. */
  private async onUserEvent(event: UserEvent): Promise<void> {
    try {
      switch (event.type) {
        case 'user.created':
          this.notifyAdmins({
            message: `New user: ${event.fullName} (${event.email})`,
            level: 'info',
            event: event.type,
            user: { id: event.userId, email: event.email, full_name: event.fullName },
          });
          break;
        case 'user.deactivated': {
          this.disconnectUser(event.userId);
          const user = await this.users.findById(event.userId);
          this.notifyAdmins({
            message: `User deactivated: ${user ? `${user.fullName} (${user.email})` : event.userId}`,
            level: 'warning',
            event: event.type,
            user: user ? { id: user.id, email: user.email, full_name: user.fullName } : { id: event.userId },
          });
          break;
        }
        case 'user.deleted':
          this.disconnectUser(event.userId);
          break;
        case 'user.password_changed':
          // the sessions are revoked by auth; their sockets go now instead of at token expiry
          this.disconnectUser(event.userId, { exceptSessionId: event.keepSessionId });
          break;
        case 'session.revoked':
          this.ns?.in(ROOMS.session(event.sessionId)).disconnectSockets(true);
          break;
        case 'user.updated':
          // rooms and rights come from the handshake: make the next one pick up the new roles
          if (event.changed.includes('roles') || event.changed.includes('is_superuser')) this.disconnectUser(event.userId);
          break;
      }
    } catch (error) {
      this.logger.error({ err: errorText(error), event: event.type }, 'realtime reaction failed');
    }
  }
}
