// The Lua scripts behind the Redis store. Each runs atomically in Redis, so two monitors writing the same agent
// serialise on the server: no WATCH/MULTI retry loops, no lost updates, no version moving backwards.
// Every key a script touches is passed in KEYS and shares the `{agents}` hash tag, so they hash to one slot and
// the scripts also run on Redis Cluster.
import { refuseAfterDeadline } from './redis-clock.ts';

/**
 * Compare-and-set of a batch of observations, each one as `nextHead` in records.ts does it. One call per batch
 * rather than per observation saves ioredis and Redis their per-call work (docs/performance.md). A call runs
 * atomically, so the batch size bounds how long it holds Redis up.
 * KEYS: 1 seq, 2 ids (lex zset), 3 changes (zset by seq), 4 expiry (zset by expiry ms), 5 removed log (zset by
 *       seq), 6 events (the change stream), then per observation: agent hash, screen, history stream
 * ARGV: 1 ttl ms, 2 history limit, 3 events limit, 4 seq floor (see raiseSeqBeforeIncr), 5 deadline in Redis ms
 *       (see redis-clock.ts: past it the script writes nothing and fails), then per observation
 *       WRITE_ARGS values: id, state, screenHash,
 *       screen, record body JSON, observedAt ms, floor version, rule, evidence, '1' for a refresh-only write or '2' for a
 *       rewrite after an outage (no transition added: the caller writes the history it kept, see BACKFILL_HISTORY_LUA)
 * Each change is also appended to the events stream at entry id `<seq>-0`, in the same atomic run as the INCR:
 * readers of the stream see every change exactly once, in seq order (see EVENT_FIELDS).
 * Returns WRITE_REPLY values per observation: changed 0|1, version, stateSince, changedAt, observedAt, moved 0|1|2,
 * previous state; moved is 0 = state did not move, 1 = new agent, 2 = state moved from `previous state`.
 *
 * A refresh-only write leaves out the screen, the body, the rule and the evidence (they are only stored when the
 * version moves), so an unchanged agent costs a few bytes instead of its whole screen. If the version would move
 * after all (another monitor wrote a different screen, or the key expired), the script writes nothing for that
 * observation and its changed value is -1: the caller then sends it again in full.
 */
export const WRITE_ARGS = 10;
/**
 * Fields of an events stream entry (id `<seq>-0`): t 'a' (agent changed) or 'r' (removed), id, and for 'a' the
 * record body JSON, v version, since, chg, obs (epoch ms) and from: the state before ('' for a new agent).
 */
export const EVENT_FIELDS = ['t', 'id', 'body', 'v', 'since', 'chg', 'obs', 'from'] as const;
export const WRITE_REPLY = 7;
/**
 * Lua, run once before a script's first INCR of the seq (KEYS[1]): raises the seq to the floor in `ARGV[<n>]`, the
 * highest seq the calling process has seen (its change stream's and its reads'). A seq below it means Redis lost
 * changes it had handed out: replication is asynchronous, and a replica promoted after its master died may lack
 * the last writes. Without this the next writes would take those seqs again, and a reader of the events stream
 * that had read the lost entries would skip the new ones as already read, and a client's Last-Event-ID would name
 * two different changes. Atomic with the INCR, so no write gets in between.
 */
function raiseSeqBeforeIncr(floorArg: number): string {
  return `if not seqRaised then
      seqRaised = true
      local seqFloor = tonumber(ARGV[${floorArg}])
      if tonumber(redis.call('GET', KEYS[1]) or '0') < seqFloor then redis.call('SET', KEYS[1], seqFloor) end
    end`;
}
export const WRITE_AGENTS_LUA = `
${refuseAfterDeadline(5)}
local ttl = tonumber(ARGV[1])
local t = redis.call('TIME')
local expires = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) + ttl
local reply = {}
local seqRaised = false
for i = 0, (#KEYS - 6) / 3 - 1 do
  local agent, screen, history = KEYS[7 + 3 * i], KEYS[8 + 3 * i], KEYS[9 + 3 * i]
  local a = 5 + ${WRITE_ARGS} * i
  local id, state, sh = ARGV[a + 1], ARGV[a + 2], ARGV[a + 3]
  local obs = tonumber(ARGV[a + 6])
  local floor = tonumber(ARGV[a + 7])
  local cur = redis.call('HMGET', agent, 'v', 'state', 'sh', 'since', 'chg', 'obs')
  local version = tonumber(cur[1])
  local changed, moved, prev = 0, 0, ''
  local since, chg, seen = obs, obs, obs
  if not version then
    version = math.max(1, floor)
    changed, moved = 1, 1
  else
    prev = cur[2]
    since, chg, seen = tonumber(cur[4]), tonumber(cur[5]), math.max(tonumber(cur[6]), obs)
    if prev ~= state then
      version = math.max(version + 1, floor)
      changed, moved, since, chg = 1, 2, obs, obs
    elseif cur[3] ~= sh then
      version = math.max(version + 1, floor)
      changed, chg = 1, obs
    elseif version < floor then
      version = floor
      changed, chg = 1, obs
    end
  end
  if changed == 1 and ARGV[a + 10] == '1' then
    changed = -1
  elseif changed == 1 then
    ${raiseSeqBeforeIncr(4)}
    local seq = redis.call('INCR', KEYS[1])
    redis.call('HSET', agent, 'v', version, 'state', state, 'sh', sh, 'since', since, 'chg', chg,
      'obs', seen, 'seq', seq, 'body', ARGV[a + 5])
    redis.call('SET', screen, ARGV[a + 4], 'PX', ttl)
    redis.call('ZADD', KEYS[3], seq, id)
    if moved == 1 then
      -- A live hash is always in ids and never in the removal log (removal and reaping drop all three at once).
      redis.call('ZADD', KEYS[2], 0, id)
      redis.call('ZREM', KEYS[5], id)
    end
    local from = state
    if moved == 1 then from = '' elseif moved == 2 then from = prev end
    redis.call('XADD', KEYS[6], 'MAXLEN', '~', ARGV[3], seq .. '-0', 't', 'a', 'id', id, 'body', ARGV[a + 5],
      'v', version, 'since', since, 'chg', chg, 'obs', seen, 'from', from)
    if moved ~= 0 and ARGV[a + 10] ~= '2' then
      redis.call('XADD', history, 'MAXLEN', '~', ARGV[2], '*', 'from', prev, 'to', state, 'at', obs,
        'version', version, 'rule', ARGV[a + 8], 'evidence', ARGV[a + 9])
    end
  else
    redis.call('HSET', agent, 'obs', seen)
    redis.call('PEXPIRE', screen, ttl)
  end
  if changed ~= -1 then
    redis.call('PEXPIRE', agent, ttl)
    redis.call('PEXPIRE', history, ttl)
    redis.call('ZADD', KEYS[4], expires, id)
  end
  local r = ${WRITE_REPLY} * i
  reply[r + 1], reply[r + 2], reply[r + 3], reply[r + 4] = changed, version, since, chg
  reply[r + 5], reply[r + 6], reply[r + 7] = seen, moved, prev
end
return reply
`;

