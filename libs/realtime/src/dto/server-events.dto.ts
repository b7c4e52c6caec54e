import type { AnswerSource } from '@gad/ai';
import type { NotificationLevel } from './notification-broadcast.dto.js';

/** The payloads the server emits on /dashboard (docs/API.md, Realtime). */

export interface NotificationDto {
  id: string;
  message: string;
  level: NotificationLevel;
  /** For notifications the system raises itself (e.g. a user was created): the nil UUID, "Sistema". */
  from: { id: string; full_name: string };
  created_at: string;
  /** Set on system notifications: what happened, for clients that want to react. */
  event?: string;
  user?: { id: string; email?: string; full_name?: string };
}

export interface OnlineUserDto {
  id: string;
  email: string;
  full_name: string;
}

export interface UsersOnlineDto {
  count: number;
  /** Admins only. */
  users?: OnlineUserDto[];
}

export interface SystemStatusDto {
  database: 'up' | 'down';
  redis: 'up' | 'down' | 'disabled';
  ai: 'configured' | 'not_configured' | 'failing';
  connections: number;
  http: { rps: number; p95_ms: number };
  timestamp: string;
}

/** One point of the traffic chart: at `t`, requests per second and p95 latency over the minute before. */
export interface TrafficSampleDto {
  t: string;
  rps: number;
  p95_ms: number;
}

/** The last five minutes of traffic, every instance merged, oldest first; the last sample is now. */
export interface SystemHistoryDto {
  interval_ms: number;
  samples: TrafficSampleDto[];
}

export interface AiChunkDto {
  id: string;
  delta: string;
}

export interface AiDoneDto {
  id: string;
  response: string;
  source: AnswerSource;
  timestamp: string;
}

export interface SocketErrorDto {
  event: string;
  message: string;
}
