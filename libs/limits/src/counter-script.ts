import { RedisScript } from '@gad/redis';

/**
 * Every counter as a Redis hash of owner → count. A windowed counter (rate limits) has the one owner
 * `_` and expires a window after its first count. A gauge (live connections) has one field per
 * process (owner); an owner counts only while its heartbeat in the owners sorted set is in the future,
 * so a crashed process's share disappears by itself. One script, so every operation is atomic and
 * costs one round trip; the clock is Redis's, so replicas with skewed clocks agree.
 *
 * KEYS[1..n]: the counters; KEYS[n+1]: the owners sorted set.
 * ARGV: op, owner, amount, window ms (0: no expiry), then one number per counter: its limit (take) or
 * this owner's count (set).
 *  take  → {1 or 0, index of the first full counter (0 if none), ms left in the first counter's window, count…}
 *  give  → {}                     (subtracts `amount`; a count that reaches 0 is removed)
 *  set   → {}                     (this owner's counts := the given ones; the heartbeat's repair of lost gives)
 *  reset → {}                     (deletes the counters)
 *  beat  → {}                     (this owner is alive for `window` ms more)
 *  count → {count…}
 */
export const COUNTER_SCRIPT = new RedisScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local op, owner, amount, window = ARGV[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])
local owners = KEYS[#KEYS]
local n = #KEYS - 1

local function total(key)
  local sum = 0
  local fields = redis.call('HGETALL', key)
  for i = 1, #fields, 2 do
    local who = fields[i]
    if who == '_' or tonumber(redis.call('ZSCORE', owners, who) or '0') > now then
      sum = sum + tonumber(fields[i + 1])
    else
      redis.call('HDEL', key, who)
    end
  end
  return sum
end

if op == 'beat' then
  redis.call('ZADD', owners, now + window, owner)
  redis.call('ZREMRANGEBYSCORE', owners, '-inf', now - 86400000)
  redis.call('PEXPIRE', owners, 86400000)
  return {}
end
if op == 'reset' then
  for i = 1, n do redis.call('DEL', KEYS[i]) end
  return {}
end
if op == 'give' then
  for i = 1, n do
    if redis.call('HINCRBY', KEYS[i], owner, -amount) <= 0 then redis.call('HDEL', KEYS[i], owner) end
  end
  return {}
end
if op == 'set' then
  for i = 1, n do
    local own = tonumber(ARGV[4 + i])
    if own > 0 then redis.call('HSET', KEYS[i], owner, own) else redis.call('HDEL', KEYS[i], owner) end
  end
  return {}
end

local counts = {}
for i = 1, n do counts[i] = total(KEYS[i]) end
if op == 'count' then return counts end

local function reply(ok, full)
  local left = redis.call('PTTL', KEYS[1])
  local out = {ok, full, left > 0 and left or window}
  for i = 1, n do out[#out + 1] = counts[i] end
  return out
end
for i = 1, n do
  if counts[i] + amount > tonumber(ARGV[4 + i]) then return reply(0, i) end
end
for i = 1, n do
  redis.call('HINCRBY', KEYS[i], owner, amount)
  counts[i] = counts[i] + amount
  if window > 0 and redis.call('PTTL', KEYS[i]) < 0 then redis.call('PEXPIRE', KEYS[i], window) end
end
return reply(1, 0)
`);
