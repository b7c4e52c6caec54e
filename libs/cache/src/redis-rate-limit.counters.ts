import { createHash } from 'node:crypto';
import type { AppConfig } from '@gad/config';
import type { SharedRateLimitCounters } from '@gad/security';
import { keyNamespace, RedisBreaker, type RedisClient, type RedisService } from '@gad/redis';

const COMMAND_TIMEOUT_MS = 250;

// MemoryCounters' algorithm (@gad/security) in one atomic round trip, for ARGV[4] increments of the same
// counter in a row. Returns {hits, window ms left, blocked 0/1, block ms left} for each, one after another.
const SCRIPT = `
local window = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
local block = tonumber(ARGV[3])
local count = tonumber(ARGV[4] or '1')
local out = {}
local function push(a, b, c, d)
  out[#out + 1] = a; out[#out + 1] = b; out[#out + 1] = c; out[#out + 1] = d
end
if block == 0 then
  local last = redis.call('INCRBY', KEYS[1], count)
  local ttl = redis.call('PTTL', KEYS[1])
  if ttl < 0 then
    redis.call('PEXPIRE', KEYS[1], window)
    ttl = window
  end
  for hits = last - count + 1, last do
    if hits <= limit then push(hits, ttl, 0, 0) else push(hits, ttl, 1, ttl) end
  end
  return out
end
for _ = 1, count do
  local blocked = redis.call('PTTL', KEYS[2])
  if blocked > 0 then
    push(limit + 1, blocked, 1, blocked)
  else
    local hits = redis.call('INCR', KEYS[1])
    local ttl = redis.call('PTTL', KEYS[1])
    if ttl < 0 then
      redis.call('PEXPIRE', KEYS[1], window)
      ttl = window
    end
    if hits <= limit then
      push(hits, ttl, 0, 0)
    else
      redis.call('SET', KEYS[2], '1', 'PX', block)
      redis.call('DEL', KEYS[1])
      push(hits, block, 1, block)
    end
  end
end
return out
`;
const SCRIPT_SHA = createHash('sha1').update(SCRIPT).digest('hex');

interface Batch {
  id: string;
  ttlMs: number;
  limit: number;
  blockMs: number;
  waiters: Array<{ resolve: (record: number[]) => void; reject: (error: unknown) => void }>;
}

/**
 * Rate-limit counters in Redis for @gad/security's throttler storage, under
 * `${PROJECT_NAME}:${ENVIRONMENT}:ratelimit:`. Rejects fast (short timeout, then a pause after a
 * failure) so that the storage can fall back to memory without slowing requests down.
 *
 * Increments of one counter that arrive in the same turn of the event loop (a busy client's
 * concurrent requests) go to Redis as one script call that counts them one by one, so each request
 * gets exactly the answer it would have had alone, at one round trip for the lot.
 */
export class RedisRateLimitCounters implements SharedRateLimitCounters {
  private readonly prefix: string;
  private readonly breaker = new RedisBreaker();
  private pending = new Map<string, Batch>();

  constructor(
    private readonly redis: RedisService,
    config: AppConfig,
  ) {
    this.prefix = `${keyNamespace(config)}ratelimit:`;
  }

  increment(id: string, ttlMs: number, limit: number, blockMs: number): Promise<number[]> {
    if (this.breaker.isOpen) return Promise.reject(new Error('Redis paused after a recent failure'));
    const batchKey = `${ttlMs}:${limit}:${blockMs}:${id}`;
    let batch = this.pending.get(batchKey);
    if (!batch) {
      if (this.pending.size === 0) setImmediate(() => this.flush());
      batch = { id, ttlMs, limit, blockMs, waiters: [] };
      this.pending.set(batchKey, batch);
    }
    const waiters = batch.waiters;
    return new Promise((resolve, reject) => waiters.push({ resolve, reject }));
  }

  private flush(): void {
    const batches = this.pending;
    this.pending = new Map();
    for (const batch of batches.values()) void this.send(batch);
  }

  private async send({ id, ttlMs, limit, blockMs, waiters }: Batch): Promise<void> {
    const key = this.prefix + id;
    const options = {
      keys: [key, `${key}:blocked`],
      arguments: [String(ttlMs), String(limit), String(blockMs), String(waiters.length)],
    };
    try {
      const records = (await this.redis.run((client) => evalScript(client, options), COMMAND_TIMEOUT_MS)) as number[];
      if (!Array.isArray(records) || records.length !== waiters.length * 4) throw new Error('unexpected rate-limit script reply');
      waiters.forEach((waiter, i) => waiter.resolve(records.slice(i * 4, i * 4 + 4)));
    } catch (error) {
      this.breaker.trip();
      this.redis.reportError('rate-limit', error);
      for (const waiter of waiters) waiter.reject(error);
    }
  }
}

async function evalScript(client: RedisClient, options: { keys: string[]; arguments: string[] }): Promise<unknown> {
  try {
    return await client.evalSha(SCRIPT_SHA, options);
  } catch (error) {
    if (!String((error as Error)?.message).startsWith('NOSCRIPT')) throw error;
    return client.eval(SCRIPT, options);
  }
}
