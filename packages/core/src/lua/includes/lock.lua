--[[
  lock.lua: key layout and fencing for mutex locks (included).

    H  STRING  holder: the owner's token, with PX = the lease deadline (Redis expires it)
    F  STRING  last fence issued for this name, kept FENCE_GRACE_MS past the lease
    Q, D, I, C  waiter keys (see common.lua); lock records in I are token|ttl
]]
local H, F, Q, D, I, C = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6]
--@include common
local FENCE_GRACE_MS = 5000

-- A fence above every earlier one for this name: the stored counter while F lives, and the
-- server clock in microseconds (never below it) so a name whose keys expired never reuses a fence.
local function mint_fence(ttl, now_us)
  local last = tonumber(redis.call('SET', F, now_us, 'PX', ttl + FENCE_GRACE_MS, 'GET'))
  if last and last >= now_us then
    now_us = last + 1
    redis.call('SET', F, now_us, 'PX', ttl + FENCE_GRACE_MS)
  end
  return now_us
end

-- Baton passing: hands the free lock to the oldest live waiter and announces it.
-- Returns 'self' with fence and ttl when that waiter is `self_id`, 'other' when someone else got
-- it, or 'none' when no live waiter was left.
local function serve_head(now, now_us, self_id)
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
      ttl = tonumber(ttl)
      redis.call('SET', H, token, 'PX', ttl)
      local fence = mint_fence(ttl, now_us)
      if head == self_id then
        return 'self', fence, ttl
      end
      announce(head .. '|' .. string.format('%.0f|%.0f', fence, now + ttl))
      return 'other'
    end
  end
  return 'none'
end
