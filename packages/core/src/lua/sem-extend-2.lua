--[[
  sem-extend-2.lua: moves a live holder's deadline to now + ttl. It never re-creates a permit that
  expired or was removed: that is a loss.

  KEYS[1] M meta  KEYS[2] H holders
  ARGV[1] id
  ARGV[2] token
  ARGV[3] ttl: new lease length from now, ms

  Returns: 1 extended, 0 not held by this token any more
]]
local M, H = KEYS[1], KEYS[2]
local v = redis.call('HMGET', M, ARGV[1], 'x')
local rec = v[1]
if not rec or string.sub(rec, 1, #ARGV[2] + 3) ~= 'h|' .. ARGV[2] .. '|' then
  return 0
end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local current = tonumber(redis.call('ZSCORE', H, ARGV[1]))
if not current or current <= now then
  return 0
end
local deadline = now + tonumber(ARGV[3])
redis.call('ZADD', H, deadline, ARGV[1])
-- Keys expire a grace period after the latest deadline ever written (see semaphore.lua).
if deadline > (tonumber(v[2]) or 0) then
  redis.call('HSET', M, 'x', deadline)
  local at = string.format('%.0f', deadline + 1000)
  redis.call('PEXPIREAT', M, at)
  redis.call('PEXPIREAT', H, at)
end
return 1
