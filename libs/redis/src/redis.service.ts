import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { createHash } from 'node:crypto';
import { createClient, type RedisClientType } from '@redis/client';
import { redactUrl, redisConfig } from '@gad/config';

export type RedisClient = RedisClientType;

const CONNECT_TIMEOUT_MS = 2000;
const COMMAND_TIMEOUT_MS = 500;
const ERROR_LOG_INTERVAL_MS = 30_000;
const CLOSE_TIMEOUT_MS = 2000;

/**
 * The one Redis connection factory. Absent REDIS_URL, `enabled` is false and callers use their
 * in-memory fallback. Commands fail fast while Redis is down (no offline queue), and the client
 * reconnects in the background, so an outage degrades features instead of hanging requests.
 */
@Injectable()
export class RedisService implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('Redis');
  private readonly clients: RedisClient[] = [];
  private lastErrorLog = 0;
  readonly client?: RedisClient;

  constructor(@Inject(redisConfig.KEY) private readonly config: ConfigType<typeof redisConfig>) {
    if (config.url) this.client = this.create();
  }

  get enabled(): boolean {
    return this.client !== undefined;
  }

  /** True while the main connection is up. */
  get isReady(): boolean {
    return this.client?.isReady ?? false;
  }

  async onModuleInit(): Promise<void> {
    if (!this.client) return;
    await this.connect(this.client);
  }

  /** A separate connection (pub/sub needs its own), closed with the app. */
  async duplicate(): Promise<RedisClient> {
    const client = this.create();
    await this.connect(client);
    return client;
  }

  /** Runs a command bounded by a short timeout; rejects when Redis is down or slow. */
  async run<T>(command: (client: RedisClient) => Promise<T>, timeoutMs = COMMAND_TIMEOUT_MS): Promise<T> {
    if (!this.client) throw new Error('Redis is not configured');
    if (!this.client.isReady) throw new Error('Redis is not connected');
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`Redis command timed out after ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      return await Promise.race([command(this.client), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Runs a Lua script by its SHA (the text is sent only the first time a server sees it), bounded like
   * run(). Atomic on the server: the way to read and write several keys in one round trip.
   */
  runScript(script: RedisScript, keys: string[], args: string[], timeoutMs = COMMAND_TIMEOUT_MS): Promise<unknown> {
    return this.run(async (client) => {
      try {
        return await client.evalSha(script.sha, { keys, arguments: args });
      } catch (error) {
        if (!String((error as Error)?.message).startsWith('NOSCRIPT')) throw error;
        return client.eval(script.text, { keys, arguments: args });
      }
    }, timeoutMs);
  }

  async ping(timeoutMs = COMMAND_TIMEOUT_MS): Promise<boolean> {
    try {
      return (await this.run((c) => c.ping(), timeoutMs)) === 'PONG';
    } catch {
      return false;
    }
  }

  /** Logs a Redis failure at most once per interval, so an outage does not flood the logs. */
  reportError(context: string, error: unknown): void {
    const now = Date.now();
    if (now - this.lastErrorLog < ERROR_LOG_INTERVAL_MS) return;
    this.lastErrorLog = now;
    this.logger.warn({ err: error instanceof Error ? error.message : String(error), context }, 'Redis unavailable; degrading');
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all(this.clients.map((c) => this.close(c)));
  }

  // close() waits for queued commands (e.g. a pub/sub unsubscribe issued while Redis is down), which
  // would hang the shutdown for the whole outage: destroy a client that is not ready, or slow to close.
  private async close(client: RedisClient): Promise<void> {
    if (!client.isOpen) return;
    if (!client.isReady) return client.destroy();
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(true), CLOSE_TIMEOUT_MS);
    });
    const slow = await Promise.race([
      client.close().then(
        () => false,
        () => false,
      ),
      timedOut,
    ]);
    clearTimeout(timer);
    if (slow && client.isOpen) client.destroy();
  }

  private create(): RedisClient {
    const client = createClient({
      url: this.config.url,
      password: this.config.password,
      disableOfflineQueue: true,
      socket: {
        connectTimeout: CONNECT_TIMEOUT_MS,
        reconnectStrategy: (retries: number) => Math.min(100 * 2 ** Math.min(retries, 5), 3000),
      },
    }) as RedisClient;
    client.on('error', (error: unknown) => this.reportError('connection', error));
    this.clients.push(client);
    return client;
  }

  private async connect(client: RedisClient): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, CONNECT_TIMEOUT_MS);
    });
    const connecting = client.connect().then(
      () => undefined,
      (error: unknown) => this.reportError('connect', error),
    );
    await Promise.race([connecting, timeout]);
    clearTimeout(timer);
    if (!client.isReady) {
      this.logger.warn(`Redis at ${redactUrl(this.config.url ?? '')} is not reachable yet; retrying in the background`);
    }
  }
}

/** A Lua script and its SHA1, computed once. */
export class RedisScript {
  readonly sha: string;

  constructor(readonly text: string) {
    this.sha = createHash('sha1').update(text).digest('hex');
  }
}
