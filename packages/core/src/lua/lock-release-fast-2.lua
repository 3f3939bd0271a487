--[[
  lock-release-fast-2.lua: releases a lease granted by lock-acquire-fast while nobody waits, else
  changes nothing. The client runs lock-release-5 when it answers CONTENDED.

  KEYS[1] H holder  KEYS[2] Q queue (see includes/lock-fast.lua)
  ARGV[1] token
  ARGV[2] fence: the lease's fence, as lock-acquire-fast sent it

  Knowing the fence, it writes the released value "<fence>:" (keeping the TTL) and reads the old
  one in the same call, and puts the old one back if it was not this lease's: two calls, not three.

  Returns: RELEASED, NOTHING (not held by this token any more), or CONTENDED (waiters are queued)
]]
if redis.call('EXISTS', KEYS[2]) == 1 then
  return CONTENDED
end
local free = ARGV[2] .. ':'
local old = redis.call('SET', KEYS[1], free, 'KEEPTTL', 'GET')
if old == free .. ARGV[1] then
  return RELEASED
end
-- Not this lease (it expired, and the name may have a new holder): undo the write.
if old then
  redis.call('SET', KEYS[1], old, 'KEEPTTL')
else
  redis.call('DEL', KEYS[1])
end
return NOTHING
