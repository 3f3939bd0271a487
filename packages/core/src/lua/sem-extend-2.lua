--[[
  sem-extend-2.lua: moves a live holder's deadline to now + ttl. It never re-creates a permit that
  expired or was removed: that is a loss.

  KEYS[1] M meta  KEYS[2] H holders
  ARGV[1] id
  ARGV[2] token
  ARGV[3] ttl: new lease length from now, ms

  Returns: EXTENDED, or NOT_HELD by this token any more
]]
--@include clock
--@include expiry
local M, H = KEYS[1], KEYS[2]
local v = redis.call('HMGET', M, ARGV[1], 'x')
local rec = v[1]
if not rec or string.sub(rec, 1, #ARGV[2] + 3) ~= 'h|' .. ARGV[2] .. '|' then
  return NOT_HELD
end
local now = server_clock()
local current = tonumber(redis.call('ZSCORE', H, ARGV[1]))
if not current or current <= now then
  return NOT_HELD
end
local deadline = now + tonumber(ARGV[3])
local deadline_digits = fmt(deadline)
redis.call('ZADD', H, deadline_digits, ARGV[1])
-- Keys expire a grace period after the latest deadline ever written (see semaphore.lua).
if deadline > (tonumber(v[2]) or 0) then
  redis.call('HSET', M, 'x', deadline_digits)
  expire_after(deadline, { M, H })
end
return EXTENDED
