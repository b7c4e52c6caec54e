import { Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { wsConfig } from '@gad/config';
import { Counters, type Held } from '@gad/limits';

/** A held connection slot; release() is idempotent, so every way a socket can end may call it. */
export type ConnectionSlot = Held;

const ALL = 'ws:connections';

/**
 * Live /dashboard sockets against WS_MAX_CONNECTIONS, as a gauge of the shared counters: across every
 * instance with Redis (a crashed instance's sockets stop counting when its heartbeat lapses), this
 * process's own count without it.
 */
@Injectable()
export class ConnectionSlots {
  readonly max: number;

  constructor(
    @Inject(wsConfig.KEY) ws: ConfigType<typeof wsConfig>,
    private readonly counters: Counters,
  ) {
    this.max = ws.maxConnections;
  }

  /** Sockets this process holds. */
  get local(): number {
    return this.counters.heldHere(ALL);
  }

  /** A slot, or undefined when the cap is reached. */
  acquire(): Promise<ConnectionSlot | undefined> {
    return this.counters.hold('sockets', [{ key: ALL, limit: this.max }]);
  }

  /** Live sockets across instances (this process's while Redis cannot answer). */
  total(): Promise<number> {
    return this.counters.total('sockets', ALL);
  }
}
