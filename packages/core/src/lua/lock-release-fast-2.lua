--[[
  lock-release-fast-2.lua: releases a lease granted by lock-acquire-fast while nobody waits, else
  changes nothing. The client runs lock-release-5 when it answers CONTENDED.

  KEYS[1] H holder  KEYS[2] Q queue (see includes/lock-fast.lua)
  ARGV[1] token

  Returns: RELEASED, NOTHING (not held by this token), or CONTENDED (waiters are queued)
]]
--@include lock-fast
return lock_give(KEYS[1], KEYS[2], ARGV[1]) or CONTENDED
