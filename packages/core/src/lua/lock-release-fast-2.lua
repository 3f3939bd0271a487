--[[
  lock-release-fast-2.lua: releases a lease granted by lock-acquire-fast while nobody waits, else
  changes nothing. The client runs lock-release-5 when it answers CONTENDED.

  KEYS[1] H holder  KEYS[2] Q queue (see includes/lock-fast.lua)
  ARGV[1] token
  ARGV[2] fence: the lease's fence, as lock-acquire-fast sent it

  Knowing the fence, it writes the released value "<fence>:" (keeping the TTL) and reads the old
  one in the same call: one call while nobody waits. An old value that is not this lease's, or
  carries the waiters mark (includes/lock-fast.lua), is put back.

  Returns: RELEASED, NOTHING (not held by this token any more), or CONTENDED (waiters may be queued)
]]
local free = ARGV[2] .. ':'
local old = redis.call('SET', KEYS[1], free, 'KEEPTTL', 'GET')
if old == free .. ARGV[1] then
  return RELEASED
end
-- Not this lease (it expired, and the name may have a new holder), or waiters queued: undo.
if old then
  redis.call('SET', KEYS[1], old, 'KEEPTTL')
  return string.byte(old, 1) == 119 and CONTENDED or NOTHING
end
redis.call('DEL', KEYS[1])
-- No H: the lease expired, and waiters may be queued behind it (the full release serves them).
return redis.call('EXISTS', KEYS[2]) == 1 and CONTENDED or NOTHING
