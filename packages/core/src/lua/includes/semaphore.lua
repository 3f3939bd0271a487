--[[
  semaphore.lua: state and baton passing for semaphores (included after each script's fast path;
  the script has already set M, H, Q, D, C, now, now_us, `earliest` (the first holder deadline,
  or nil when H is empty) and the counters from one HMGET).

    M  HASH  counters u (used weight), l (limit set at run time), f (last fence), s (queue seq),
             t (last waiter `since`, us, strictly increasing), x (time the keys are armed to live
             until); and one record per request id:
               holder  "h|token|weight|fence|sinceMs"
               waiter  "w|token|weight|ttl|priority|sinceMs"
    H  ZSET  holder id -> lease deadline, server epoch ms
    Q  ZSET  waiter id -> order score (lower first; see sem-acquire)
    D  ZSET  waiter id -> heartbeat deadline, server epoch ms (D and Q always hold the same ids)
    C  shard channel on which grants are announced (in KEYS so it routes with the keys)

  Expiry: every key lives until x + GRACE_MS. A deadline past x moves x to that deadline plus one
  more lease or heartbeat of slack and re-arms every key; a key a script creates is armed at the
  current x. So no entry outlives its key (each key is armed at the largest deadline it can hold),
  most transitions set no expiry at all, and every key vanishes within two TTLs plus the grace once
  load stops.

  Every redis.call costs far more than Lua arithmetic, so the helpers below are written to make as
  few calls as possible: no per-head liveness check unless the purge was cut short, no lookups once
  the semaphore is full, one HSET for all changed fields.
]]
local GRACE_MS = 1000
local PURGE_BUDGET = 64
local GRANT_BUDGET = 256
-- A grant handed to a queued waiter is a claim for this long (or its TTL, if shorter): the waiter
-- turns it into its lease when it wakes (sem-acquire finds its own holder record). A waiter that
-- died never does, so its permits pass on within one claim window, never one lease TTL.
local CLAIM_MS = 1000
local writes = {}
local to_arm = {}

local function fmt(n)
  return string.format('%.0f', n)
end

local function write(field, value)
  writes[#writes + 1] = field
  writes[#writes + 1] = value
end

local function set_used(value)
  used = value
  write('u', used)
end

-- Marks a key to be armed (at x + GRACE_MS) when the script saves.
local function arm(key)
  to_arm[key] = true
end

-- Moves x past `deadline` (by `slack`) when needed, and then re-arms every key.
local function grow(deadline, slack)
  if deadline > x then
    x = deadline + slack
    write('x', fmt(x))
    arm(M)
    arm(H)
    arm(Q)
    arm(D)
  end
end

-- Writes every changed field of M in one HSET, then sets the expiries the script asked for.
local function save()
  if #writes > 0 then
    redis.call('HSET', M, unpack(writes))
    if m_is_new then
      arm(M)
    end
  end
  local at = nil
  for key in pairs(to_arm) do
    at = at or fmt(x + GRACE_MS)
    redis.call('PEXPIREAT', key, at)
  end
end

--@include waiters

-- Removes holders whose deadline passed (bounded per call) and frees their weight.
local function purge_holders()
  local dead = redis.call('ZRANGEBYSCORE', H, '-inf', now, 'LIMIT', 0, PURGE_BUDGET)
  if #dead == 0 then
    return
  end
  local recs = redis.call('HMGET', M, unpack(dead))
  local freed = 0
  for i = 1, #dead do
    local w = recs[i] and string.match(recs[i], '^h|[^|]*|(%d+)|')
    if w then
      freed = freed + tonumber(w)
    end
  end
  redis.call('HDEL', M, unpack(dead))
  redis.call('ZREM', H, unpack(dead))
  set_used(math.max(0, used - freed))
end

local function purge_waiters()
  return purge_waiters_from(M)
end

-- `used` drifts only if the holders key vanished behind our back (eviction, DEL): heal it.
if used > 0 and not earliest then
  set_used(0)
end

-- Makes `id` a holder until now + ttl. Returns fence, deadline.
local function make_holder(id, token, weight, ttl)
  fence = fence + 1
  if now_us > fence then
    fence = now_us
  end
  if used == 0 then
    -- H is empty, so this ZADD creates it.
    arm(H)
  end
  set_used(used + weight)
  local deadline = now + ttl
  grow(deadline, ttl)
  redis.call('ZADD', H, deadline, id)
  write('f', fmt(fence))
  write(id, 'h|' .. token .. '|' .. weight .. '|' .. fmt(fence) .. '|' .. now)
  return fence, deadline
end

-- Baton passing: serves queue heads in order while they fit. A head that does not fit blocks the
-- rest, so a heavy waiter is never starved by lighter ones. Returns fence, deadline if `self_id`
-- was served (it is not announced). With `scan`, a full semaphore still looks at its head (to
-- reject one that a lowered limit made too heavy).
local function grant_heads(self_id, heads_alive, scan)
  local self_fence, self_deadline
  for _ = 1, GRANT_BUDGET do
    if used >= limit and not scan then
      break
    end
    local hid = redis.call('ZRANGE', Q, 0, 0)[1]
    if not hid then
      break
    end
    local rec = redis.call('HGET', M, hid)
    local token, weight, ttl
    if rec then
      token, weight, ttl = string.match(rec, '^w|([^|]*)|(%d+)|(%d+)|')
    end
    local alive = heads_alive or (tonumber(redis.call('ZSCORE', D, hid)) or 0) > now
    if not token or not alive then
      redis.call('ZREM', Q, hid)
      redis.call('ZREM', D, hid)
      redis.call('HDEL', M, hid)
    else
      weight = tonumber(weight)
      if weight > limit then
        redis.call('ZREM', Q, hid)
        redis.call('ZREM', D, hid)
        redis.call('HDEL', M, hid)
        announce(hid .. '|x|' .. limit)
      elseif weight > limit - used then
        break
      else
        redis.call('ZREM', Q, hid)
        redis.call('ZREM', D, hid)
        if hid == self_id then
          self_fence, self_deadline = make_holder(hid, token, weight, tonumber(ttl))
        else
          local claim = math.min(tonumber(ttl), CLAIM_MS)
          local f, deadline = make_holder(hid, token, weight, claim)
          announce(hid .. '|' .. fmt(f) .. '|' .. fmt(deadline) .. '|' .. claim)
        end
      end
    end
  end
  return self_fence, self_deadline
end

-- Purges what expired, then serves the queue: the work every slow path starts with.
local function settle(self_id, queued, scan)
  if earliest and earliest <= now then
    purge_holders()
  end
  if queued then
    return grant_heads(self_id, purge_waiters(), scan)
  end
end
