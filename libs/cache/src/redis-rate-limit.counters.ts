import { createHash } from 'node:crypto';
import type { AppConfig } from '@gad/config';
import type { SharedRateLimitCounters } from '@gad/security';
import { keyNamespace } from './key-namespace.js';
import { RedisBreaker } from './redis-breaker.js';
import type { RedisClient, RedisService } from './redis.service.js';

const COMMAND_TIMEOUT_MS = 250;

// MemoryCounters' algorithm (@gad/security) in one atomic round trip.
// Returns {hits, window ms left, blocked 0/1, block ms left}.
const SCRIPT = `
local window = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
local block = tonumber(ARGV[3])
if block > 0 then
  local blocked = redis.call('PTTL', KEYS[2])
  if blocked > 0 then return {limit + 1, blocked, 1, blocked} end
end
local hits = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], window)
  ttl = window
end
if hits <= limit then return {hits, ttl, 0, 0} end
if block > 0 then
  redis.call('SET', KEYS[2], '1', 'PX', block)
  redis.call('DEL', KEYS[1])
  return {hits, block, 1, block}
end
return {hits, ttl, 1, ttl}
`;
const SCRIPT_SHA = createHash('sha1').update(SCRIPT).digest('hex');

/**
 * Rate-limit counters in Redis for @gad/security's throttler storage, under
 * `${PROJECT_NAME}:${ENVIRONMENT}:ratelimit:`. Rejects fast (short timeout, then a pause after a
 * failure) so that the storage can fall back to memory without slowing requests down.
 */
export class RedisRateLimitCounters implements SharedRateLimitCounters {
  private readonly prefix: string;
  private readonly breaker = new RedisBreaker();

  constructor(
    private readonly redis: RedisService,
    config: AppConfig,
  ) {
    this.prefix = `${keyNamespace(config)}ratelimit:`;
  }

  async increment(id: string, ttlMs: number, limit: number, blockMs: number): Promise<number[]> {
    if (this.breaker.isOpen) throw new Error('Redis paused after a recent failure');
    const key = this.prefix + id;
    const options = { keys: [key, `${key}:blocked`], arguments: [String(ttlMs), String(limit), String(blockMs)] };
    try {
      return (await this.redis.run((client) => evalScript(client, options), COMMAND_TIMEOUT_MS)) as number[];
    } catch (error) {
      this.breaker.trip();
      this.redis.reportError('rate-limit', error);
      throw error;
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
