--[[
  gate-claim-3.lua: a job got its permit. Drops its reservation, its parked entry and its remembered
  place, and tells whether other reservations are outstanding (a newcomer then gives the permit
  back) and how many jobs are still parked (a reason to look for more free permits).

  KEYS[1] R reservations: ZSET job id -> deadline (server epoch ms)
  KEYS[2] P parked: ZSET job id -> order score (lower first)
  KEYS[3] O places: HASH job id -> order score kept across re-parks
  ARGV[1] job id

  Returns: {mine, others, parked}
    mine    1 if this job held a reservation, else 0
    others  live reservations held by other jobs
    parked  jobs parked on the key
]]
local R, P, O = KEYS[1], KEYS[2], KEYS[3]
local id = ARGV[1]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local mine = redis.call('ZREM', R, id)
redis.call('ZREM', P, id)
redis.call('HDEL', O, id)
redis.call('ZREMRANGEBYSCORE', R, '-inf', now)
return { mine, redis.call('ZCARD', R), redis.call('ZCARD', P) }
