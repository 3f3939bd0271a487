--[[
  gate-cancel-2.lua: forgets a woken job that no longer exists (removed, or finished elsewhere): drops
  its reservation, so its permit is not held back, and its remembered place, which only a claim
  would drop otherwise (each park refreshes the places hash's TTL, so under steady parking an entry
  left behind would stay for good).

  KEYS[1] R reservations: ZSET job id -> deadline
  KEYS[2] O places: HASH job id -> 'order score|BullMQ priority'
  ARGV[1] job id

  Returns: 1 if a reservation was dropped, else 0
]]
redis.call('HDEL', KEYS[2], ARGV[1])
return redis.call('ZREM', KEYS[1], ARGV[1])
