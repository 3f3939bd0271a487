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
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local waiter_ttl = tonumber(ARGV[1])
local alive_until = now + waiter_ttl
local ids = { unpack(ARGV, 2) }
local scores = redis.call('ZMSCORE', D, unpack(ids))
local refresh, missing = {}, {}
for i = 1, #ids do
  if scores[i] and tonumber(scores[i]) > now then
    refresh[#refresh + 1] = alive_until
    refresh[#refresh + 1] = ids[i]
  else
    missing[#missing + 1] = ids[i]
  end
end
if #refresh > 0 then
  redis.call('ZADD', D, 'XX', unpack(refresh))
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
