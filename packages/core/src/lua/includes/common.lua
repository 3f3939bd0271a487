--[[
  common.lua: helpers shared by every script (included, never run alone). The including script
  defines the key locals (Q, D, I, C and its own) before this text.

  Waiter keys, the same for locks and semaphores:
    Q  ZSET  waiter id -> order score (lower is served first)
    D  ZSET  waiter id -> heartbeat deadline, server epoch ms (a waiter past it is dead and purged)
    I  HASH  waiter id -> waiter record; field '#' holds the lock queue sequence
    C  shard channel on which grants are announced (in KEYS so it routes to the key's slot and
       carries the client's keyPrefix)
]]
local GRACE_MS = 1000
local PURGE_BUDGET = 64

-- Server time as epoch ms and epoch us; never the client's clock.
local function server_time()
  local t = redis.call('TIME')
  local sec, usec = tonumber(t[1]), tonumber(t[2])
  return sec * 1000 + math.floor(usec / 1000), sec * 1000000 + usec
end

-- Announces a message on C: sharded pub/sub where the server has it (Redis 7+).
local function announce(msg)
  if redis.REDIS_VERSION_NUM then
    redis.call('SPUBLISH', C, msg)
  else
    redis.call('PUBLISH', C, msg)
  end
end

-- Keeps `key` alive for at least `ms` more; never shortens an expiry, always sets one.
local function keep_alive(key, ms)
  if redis.call('PTTL', key) < ms then
    redis.call('PEXPIRE', key, ms)
  end
end

-- Once nobody is queued, the records hash (and the lock queue sequence in it) goes too: a queue
-- that empties leaves no key behind.
local function forget_empty_queue()
  if redis.call('EXISTS', Q) == 0 then
    redis.call('DEL', I)
  end
end

-- Drops waiters whose heartbeat deadline passed (bounded per call). Returns true if `id` was one.
local function purge_waiters(now, id)
  local dead = redis.call('ZRANGEBYSCORE', D, '-inf', now, 'LIMIT', 0, PURGE_BUDGET)
  if #dead == 0 then
    return false
  end
  redis.call('ZREM', Q, unpack(dead))
  redis.call('ZREM', D, unpack(dead))
  redis.call('HDEL', I, unpack(dead))
  forget_empty_queue()
  for i = 1, #dead do
    if dead[i] == id then
      return true
    end
  end
  return false
end

-- Removes one waiter's entries.
local function drop_waiter(id)
  redis.call('ZREM', Q, id)
  redis.call('ZREM', D, id)
  redis.call('HDEL', I, id)
  forget_empty_queue()
end

-- Refreshes a queued waiter's heartbeat and the expiry of the waiter keys.
local function heartbeat(id, now, waiter_ttl)
  redis.call('ZADD', D, now + waiter_ttl, id)
  local keep = waiter_ttl + GRACE_MS
  keep_alive(Q, keep)
  keep_alive(D, keep)
  keep_alive(I, keep)
end