/**
 * Remove one agent and log the removal at a new seq, trimming the log to its limit.
 * KEYS: 1 seq, 2 agent hash, 3 screen, 4 history, 5 ids, 6 changes, 7 expiry, 8 removed log, 9 removed floor,
 *       10 events
 * ARGV: 1 id, 2 removed log limit, 3 '1' to act only when the agent hash has expired (lazy reaping), 4 events limit,
 *       5 seq floor (see raiseSeqBeforeIncr), 6 deadline in Redis ms (see redis-clock.ts)
 * The removal is appended to the events stream at `<seq>-0` like a write's change.
 * Returns the removal seq, or 0 when there was nothing to remove.
 */
export const REMOVE_AGENT_LUA = `
${refuseAfterDeadline(6)}
local exists = redis.call('EXISTS', KEYS[2]) == 1
if ARGV[3] == '1' and exists then return 0 end
if not exists and not redis.call('ZSCORE', KEYS[5], ARGV[1]) then return 0 end
redis.call('DEL', KEYS[2], KEYS[3], KEYS[4])
redis.call('ZREM', KEYS[5], ARGV[1])
redis.call('ZREM', KEYS[6], ARGV[1])
redis.call('ZREM', KEYS[7], ARGV[1])
local seqRaised = false
${raiseSeqBeforeIncr(5)}
local seq = redis.call('INCR', KEYS[1])
redis.call('ZADD', KEYS[8], seq, ARGV[1])
redis.call('XADD', KEYS[10], 'MAXLEN', '~', ARGV[4], seq .. '-0', 't', 'r', 'id', ARGV[1])
local excess = redis.call('ZCARD', KEYS[8]) - tonumber(ARGV[2])
if excess > 0 then
  local dropped = redis.call('ZRANGE', KEYS[8], excess - 1, excess - 1, 'WITHSCORES')
  redis.call('SET', KEYS[9], dropped[2])
  redis.call('ZREMRANGEBYRANK', KEYS[8], 0, excess - 1)
end
return seq
`;

/**
 * Ids whose TTL has passed by Redis's own clock (the same clock the write script scored them with).
 * KEYS: 1 expiry. ARGV: 1 max ids. Read-only.
 */
export const EXPIRED_IDS_LUA = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
return redis.call('ZRANGE', KEYS[1], '-inf', now, 'BYSCORE', 'LIMIT', 0, tonumber(ARGV[1]))
`;

/**
 * Raise the global seq to at least ARGV[1] (after a Redis restart lost it), so `since()` callers never see the
 * sequence go backwards. KEYS: 1 seq. Returns the resulting seq.
 */
export const RAISE_SEQ_LUA = `
local cur = tonumber(redis.call('GET', KEYS[1]) or '0')
local min = tonumber(ARGV[1])
if cur < min then
  redis.call('SET', KEYS[1], min)
  return min
end
return cur
`;

/**
 * Append to an agent's history the transitions Redis does not have yet: those with a version above the last one in
 * the stream, in the order given (oldest first). Used after an outage, so the transitions made meanwhile, or all
 * that a Redis that restarted empty lost, are written back in order and none twice.
 * KEYS: 1 history stream. ARGV: 1 ttl ms, 2 history limit, then per transition: from, to, at ms, version, rule,
 * evidence. Returns how many were appended.
 */
export const BACKFILL_HISTORY_LUA = `
local last = 0
local tail = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1)
if tail[1] then
  local fields = tail[1][2]
  for i = 1, #fields, 2 do
    if fields[i] == 'version' then last = tonumber(fields[i + 1]) end
  end
end
local added = 0
for a = 3, #ARGV, 6 do
  local version = tonumber(ARGV[a + 3])
  if version > last then
    redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[2], '*', 'from', ARGV[a], 'to', ARGV[a + 1], 'at', ARGV[a + 2],
      'version', version, 'rule', ARGV[a + 4], 'evidence', ARGV[a + 5])
    last, added = version, added + 1
  end
end
if added > 0 then redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[1])) end
return added
`;
