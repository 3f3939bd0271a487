--[[
  waiters.lua: queue helpers shared by locks and semaphores (included).
    Q  ZSET  waiter id -> order score
    D  ZSET  waiter id -> heartbeat deadline, server epoch ms (D and Q always hold the same ids)
    records  the hash that holds the waiters' records (I for locks, M for semaphores)
    C  the shard channel grants are announced on
]]

-- Announces a message on channel C: sharded pub/sub where the server has it (Redis 7+).
local function announce(C, msg)
  if redis.REDIS_VERSION_NUM then
    redis.call('SPUBLISH', C, msg)
  else
    redis.call('PUBLISH', C, msg)
  end
end

-- Tells the waiting processes that the claim of `id` was turned into a lease (see CLAIM_MS), so
-- none of them needs to re-check when the claim window ends.
local function announce_claimed(C, id)
  announce(C, id .. '|k')
end

-- Drops waiters whose heartbeat deadline passed by `now` (bounded per call). Returns false when
-- the budget ran out, so dead waiters may remain and heads must be checked one by one.
local function purge_waiters(Q, D, records, now)
  local dead = redis.call('ZRANGEBYSCORE', D, '-inf', now, 'LIMIT', 0, PURGE_BUDGET)
  if #dead > 0 then
    redis.call('ZREM', Q, unpack(dead))
    redis.call('ZREM', D, unpack(dead))
    redis.call('HDEL', records, unpack(dead))
  end
  return #dead < PURGE_BUDGET
end
