import pg from 'pg';

/** A connection idle longer than this is checked with `SELECT 1` before it is handed out. */
export const PING_AFTER_IDLE_MS = 1000;
/** A check that gets no answer in this long counts as a dead connection (a firewall that dropped it silently). */
export const PING_TIMEOUT_MS = 2000;

// pg reads query_timeout per query too (client.js), though @types/pg declares it on the client only
const PING = { text: 'SELECT 1', query_timeout: PING_TIMEOUT_MS } as pg.QueryConfig;

type Callback = (err: Error | undefined, client: pg.PoolClient | undefined, done: (release?: unknown) => void) => void;

/**
 * node-postgres' pool with a check at checkout, as SQLAlchemy's `pool_pre_ping`: a connection that
 * died while idle (pg_terminate_backend, a PgBouncer or PostgreSQL restart, a firewall's idle cut)
 * costs one `SELECT 1` and a fresh connection, never a failed query. Only connections idle for more
 * than PING_AFTER_IDLE_MS are checked, so a busy pool pays nothing. TypeORM takes it through its
 * documented `driver` option.
 */
export class CheckedPool extends pg.Pool {
  private readonly idleSince = new WeakMap<pg.PoolClient, number>();

  constructor(config?: pg.PoolConfig) {
    super(config);
    this.on('release', (error: Error | undefined, client: pg.PoolClient) => {
      if (!error) this.idleSince.set(client, Date.now());
    });
    // The pool listens for errors only on idle connections. One that dies while checked out between two
    // queries would otherwise emit an unhandled 'error' and end the process; its next query fails instead,
    // and releasing it with that error removes it from the pool.
    this.on('connect', (client: pg.PoolClient) => client.on('error', () => undefined));
  }

  override connect(): Promise<pg.PoolClient>;
  override connect(callback: Callback): void;
  override connect(callback?: Callback): Promise<pg.PoolClient> | void {
    const checked = this.checkedOut();
    if (!callback) return checked;
    checked.then(
      (client) => callback(undefined, client, (release) => client.release(release as Error | undefined)),
      (error: Error) => callback(error, undefined, () => undefined),
    );
  }

  private async checkedOut(): Promise<pg.PoolClient> {
    // each failed check removes one connection, so this ends: with a live idle one or a new one
    for (let attempt = 0; ; attempt++) {
      const client = await super.connect();
      const idleSince = this.idleSince.get(client);
      if (idleSince === undefined || Date.now() - idleSince < PING_AFTER_IDLE_MS) return client;
      try {
        await client.query(PING);
        return client;
      } catch (error) {
        client.release(error as Error); // with an error: closed and removed, not returned to the pool
        if (attempt >= this.options.max) throw error;
      }
    }
  }
}

/** The `pg` module as TypeORM loads it, with the checked pool. */
export const checkedPgDriver = { ...pg, Pool: CheckedPool };
