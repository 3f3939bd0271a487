--[[
  lock-heartbeat-3.lua: refreshes the heartbeat deadline of many queued waiters of one lock at
  once (one call per name and heartbeat period, not one per waiter). Waiters no longer queued
  (granted, purged or gone) are reported back, so they re-check on their own.

  KEYS[1] Q queue  KEYS[2] D alive  KEYS[3] I records
  ARGV[1] waiter ttl, ms
  ARGV[2..n] waiter ids

  Returns: the ids that are not queued any more
]]
--@include clock
--@include expiry
--@include refresh
local Q, D, I = KEYS[1], KEYS[2], KEYS[3]
local now = server_clock()
local waiter_ttl = tonumber(ARGV[1])
local alive_until = now + waiter_ttl

local missing, refreshed = refresh_waiters(D, { unpack(ARGV, 2) }, now, alive_until)
-- Keep Q, D and I armed past the new deadlines, with one heartbeat of slack (see includes/lock.lua).
if refreshed and alive_until > (tonumber(redis.call('HGET', I, 'x')) or 0) then
  redis.call('HSET', I, 'x', fmt(alive_until + waiter_ttl))
  expire_after(alive_until + waiter_ttl, { Q, D, I })
end
return missing
