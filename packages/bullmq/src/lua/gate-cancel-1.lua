--[[
  gate-cancel-1.lua: drops a reservation whose job no longer exists, so its permit is not held back.

  KEYS[1] R reservations: ZSET job id -> deadline
  ARGV[1] job id

  Returns: 1 if a reservation was dropped, else 0
]]
return redis.call('ZREM', KEYS[1], ARGV[1])
