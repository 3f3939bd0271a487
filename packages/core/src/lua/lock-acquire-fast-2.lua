--[[
  lock-acquire-fast-2.lua: the first attempt of an acquisition: takes the lock when it is free and
  nobody waits, else changes nothing. Two keys, two arguments and a scalar reply, so the
  uncontended case costs Redis little; else the client runs lock-acquire-5, which does the rest.

  KEYS[1] H holder  KEYS[2] Q queue (see includes/lock-fast.lua)
  ARGV[1] token: secret owner token
  ARGV[2] ttl: lease length, ms

  Returns:
    "<fence>"   granted: the lease is ours for ttl ms (a string: fences have 16 digits)
    BUSY        held by another token: a try fails here; a wait runs lock-acquire
    CONTENDED   free, but waiters are queued: run lock-acquire
]]
--@include lock-fast
local fence, why = lock_take(KEYS[1], KEYS[2], redis.call('GET', KEYS[1]), ARGV[1], ARGV[2])
if fence then
  return fence
end
return why == 'held' and BUSY or CONTENDED
