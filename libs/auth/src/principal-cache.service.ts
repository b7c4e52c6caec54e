import { Injectable } from '@nestjs/common';
import { CacheService, NearCache } from '@gad/cache';
import type { UserEntity } from '@gad/users';
import type { SessionEntity } from './entities/session.entity.js';
import { type Role } from '@gad/access';

/** What the guard needs to know about a user on every request. */
export interface UserSnapshot {
  id: string;
  email: string;
  fullName: string;
  roles: Role[];
  isActive: boolean;
  isSuperuser: boolean;
  mustChangePassword: boolean;
}

export interface SessionSnapshot {
  userId: string;
  revoked: boolean;
  expiresAt: number;
}

const NEAR_TTL_MS = 15_000;
const SHARED_TTL_SECONDS = 300;

/**
 * Read-through cache of the user and session behind an access token, so a signed-in request costs no
 * database round trip when warm: memory first (NearCache), then Redis (CacheService), then PostgreSQL.
 * Every change that affects access evicts both tiers before the request that made it returns.
 */
@Injectable()
export class PrincipalCache {
  constructor(
    private readonly near: NearCache,
    private readonly shared: CacheService,
  ) {}

  /** Both from this process's memory when it holds them (the warm path: no promise, no round trip). */
  inMemory(userId: string, sessionId: string): [UserSnapshot, SessionSnapshot] | undefined {
    const user = this.near.get<UserSnapshot>(userKey(userId));
    const session = user && this.near.get<SessionSnapshot>(sessionKey(sessionId));
    return user && session ? [user, session] : undefined;
  }

  user(id: string, load: () => Promise<UserEntity | null>): Promise<UserSnapshot | null> {
    return this.read(userKey(id), async () => {
      const user = await load();
      return user ? toUserSnapshot(user) : null;
    });
  }

  session(id: string, load: () => Promise<SessionEntity | null>): Promise<SessionSnapshot | null> {
    return this.read(sessionKey(id), async () => {
      const session = await load();
      return session
        ? { userId: session.userId, revoked: session.revokedAt !== null, expiresAt: session.expiresAt.getTime() }
        : null;
    });
  }

  async forgetUser(id: string): Promise<void> {
    await this.forget(userKey(id));
  }

  async forgetSessions(ids: string[]): Promise<void> {
    await Promise.all(ids.map((id) => this.forget(sessionKey(id))));
  }

  private read<T>(key: string, load: () => Promise<T | null>): Promise<T | null> {
    return this.near.wrap(key, NEAR_TTL_MS, () => this.shared.wrap(key, load, SHARED_TTL_SECONDS));
  }

  private async forget(key: string): Promise<void> {
    await Promise.all([this.near.evict(key), this.shared.del(key)]);
  }
}

const userKey = (id: string): string => `principal:user:${id}`;
const sessionKey = (id: string): string => `principal:session:${id}`;

function toUserSnapshot(user: UserEntity): UserSnapshot {
  return {
    id: user.id,
    email: user.email,
    fullName: user.fullName,
    roles: user.roles.map((r) => r.name as Role).sort(),
    isActive: user.isActive,
    isSuperuser: user.isSuperuser,
    mustChangePassword: user.mustChangePassword,
  };
}
