import { isAdmin, type AuthenticatedUser, type Role } from '@gad/access';
export const DASHBOARD_NAMESPACE = '/dashboard';

/** Events a client may send; anything else is answered with an `error` event and dropped. */
export const CLIENT_EVENTS = {
  broadcast: 'notification:broadcast',
  aiChat: 'ai:chat',
  authRefresh: 'auth:refresh',
} as const;
export const KNOWN_CLIENT_EVENTS: ReadonlySet<string> = new Set(Object.values(CLIENT_EVENTS));

export const SERVER_EVENTS = {
  notification: 'notification',
  usersOnline: 'users:online',
  systemStatus: 'system:status',
  systemHistory: 'system:history',
  aiChunk: 'ai:chunk',
  aiDone: 'ai:done',
  authExpired: 'auth:expired',
  error: 'error',
} as const;

/** Why a handshake was refused: the `connect_error` message the client sees. */
export const REFUSAL_REASONS = [
  'unauthorized',
  'token_expired',
  'password_change_required',
  'origin_not_allowed',
  'too_many_connections',
  'unavailable',
] as const;
export type RefusalReason = (typeof REFUSAL_REASONS)[number];

export const ROOMS = {
  admins: 'admins',
  user: (id: string) => `user:${id}`,
  role: (role: Role) => `role:${role}`,
  session: (id: string) => `session:${id}`,
};

/** The rooms a socket of this user sits in: its user, its session, each role, and `admins` for admins and superusers. */
export function roomsOf(user: AuthenticatedUser): string[] {
  const rooms = [ROOMS.user(user.id), ROOMS.session(user.sessionId), ...user.roles.map(ROOMS.role)];
  if (isAdmin(user)) rooms.push(ROOMS.admins);
  return rooms;
}

/** Per-socket event budget: past LIMIT events in a window the extras get `error`; past ABUSE the socket is closed. */
export const EVENT_WINDOW_MS = 10_000;
export const EVENT_LIMIT = 20;
export const EVENT_ABUSE = 40;
/** After `auth:expired`, how long a client has to send `auth:refresh` before the socket is closed. */
export const REAUTH_GRACE_MS = 5_000;
/** AI chats a single socket may have streaming at once. */
export const MAX_CHATS_PER_SOCKET = 2;
/** Admins get `system:status` this often; the traffic history keeps one sample per interval. */
export const STATUS_INTERVAL_MS = 5_000;
/** Connects and disconnects within this window produce one `users:online` update. */
export const PRESENCE_DEBOUNCE_MS = 200;
