--[[
  lock.lua: the slow paths of mutex locks (included after each script's fast path; the script has
  set H, Q, D, I, C and `holder`, the value of H it read).

    H  STRING  "<fence>:<token>" while held, with PX = the lease deadline (Redis expires it);
               "<fence>:" once released (free, but it remembers the last fence until the released
               lease's deadline)
    Q  ZSET    waiter id -> Redis-issued sequence number (FIFO)
    D  ZSET    waiter id -> heartbeat deadline, server epoch ms (D and Q always hold the same ids)
    I  HASH    waiter id -> "token|ttl"; '#' the sequence; 'x' the time Q, D and I are armed to live
               until (re-armed, with one more heartbeat of slack, only when a deadline passes it)
    C  shard channel on which hand-offs are announced

  Every redis.call costs far more than Lua arithmetic, so these helpers make as few calls as they
  can: no per-head liveness check unless the purge was cut short, one call to see the head and
  whether it is the last.
]]
local GRACE_MS = 1000
local PURGE_BUDGET = 64
-- A grant handed to a queued waiter is a claim for this long (or its TTL, if shorter): the waiter
-- turns it into its lease when it wakes (lock-acquire finds its own token). A waiter that died
-- never does, so the lock passes on within one claim window, never one lease TTL.
local CLAIM_MS = 1000

local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)

-- The fence a new grant gets: above the last one this name had (H's value `last_holder` keeps
-- it), and never below the server clock in microseconds, so a name whose key expired never reuses
-- a fence. A string: Lua numbers print only 14 digits.
local function next_fence(last_holder)
  local fence = t[1] .. string.rep('0', 6 - #t[2]) .. t[2]
  if last_holder then
    local last = tonumber(string.match(last_holder, '^(%d+):'))
    if last and last >= tonumber(fence) then
      fence = string.format('%.0f', last + 1)
    end
  end
  return fence
end

local function is_free(value)
  return not value or string.byte(value, -1) == 58
end

--@include waiters

local function purge_waiters()
  return purge_waiters_from(I)
end

-- Removes one waiter; `last` when it was the only one, so the records hash goes too.
local function drop_waiter(id, last)
  redis.call('ZREM', Q, id)
  redis.call('ZREM', D, id)
  if last then
    redis.call('DEL', I)
  else
    redis.call('HDEL', I, id)
  end
end

-- Baton passing: hands the free lock to the oldest live waiter and announces it. Returns 'self'
-- with fence and ttl when that waiter is `self_id`, 'other' when someone else got it, or 'none'.
local function serve_head(self_id)
  local heads_alive = purge_waiters()
  for _ = 1, PURGE_BUDGET do
    local heads = redis.call('ZRANGE', Q, 0, 1)
    local head = heads[1]
    if not head then
      return 'none'
    end
    local rec = redis.call('HGET', I, head)
    local alive = heads_alive or (tonumber(redis.call('ZSCORE', D, head)) or 0) > now
    drop_waiter(head, heads[2] == nil)
    if rec and alive then
      local token, ttl = string.match(rec, '^(.*)|(%d+)$')
      local fence = next_fence(holder)
      if head == self_id then
        redis.call('SET', H, fence .. ':' .. token, 'PX', ttl)
        return 'self', tonumber(fence), tonumber(ttl)
      end
      local claim = math.min(tonumber(ttl), CLAIM_MS)
      redis.call('SET', H, fence .. ':' .. token, 'PX', claim)
      announce(head .. '|' .. fence .. '|' .. string.format('%.0f', now + claim) .. '|' .. claim)
      return 'other'
    end
  end
  return 'none'
end
