--[[
  lock-fast.lua: the uncontended paths of a lock (included): take a free lock nobody waits for,
  release a lock nobody waits for. A few calls, and no TIME unless the fence needs the clock.
  Used first by lock-acquire and lock-release, and alone by their -fast variants.

    H  STRING  "<fence>:<token>" while held (PX = the lease deadline); "<fence>:" once released;
               either with a leading "w" (the waiters mark) while the queue may be non-empty
    Q  ZSET    the queue: while it exists, a free lock goes to its head, never to a newcomer

  The waiters mark: every script that queues a waiter, or writes H while waiters may remain, marks
  H, so an H without the mark proves the queue empty and the fast paths need not look at Q. A
  stale mark (the queue emptied since) only sends a call to the full script, which clears it. H
  can expire while waiters queue: then there is no H, and only then do the fast paths check Q.
]]
--@include clock

-- True when H's value `value` carries the waiters mark ("w", byte 119).
local function marked(value)
  return value ~= nil and value ~= false and string.byte(value, 1) == 119
end

-- Takes the lock for `token` for `ttl` ms when it is free and nobody waits. `holder` is H's value
-- (read by the caller). Returns the fence (decimal digits), or nil, 'held' / 'queued'. The fence
-- is one above the fence H remembers (H always holds the latest fence of the name), or, once H is
-- gone, the server clock in us, so a name whose key expired or was lost in a restart never reuses
-- a fence.
local function lock_take(H, Q, holder, token, ttl)
  local fence
  if holder then
    if string.byte(holder, -1) ~= 58 then
      return nil, 'held'
    end
    if string.byte(holder, 1) == 119 then
      return nil, 'queued'
    end
    fence = succ(string.sub(holder, 1, -2))
  elseif redis.call('EXISTS', Q) == 1 then
    return nil, 'queued'
  else
    fence = server_us()
  end
  redis.call('SET', H, fence .. ':' .. token, 'PX', ttl)
  return fence
end

-- True when H's value `holder` is held by `token`.
local function held_by(holder, token)
  return holder ~= false and holder ~= nil and string.byte(holder, -#token - 1) == 58
    and string.sub(holder, -#token) == token
end

-- Releases the lock `token` holds when nobody waits: H keeps "<fence>:" (and the lease's TTL), so
-- the next grant's fence is above it. Returns RELEASED or NOTHING, or nil and H's value when
-- waiters may be queued (the full release hands the lock on).
local function lock_give(H, Q, token)
  local holder = redis.call('GET', H)
  if holder then
    if string.byte(holder, 1) == 119 then
      return nil, holder
    end
  elseif redis.call('EXISTS', Q) == 1 then
    return nil, holder
  end
  if held_by(holder, token) then
    redis.call('SET', H, string.sub(holder, 1, -#token - 1), 'KEEPTTL')
    return RELEASED
  end
  return NOTHING
end
