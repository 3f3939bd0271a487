--[[
  sem-release-fast-3.lua: releases permits granted by sem-acquire-fast while nobody waits, else
  changes nothing. The client runs sem-release-5 when it answers CONTENDED.

  KEYS[1] M meta  KEYS[2] H holders  KEYS[3] Q queue (see includes/semaphore.lua)
  ARGV[1] id
  ARGV[2] token

  Returns: RELEASED, NOTHING (the permits had expired), or CONTENDED
]]
--@include sem-fast
return sem_give(KEYS[1], KEYS[2], KEYS[3], ARGV[1], ARGV[2]) or CONTENDED
