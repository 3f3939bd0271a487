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
local rec = redis.call('HGET', M, ARGV[1])
if not rec or string.sub(rec, 1, #ARGV[2] + 1) ~= ARGV[2] .. '|' then
  return 0
end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local current = tonumber(redis.call('ZSCORE', H, ARGV[1]))
if not current or current <= now then
  return 0
end
local ttl = tonumber(ARGV[3])
redis.call('ZADD', H, now + ttl, ARGV[1])
local keep = ttl + 1000
if redis.call('PTTL', H) < keep then
  redis.call('PEXPIRE', H, keep)
end
if redis.call('PTTL', M) < keep then
  redis.call('PEXPIRE', M, keep)
end
return 1
