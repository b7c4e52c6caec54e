import { Inject, UseFilters } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import {
  ConnectedSocket,
  MessageBody,
  SubscribeMessage,
  WebSocketGateway,
  type OnGatewayConnection,
  type OnGatewayDisconnect,
  type OnGatewayInit,
} from '@nestjs/websockets';
import type { Counter } from 'prom-client';
import type { Namespace, Socket } from 'socket.io';
import { ChatLimitsPipe, ChatRequestDto } from '@gad/ai';
import { httpConfig, wsConfig } from '@gad/config';
import { Counters } from '@gad/limits';
import { MetricsService, jsonBoundsProblem, type JsonBounds } from '@gad/observability';
import { ConnectionSlotsRepository } from './connection-slots.repository.js';
import { AuthRefreshDto } from './dto/auth-refresh.dto.js';
import { NotificationBroadcastDto } from './dto/notification-broadcast.dto.js';
import type { SocketErrorDto } from './dto/server-events.dto.js';
import { HandshakeService } from './handshake.service.js';
import { PresenceService, type SocketData } from './presence.service.js';
import { RealtimeChatService } from './realtime-chat.service.js';
import {
  CLIENT_EVENTS,
  DASHBOARD_NAMESPACE,
  EVENT_ABUSE,
  EVENT_LIMIT,
  EVENT_WINDOW_MS,
  KNOWN_CLIENT_EVENTS,
  SERVER_EVENTS,
  roomsOf,
} from './realtime.constants.js';
import { RealtimeService } from './realtime.service.js';
import { SocketErrorFilter } from './socket-error.filter.js';
import { SocketSession, type CloseCause } from './socket-session.js';
import { isAdmin, type AuthenticatedUser } from '@gad/access';

const userOf = (socket: Socket): AuthenticatedUser => (socket.data as SocketData).user;

/** Refuses an event: an `error` event, and the acknowledgement (when the client asked for one) carries it too. */
function refuseEvent(socket: Socket, event: string, message: string, args: unknown[]): void {
  const error = { event, message } satisfies SocketErrorDto;
  socket.emit(SERVER_EVENTS.error, error);
  const ack = args.at(-1);
  if (typeof ack === 'function') ack({ error });
}

/**
 * The /dashboard namespace (docs/API.md, Realtime). Server options (heartbeat, size cap, CORS, Redis
 * fan-out) come from RealtimeIoAdapter. Here: the handshake, per-socket limits (idle, event budget,
 * token expiry), rooms, and the client events, each validated by its DTO through the global pipe.
 */
@WebSocketGateway({ namespace: DASHBOARD_NAMESPACE })
@UseFilters(new SocketErrorFilter())
export class RealtimeGateway implements OnGatewayInit<Namespace>, OnGatewayConnection<Socket>, OnGatewayDisconnect<Socket> {
  private readonly sessions = new WeakMap<Socket, SocketSession>();
  private readonly idleMs: number;
  private readonly bounds: JsonBounds;
  private readonly events: Counter<'event'>;
  private readonly closes: Counter<'cause'>;

  constructor(
    @Inject(wsConfig.KEY) ws: ConfigType<typeof wsConfig>,
    @Inject(httpConfig.KEY) http: ConfigType<typeof httpConfig>,
    metrics: MetricsService,
    slots: ConnectionSlotsRepository,
    private readonly counters: Counters,
    private readonly handshake: HandshakeService,
    private readonly realtime: RealtimeService,
    private readonly presence: PresenceService,
    private readonly chat: RealtimeChatService,
  ) {
    this.idleMs = ws.connectionTimeoutMs;
    this.bounds = http.json;
    this.events = metrics.counter('socketio_events_total', 'Client events received on /dashboard, by event', ['event']);
    this.closes = metrics.counter('socketio_server_closes_total', 'Sockets the server closed on its own, by cause', ['cause']);
    metrics.gauge('socketio_connections', 'Open /dashboard sockets on this process', [], function () {
      this.set(slots.local);
    });
  }

