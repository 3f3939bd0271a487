--[[
  semaphore.lua: key layout, state and baton passing for semaphores (included).

    M  HASH  u = used weight, l = limit set at run time, f = last fence, s = queue seq,
             t = last waiter `since` in us (strictly increasing), and one field per holder:
             id -> token|weight|fence|since
    H  ZSET  holder id -> lease deadline, server epoch ms
    Q, D, I, C  waiter keys (see common.lua); semaphore records in I are token|weight|ttl|priority|since
]]
local M, H, Q, D, I, C = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6]
--@include common
local GRANT_BUDGET = 256

local function fmt(n)
  return string.format('%.0f', n)
end

-- Counters of M, loaded once per script and written back once by save_state().
local st = { used = 0, limit = 0, fence = 0, seq = 0, since = 0, keep = 0, writes = {} }

-- Removes holders whose deadline passed (bounded per call); returns the weight they held.
local function purge_holders(now)
  local dead = redis.call('ZRANGEBYSCORE', H, '-inf', now, 'LIMIT', 0, PURGE_BUDGET)
  if #dead == 0 then
    return 0
  end
  local recs = redis.call('HMGET', M, unpack(dead))
  local freed = 0
  for i = 1, #dead do
    if recs[i] then
      freed = freed + tonumber(string.match(recs[i], '^[^|]*|(%d+)|'))
    end
  end
  redis.call('HDEL', M, unpack(dead))
  redis.call('ZREM', H, unpack(dead))
  return freed
end

-- Purges expired holders, then loads the counters and `id`'s holder record (or false).
local function load_state(now, default_limit, id)
  local freed = purge_holders(now)
  local v = redis.call('HMGET', M, 'u', 'l', 'f', 's', 't', id or 'u')
  st.used = (tonumber(v[1]) or 0) - freed
  if st.used < 0 then
    st.used = 0
  end
  st.limit = tonumber(v[2]) or default_limit
  st.fence = tonumber(v[3]) or 0
  st.seq = tonumber(v[4]) or 0
  st.since = tonumber(v[5]) or 0
  st.dirty = freed > 0
  return id and v[6]
end

local function save_state()
  if st.dirty or #st.writes > 0 then
    redis.call('HSET', M, 'u', st.used, 'f', fmt(st.fence), 's', st.seq, 't', fmt(st.since), unpack(st.writes))
    keep_alive(M, st.keep + GRACE_MS)
  end
end

-- Capacity left; heals `used` if the holders key vanished behind our back (eviction, DEL).
local function capacity_left()
  local left = st.limit - st.used
  if st.used > 0 and left < st.limit and redis.call('EXISTS', H) == 0 then
    st.used = 0
    st.dirty = true
    left = st.limit
  end
  return left
end

-- Makes `id` a holder until now + ttl. Returns fence, deadline.
local function make_holder(id, token, weight, ttl, now, now_us)
  local fence = st.fence + 1
  if now_us > fence then
    fence = now_us
  end
  st.fence = fence
  st.used = st.used + weight
  local deadline = now + ttl
  redis.call('ZADD', H, deadline, id)
  keep_alive(H, ttl + GRACE_MS)
  if ttl > st.keep then
    st.keep = ttl
  end
  local writes = st.writes
  writes[#writes + 1] = id
  writes[#writes + 1] = token .. '|' .. weight .. '|' .. fmt(fence) .. '|' .. fmt(now)
  return fence, deadline
end

-- Baton passing: serves queue heads in order while they fit. A head that does not fit blocks the
-- rest, so a heavy waiter is never starved by lighter ones. Returns fence, deadline if `self_id`
-- was served (it is not announced).
local function grant_heads(now, now_us, self_id)
  local self_fence, self_deadline
  for _ = 1, GRANT_BUDGET do
    local head = redis.call('ZRANGE', Q, 0, 0)[1]
    if not head then
      break
    end
    local rec = redis.call('HGET', I, head)
    local alive = tonumber(redis.call('ZSCORE', D, head))
    if not rec or not alive or alive <= now then
      drop_waiter(head)
    else
      local token, weight, ttl = string.match(rec, '^([^|]*)|(%d+)|(%d+)|')
      weight = tonumber(weight)
      if weight > st.limit then
        drop_waiter(head)
        announce(head .. '|x|' .. st.limit)
      elseif weight > capacity_left() then
        break
      else
        drop_waiter(head)
        local fence, deadline = make_holder(head, token, weight, tonumber(ttl), now, now_us)
        if head == self_id then
          self_fence, self_deadline = fence, deadline
        else
          announce(head .. '|' .. fmt(fence) .. '|' .. fmt(deadline))
        end
      end
    end
  end
  return self_fence, self_deadline
end

-- Earliest holder deadline (when capacity may free up without a release), or -1.
local function earliest_deadline()
  local first = redis.call('ZRANGE', H, 0, 0, 'WITHSCORES')
  return tonumber(first[2]) or -1
end
