import type { Socket } from 'socket.io';
import { REAUTH_GRACE_MS, SERVER_EVENTS } from './realtime.constants.js';

/** Why the server closed a socket on its own (a metric label). */
export type CloseCause = 'idle' | 'rate_limited' | 'token_expired';

// setTimeout's ceiling (~24.8 days); tokens live at most a day, this only guards the arithmetic
const MAX_DELAY_MS = 2 ** 31 - 1;

/**
 * One socket's private state on this process: the idle timer, the token-expiry timer and its grace
 * period, and the AI chats it has streaming. Disposed when the socket goes.
 */
export class SocketSession {
  readonly chats = new Set<AbortController>();
  private readonly idle: NodeJS.Timeout;
  private expiry?: NodeJS.Timeout;
  private grace?: NodeJS.Timeout;

  constructor(
    private readonly socket: Socket,
    idleMs: number,
    private readonly onClose: (cause: CloseCause) => void,
  ) {
    this.idle = setTimeout(() => this.close('idle'), idleMs);
  }

  /** Every client event proves the client is alive. */
  touch(): void {
    this.idle.refresh();
  }

  /**
   * (Re)arms the expiry for an access token's `exp` (epoch seconds): at expiry the client gets
   * `auth:expired`, and REAUTH_GRACE_MS later the socket is closed unless `auth:refresh` re-arms it.
   */
  armExpiry(exp: number): void {
    clearTimeout(this.expiry);
    clearTimeout(this.grace);
    const delay = Math.min(MAX_DELAY_MS, Math.max(0, exp * 1000 - Date.now()));
    this.expiry = setTimeout(() => {
      this.socket.emit(SERVER_EVENTS.authExpired, {});
      this.grace = setTimeout(() => this.close('token_expired'), REAUTH_GRACE_MS);
    }, delay);
  }

  close(cause: CloseCause): void {
    this.onClose(cause);
    this.socket.disconnect(true);
  }

  dispose(): void {
    clearTimeout(this.idle);
    clearTimeout(this.expiry);
    clearTimeout(this.grace);
    for (const chat of this.chats) chat.abort();
    this.chats.clear();
  }
}
