--[[
  lock-heartbeat-3.lua: refreshes the heartbeat deadline of many queued waiters of one lock at
  once (one call per name and heartbeat period, not one per waiter). Waiters no longer queued
  (granted, purged or gone) are reported back, so they re-check on their own.

  KEYS[1] Q queue  KEYS[2] D alive  KEYS[3] I records
  ARGV[1] waiter ttl, ms
  ARGV[2..n] waiter ids

  Returns: the ids that are not queued any more
]]
local Q, D, I = KEYS[1], KEYS[2], KEYS[3]
--@include refresh

local missing, refreshed = refresh_waiters()
if refreshed then
  -- Keep Q, D and I armed past the new deadlines (see includes/lock.lua).
  local armed = tonumber(redis.call('HGET', I, 'x')) or 0
  if alive_until > armed then
    redis.call('HSET', I, 'x', alive_until + waiter_ttl)
    local at = string.format('%.0f', alive_until + waiter_ttl + 1000)
    redis.call('PEXPIREAT', Q, at)
    redis.call('PEXPIREAT', D, at)
    redis.call('PEXPIREAT', I, at)
  end
end
return missing
