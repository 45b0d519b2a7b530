// Lua scripts of the Redis delivery queue. Each runs atomically, so two instances of one monitor never claim
// the same delivery at once. Every key shares the `{webhooks}` hash tag (one slot, so they run on Cluster too).
// Keys: due (zset id → next attempt ms, or lease end while claimed), data (hash id → delivery JSON),
// leases (hash id → token of the current claim), finished (zset id → finish ms), depth (hash hook → pending).
import { refuseAfterDeadline } from '../../store/redis-clock.ts';

/**
 * KEYS due, data, finished, depth; ARGV id, hook, delivery JSON, due ms, max pending, deadline in Redis ms (past it
 * nothing is queued: the caller has kept the delivery in memory, see src/store/redis-clock.ts).
 */
export const ENQUEUE_LUA = `
${refuseAfterDeadline(6)}
if redis.call('HEXISTS', KEYS[2], ARGV[1]) == 1 or redis.call('ZSCORE', KEYS[3], ARGV[1]) then return 'duplicate' end
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[5]) then return 'full' end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[3])
redis.call('ZADD', KEYS[1], ARGV[4], ARGV[1])
redis.call('HINCRBY', KEYS[4], ARGV[2], 1)
return 'queued'
`;

/** KEYS due, data, leases; ARGV now ms, limit, lease ms, token. Returns id, JSON, id, JSON, … */
export const CLAIM_LUA = `
local now, lease = tonumber(ARGV[1]), tonumber(ARGV[3])
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, tonumber(ARGV[2]))
local out = {}
for _, id in ipairs(ids) do
  local body = redis.call('HGET', KEYS[2], id)
  if body then
    redis.call('ZADD', KEYS[1], now + lease, id)
    redis.call('HSET', KEYS[3], id, ARGV[4])
    out[#out + 1] = id
    out[#out + 1] = body
  else
    redis.call('ZREM', KEYS[1], id)
  end
end
return out
`;

/** KEYS due, data, leases, finished, depth; ARGV id, token, hook, now ms, remember ms, remember max. */
export const FINISH_LUA = `
if redis.call('HGET', KEYS[3], ARGV[1]) ~= ARGV[2] then return 0 end
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[2], ARGV[1])
redis.call('HDEL', KEYS[3], ARGV[1])
if redis.call('HINCRBY', KEYS[5], ARGV[3], -1) <= 0 then redis.call('HDEL', KEYS[5], ARGV[3]) end
local now = tonumber(ARGV[4])
redis.call('ZADD', KEYS[4], now, ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[4], '-inf', now - tonumber(ARGV[5]))
local extra = redis.call('ZCARD', KEYS[4]) - tonumber(ARGV[6])
if extra > 0 then redis.call('ZREMRANGEBYRANK', KEYS[4], 0, extra - 1) end
return 1
`;

/** KEYS due, data, leases; ARGV id, token, delivery JSON (attempts counted), next attempt ms. */
export const RETRY_LUA = `
if redis.call('HGET', KEYS[3], ARGV[1]) ~= ARGV[2] then return 0 end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[3])
redis.call('ZADD', KEYS[1], ARGV[4], ARGV[1])
redis.call('HDEL', KEYS[3], ARGV[1])
return 1
`;
