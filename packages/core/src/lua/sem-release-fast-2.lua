--[[
  sem-release-fast-2.lua: releases permits granted by sem-acquire-fast while nobody waits, else
  changes nothing. The client runs sem-release-5 when it answers CONTENDED.

  KEYS[1] M meta  KEYS[2] H holders (see includes/semaphore.lua; M.q says whether anyone waits)
  ARGV[1] id
  ARGV[2] token

  Returns: RELEASED, NOTHING (the permits had expired), or CONTENDED
]]
--@include sem-fast
return sem_give(KEYS[1], KEYS[2], ARGV[1], ARGV[2]) or CONTENDED
