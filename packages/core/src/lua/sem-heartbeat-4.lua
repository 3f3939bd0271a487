--[[
  sem-heartbeat-4.lua: refreshes the heartbeat deadline of many queued waiters of one semaphore at
  once (one call per name and heartbeat period, not one per waiter). Waiters no longer queued
  (granted, purged or gone) are reported back, so they re-check on their own.

  KEYS[1] M meta  KEYS[2] H holders  KEYS[3] Q queue  KEYS[4] D alive
  ARGV[1] waiter ttl, ms
  ARGV[2..n] waiter ids

  Returns: the ids that are not queued any more
]]
local M, H, Q, D = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
--@include refresh

local missing, refreshed = refresh_waiters()
if refreshed then
  -- Every key lives until x + 1 s; past x, re-arm them all (see includes/semaphore.lua).
  local x = tonumber(redis.call('HGET', M, 'x')) or 0
  if alive_until > x then
    x = alive_until + waiter_ttl
    redis.call('HSET', M, 'x', string.format('%.0f', x))
    local at = string.format('%.0f', x + 1000)
    redis.call('PEXPIREAT', M, at)
    redis.call('PEXPIREAT', H, at)
    redis.call('PEXPIREAT', Q, at)
    redis.call('PEXPIREAT', D, at)
  end
end
return missing
