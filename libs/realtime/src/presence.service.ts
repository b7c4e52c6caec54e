import { Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import type { Namespace } from 'socket.io';
import type { OnlineUserDto, UsersOnlineDto } from './dto/server-events.dto.js';
import { PRESENCE_DEBOUNCE_MS, ROOMS, SERVER_EVENTS } from './realtime.constants.js';
import { errorText } from './error-text.js';
import { type AuthenticatedUser } from '@gad/access';
import { RedisService } from '@gad/redis';

/** What every /dashboard socket carries in `socket.data` (plain JSON: it crosses nodes in fetchSockets). */
export interface SocketData {
  user: AuthenticatedUser;
}

// The admin list is for a dashboard, not an export; the count stays exact past it.
const MAX_USERS_LISTED = 500;

/**
 * `users:online`: distinct users with a live socket, cluster-wide (fetchSockets asks every node
 * through the Redis adapter). Connects and disconnects are coalesced into one update per
 * PRESENCE_DEBOUNCE_MS, so a reconnect storm costs a few lookups, not one per socket.
 */
@Injectable()
export class PresenceService implements OnApplicationShutdown {
  private readonly logger = new Logger('Realtime');
  private timer?: NodeJS.Timeout;

  constructor(private readonly redis: RedisService) {}

  schedule(ns: Namespace): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.publish(ns).catch((error: unknown) => this.logger.error({ err: errorText(error) }, 'users:online update failed'));
    }, PRESENCE_DEBOUNCE_MS);
  }

  async snapshot(ns: Namespace): Promise<Required<UsersOnlineDto>> {
    const users = new Map<string, OnlineUserDto>();
    for (const socket of await this.sockets(ns)) {
      const user = (socket.data as Partial<SocketData>).user;
      if (user && !users.has(user.id)) users.set(user.id, { id: user.id, email: user.email, full_name: user.fullName });
    }
    const list = [...users.values()].sort((a, b) => a.full_name.localeCompare(b.full_name) || a.email.localeCompare(b.email));
    return { count: users.size, users: list.slice(0, MAX_USERS_LISTED) };
  }

  async publish(ns: Namespace): Promise<void> {
    const { count, users } = await this.snapshot(ns);
    ns.except(ROOMS.admins).emit(SERVER_EVENTS.usersOnline, { count } satisfies UsersOnlineDto);
    ns.to(ROOMS.admins).emit(SERVER_EVENTS.usersOnline, { count, users } satisfies UsersOnlineDto);
  }

  onApplicationShutdown(): void {
    clearTimeout(this.timer);
  }

  /** Every node's sockets; this node's alone when another node does not answer in time or Redis is down. */
  private async sockets(ns: Namespace): Promise<{ data: unknown }[]> {
    try {
      return await ns.fetchSockets();
    } catch (error) {
      this.redis.reportError('users:online across nodes', error);
      return ns.local.fetchSockets();
    }
  }
}
