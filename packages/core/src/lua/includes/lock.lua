--[[
  lock.lua: key layout and fencing for mutex locks (included).

    H  STRING  "<fence>:<token>" while held, with PX = the lease deadline (Redis expires it);
               "<fence>:" once released (free, but it remembers the last fence until the released
               lease's deadline)
    Q, D, I, C  waiter keys (see common.lua); lock records in I are token|ttl
]]
local H, Q, D, I, C = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
--@include common

-- The fence a new grant gets: above the last one this name had, and never below the server clock
-- in microseconds, so a name whose key expired never reuses a fence. `holder` is H's value (or
-- nil); `t` the reply of TIME. Returns the fence as a string (Lua numbers print only 14 digits).
local function next_fence(holder, t)
  local fence = t[1] .. string.rep('0', 6 - #t[2]) .. t[2]
  if holder then
    local last = tonumber(string.match(holder, '^(%d+):'))
    if last and last >= tonumber(fence) then
      fence = string.format('%.0f', last + 1)
    end
  end
  return fence
end

-- Server time as epoch ms, and the raw TIME reply (for next_fence).
local function lock_time()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000), t
end

-- True when H's value `holder` belongs to `token`.
local function owned_by(holder, token)
  return holder ~= nil and holder ~= false and string.sub(holder, -#token - 1) == ':' .. token
end

-- Baton passing: hands the free lock to the oldest live waiter and announces it.
-- Returns 'self' with fence and ttl when that waiter is `self_id`, 'other' when someone else got
-- it, or 'none' when no live waiter was left.
local function serve_head(now, t, self_id)
  local holder = redis.call('GET', H)
  for _ = 1, PURGE_BUDGET do
    local head = redis.call('ZRANGE', Q, 0, 0)[1]
    if not head then
      return 'none'
    end
    local alive = tonumber(redis.call('ZSCORE', D, head))
    local rec = redis.call('HGET', I, head)
    drop_waiter(head)
    if rec and alive and alive > now then
      local token, ttl = string.match(rec, '^(.*)|(%d+)$')
      local fence = next_fence(holder, t)
      redis.call('SET', H, fence .. ':' .. token, 'PX', ttl)
      if head == self_id then
        return 'self', tonumber(fence), tonumber(ttl)
      end
      announce(head .. '|' .. fence .. '|' .. string.format('%.0f', now + tonumber(ttl)))
      return 'other'
    end
  end
  return 'none'
end
