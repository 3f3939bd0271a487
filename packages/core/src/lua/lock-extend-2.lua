--[[
  lock-extend-2.lua: moves the lease deadline to now + ttl while this token holds the lock. It
  never re-creates an expired or removed lock: that is a loss.

  KEYS[1] H holder  KEYS[2] F fence
  ARGV[1] token
  ARGV[2] ttl: new lease length from now, ms

  Returns: 1 extended, 0 not held by this token any more
]]
local H, F = KEYS[1], KEYS[2]
if redis.call('GET', H) ~= ARGV[1] then
  return 0
end
local ttl = tonumber(ARGV[2])
redis.call('PEXPIRE', H, ttl)
if redis.call('PTTL', F) < ttl + 5000 then
  redis.call('PEXPIRE', F, ttl + 5000)
end
return 1
