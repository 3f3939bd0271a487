--[[
  lock-extend-1.lua: moves the lease deadline to now + ttl while this token holds the lock. It
  never re-creates an expired or removed lock: that is a loss.

  KEYS[1] H holder
  ARGV[1] token
  ARGV[2] ttl: new lease length from now, ms

  Returns: EXTENDED, or NOT_HELD by this token any more
]]
local holder = redis.call('GET', KEYS[1])
if holder and string.sub(holder, -#ARGV[1] - 1) == ':' .. ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return EXTENDED
end
return NOT_HELD
