import cluster from 'node:cluster';
import type { INestApplicationContext } from '@nestjs/common';
import { IoAdapter } from '@nestjs/platform-socket.io';
import { createAdapter as createNodeClusterAdapter } from '@socket.io/cluster-adapter';
import { createAdapter } from '@socket.io/redis-adapter';
import type { Configuration } from '@gad/config';
import { RedisService, type RedisClient } from '@gad/redis';

// @nestjs/platform-socket.io pins its own socket.io copy: type the server by what the base class uses.
type NestServerOptions = NonNullable<Parameters<IoAdapter['createIOServer']>[1]>;
type NestServer = ReturnType<IoAdapter['createIOServer']>;

const CONNECT_TIMEOUT_MS = 10_000;

// A node that does not answer a cluster-wide lookup (fetchSockets) within this is left out of it.
const CLUSTER_REQUEST_TIMEOUT_MS = 2000;

/**
 * Socket.IO server options from the configuration (heartbeat, message size, CORS as for HTTP) and the
 * fan-out: with Redis, the Redis adapter, so rooms and broadcasts span every instance; without it,
 * in a WORKERS>1 worker, the node:cluster adapter (the primary runs its setupPrimary) for this host.
 * createApp: `app.useWebSocketAdapter(await RealtimeIoAdapter.create(app, configuration, corsOptions(configuration.http)))`.
 */
export class RealtimeIoAdapter extends IoAdapter {
  private fanout?: (nsp: unknown) => unknown;

  private constructor(
    app: INestApplicationContext,
    private readonly config: Configuration,
    private readonly cors: NestServerOptions['cors'],
  ) {
    super(app);
  }

  /** `cors`: the HTTP edge's CORS options, so sockets admit exactly the origins HTTP does. */
  static async create(
    app: INestApplicationContext,
    config: Configuration,
    cors: NestServerOptions['cors'],
  ): Promise<RealtimeIoAdapter> {
    const redis = app.get(RedisService);
    const adapter = new RealtimeIoAdapter(app, config, cors);
    if (redis.enabled) {
      // pub/sub needs connections of its own; RedisService closes them with the app
      const [pub, sub] = await Promise.all([redis.duplicate(), redis.duplicate()]);
      adapter.fanout = createAdapter(failSoft(pub, PUBLISHER_CALLS, redis), failSoft(sub, SUBSCRIBER_CALLS, redis), {
        key: `${config.app.keyNamespace}socket.io`,
        requestsTimeout: CLUSTER_REQUEST_TIMEOUT_MS,
        publishOnSpecificResponseChannel: true,
      });
    } else if (cluster.isWorker) {
      adapter.fanout = createNodeClusterAdapter();
    }
    return adapter;
  }

  override createIOServer(port: number, options?: NestServerOptions): NestServer {
    const server = super.createIOServer(port, {
      ...options,
      pingInterval: this.config.ws.heartbeatIntervalMs,
      maxHttpBufferSize: this.config.ws.messageMaxSize,
      cors: this.cors,
      // a connection that joins no namespace (or is refused one) is closed after this, not Socket.IO's 45 s
      connectTimeout: CONNECT_TIMEOUT_MS,
      serveClient: false, // the dashboard gets the client as a hashed static asset; no version-revealing /socket.io/socket.io.js
      // node:cluster spreads connections round-robin: long-polling's several requests would land on
      // different workers, so workers speak WebSocket only (no sticky-session balancer needed).
      ...(cluster.isWorker ? { transports: ['websocket'] } : {}),
    } as NestServerOptions);
    if (this.fanout) server.adapter(this.fanout as NestServerOptions['adapter']);
    // Socket.IO always has a main namespace and lets anyone join it: no token, no slot, no idle timeout.
    // Only /dashboard is served, so the main one refuses every client as an unknown namespace would, then
    // hangs up once the refusal is out (no legitimate client shares that connection with /dashboard).
    server.of('/').use((socket, next) => {
      next(new Error('Invalid namespace'));
      setImmediate(() => socket.conn.close());
    });
    return server;
  }
}

// The adapter calls these without handling their promises: while Redis is down, or when a
// pending command is dropped at shutdown, each would be an unhandled rejection.
const PUBLISHER_CALLS = new Set(['publish', 'PUBLISH']);
const SUBSCRIBER_CALLS = new Set([
  'subscribe',
  'SUBSCRIBE',
  'pSubscribe',
  'PSUBSCRIBE',
  'unsubscribe',
  'UNSUBSCRIBE',
  'pUnsubscribe',
  'PUNSUBSCRIBE',
]);

/** The client with those calls' failures reported (rate-limited) instead of thrown; an emit then stays local. */
function failSoft(client: RedisClient, calls: ReadonlySet<string>, redis: RedisService): RedisClient {
  return new Proxy(client, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property, target);
      if (typeof value !== 'function') return value;
      // node-redis methods use private fields: call them on the real client, not the proxy
      const method = (value as (...args: unknown[]) => unknown).bind(target);
      if (typeof property !== 'string' || !calls.has(property)) return method;
      return (...args: unknown[]) => {
        const result = method(...args);
        if (result instanceof Promise) result.catch((error: unknown) => redis.reportError(`socket.io ${property}`, error));
        return result;
      };
    },
  });
}
