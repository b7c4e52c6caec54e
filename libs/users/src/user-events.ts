import { Injectable, Logger } from '@nestjs/common';
import type { Role } from '@gad/access';

export type UserEvent =
  | { type: 'user.created'; userId: string; email: string; fullName: string }
  | { type: 'user.updated'; userId: string; changed: string[]; roles: Role[]; isActive: boolean }
  | { type: 'user.deactivated'; userId: string }
  | { type: 'user.deleted'; userId: string }
  | { type: 'user.password_changed'; userId: string; keepSessionId?: string }
  | { type: 'session.revoked'; userId: string; sessionId: string };

type Handler = (event: UserEvent) => Promise<void> | void;

/**
 * Lets other modules react to user changes without the users module depending on them
 * (auth revokes sessions, caches drop entries, realtime tells admins). Handlers are awaited:
 * when the request that changed a user returns, every reaction (e.g. revocation) has happened.
 */
@Injectable()
export class UserEvents {
  private readonly logger = new Logger('UserEvents');
  private readonly handlers: Handler[] = [];

  subscribe(handler: Handler): void {
    this.handlers.push(handler);
  }

  async publish(event: UserEvent): Promise<void> {
    for (const handler of this.handlers) {
      try {
        await handler(event);
      } catch (error) {
        this.logger.error({ err: error, event: event.type }, 'user event handler failed');
        throw error;
      }
    }
  }
}
