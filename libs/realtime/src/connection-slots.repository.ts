import { Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { wsConfig } from '@gad/config';
import { Counters, type Held } from '@gad/limits';

/** A held connection slot; release() is idempotent, so every way a socket can end may call it. */
export type ConnectionSlot = Held;

const ALL = 'ws:connections';

/** Why a slot was not given. */
export type SlotRefusal = 'server_full' | 'user_full';

/**
 * Live /dashboard sockets against WS_MAX_CONNECTIONS and, per user, WS_MAX_CONNECTIONS_PER_USER (so
 * one account cannot take every slot), as gauges of the shared counters: across every instance with
 * Redis (a crashed instance's sockets stop counting when its heartbeat lapses), this process's own
 * count without it. Anonymous handshakes never reach a slot: the token is checked first.
 */
@Injectable()
export class ConnectionSlotsRepository {
  readonly max: number;
  readonly maxPerUser: number;

  constructor(
    @Inject(wsConfig.KEY) ws: ConfigType<typeof wsConfig>,
    private readonly counters: Counters,
  ) {
    this.max = ws.maxConnections;
    this.maxPerUser = ws.maxConnectionsPerUser;
  }

  /** Sockets this process holds. */
  get local(): number {
    return this.counters.heldHere(ALL);
  }

  /** A slot for this user, or why not: the server's cap or the user's own is reached. */
  async acquire(userId: string): Promise<ConnectionSlot | SlotRefusal> {
    const mine = `ws:user:${userId}`;
    const slot = await this.counters.hold('sockets', [
      { key: mine, limit: this.maxPerUser },
      { key: ALL, limit: this.max },
    ]);
    if (slot) return slot;
    return (await this.counters.total('sockets', mine)) >= this.maxPerUser ? 'user_full' : 'server_full';
  }

  /** Live sockets across instances (this process's while Redis cannot answer). */
  total(): Promise<number> {
    return this.counters.total('sockets', ALL);
  }
}
