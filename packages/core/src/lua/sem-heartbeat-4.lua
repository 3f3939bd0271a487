--[[
  sem-heartbeat-4.lua: refreshes the heartbeat deadline of many queued waiters of one semaphore at
  once (one call per name and heartbeat period, not one per waiter). Waiters no longer queued
  (granted, purged or gone) are reported back, so they re-check on their own.

  KEYS[1] M meta  KEYS[2] H holders  KEYS[3] Q queue  KEYS[4] D alive
  ARGV[1] waiter ttl, ms
  ARGV[2..n] waiter ids

  Returns: the ids that are not queued any more
]]
--@include clock
--@include expiry
--@include refresh
local M, H, Q, D = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local now = server_clock()
local waiter_ttl = tonumber(ARGV[1])
local alive_until = now + waiter_ttl

local missing, refreshed = refresh_waiters(D, { unpack(ARGV, 2) }, now, alive_until)
-- Every key lives until x + GRACE_MS; past x, re-arm them all (see includes/semaphore.lua).
if refreshed and alive_until > (tonumber(redis.call('HGET', M, 'x')) or 0) then
  local x = alive_until + waiter_ttl
  redis.call('HSET', M, 'x', fmt(x))
  expire_after(x, { M, H, Q, D })
end
return missing