  afterInit(ns: Namespace): void {
    this.realtime.attach(ns);
    ns.use((socket, next) => {
      this.handshake.admit(socket).then(({ user, slot }) => {
        // a client that leaves before it connects never emits 'disconnect' (socket.io drops it after next())
        if (socket.conn.readyState === 'open') socket.conn.once('close', slot.release);
        else slot.release();
        socket.once('disconnect', slot.release);
        (socket.data as SocketData).user = user;
        next();
      }, next);
    });
  }

  handleConnection(socket: Socket): void {
    const user = userOf(socket);
    const session = new SocketSession(socket, this.idleMs, (cause: CloseCause) => this.closes.inc({ cause }));
    this.sessions.set(socket, session);
    socket.use((packet, next) => this.gate(socket, session, packet, next));
    void socket.join(roomsOf(user));
    session.armExpiry(user.tokenExpiresAt);
    this.presence.schedule(socket.nsp);
    if (isAdmin(user)) this.realtime.sendStatus(socket).catch(() => undefined);
  }

  handleDisconnect(socket: Socket): void {
    this.sessions.get(socket)?.dispose();
    this.sessions.delete(socket);
    this.presence.schedule(socket.nsp);
  }

  @SubscribeMessage(CLIENT_EVENTS.broadcast)
  broadcast(@ConnectedSocket() socket: Socket, @MessageBody() body: NotificationBroadcastDto): { id: string } {
    return { id: this.realtime.broadcast(userOf(socket), body).id };
  }

  @SubscribeMessage(CLIENT_EVENTS.aiChat)
  aiChat(@ConnectedSocket() socket: Socket, @MessageBody(ChatLimitsPipe) body: ChatRequestDto): { id: string } {
    return this.chat.start(socket, this.sessionOf(socket), userOf(socket), body);
  }

  /** Re-authenticates a live socket with a fresh token for the same user; re-arms its expiry and rooms. */
  @SubscribeMessage(CLIENT_EVENTS.authRefresh)
  async authRefresh(@ConnectedSocket() socket: Socket, @MessageBody() body: AuthRefreshDto): Promise<{ expires_at: string }> {
    const before = userOf(socket);
    const user = await this.handshake.reauthenticate(before, body.token);
    const after = roomsOf(user);
    for (const room of roomsOf(before)) if (!after.includes(room)) void socket.leave(room);
    void socket.join(after);
    (socket.data as SocketData).user = user;
    this.sessions.get(socket)?.armExpiry(user.tokenExpiresAt);
    return { expires_at: new Date(user.tokenExpiresAt * 1000).toISOString() };
  }

  /**
   * Runs before any handler: counts the event, enforces the budget, answers unknown events, refuses
   * payloads past the JSON bounds and events the caller may not send, all before validation runs.
   */
  private gate(socket: Socket, session: SocketSession, [event, ...args]: unknown[], next: (error?: Error) => void): void {
    const name = typeof event === 'string' ? event.slice(0, 64) : '?';
    const known = KNOWN_CLIENT_EVENTS.has(name);
    this.events.inc({ event: known ? name : 'unknown' });
    session.touch();
    // counted up to EVENT_ABUSE: past EVENT_LIMIT an event is dropped, past EVENT_ABUSE the socket closed
    const budget = this.counters.takeHere([{ key: `ws-events:${socket.id}`, limit: EVENT_ABUSE }], EVENT_WINDOW_MS);
    if (!budget.ok) return session.close('rate_limited');
    if (budget.counts[0] > EVENT_LIMIT) {
      return refuseEvent(
        socket,
        name,
        `rate_limited: at most ${EVENT_LIMIT} events per ${EVENT_WINDOW_MS / 1000} s; this one was dropped.`,
        args,
      );
    }
    if (!known) {
      return refuseEvent(socket, name, `Unknown event; this namespace accepts ${[...KNOWN_CLIENT_EVENTS].join(', ')}.`, args);
    }
    if (name === CLIENT_EVENTS.broadcast && !isAdmin(userOf(socket))) {
      return refuseEvent(socket, name, 'Only admins may broadcast notifications.', args);
    }
    const tooComplex = jsonBoundsProblem(args, this.bounds);
    if (tooComplex) return refuseEvent(socket, name, tooComplex, args);
    next();
  }

  private sessionOf(socket: Socket): SocketSession {
    const session = this.sessions.get(socket);
    if (!session) throw new Error('socket session missing');
    return session;
  }
}
