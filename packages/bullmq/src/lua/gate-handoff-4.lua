--[[
  gate-handoff-4.lua: a permit is about to be freed (mode 'release') or was found free (mode
  'probe'): takes the best parked job (highest priority, then first parked) and reserves the permit
  for it until it starts. A probe reserves only when no reservation is outstanding, so it never
  promises one free permit twice. Also tells how many jobs of the key wait in core's queue: then
  the caller must free the permit (core's queue serves them) rather than keep it for the job.

  KEYS[1] P parked: ZSET job id -> order score (lower first)
  KEYS[2] R reservations: ZSET job id -> deadline (server epoch ms)
  KEYS[3] O places: HASH job id -> 'order score|BullMQ priority'
  KEYS[4] W jobs in core's queue: STRING counter (see gate-queued-1.lua)
  ARGV[1] mode: 'release' or 'probe'
  ARGV[2] reservation length, ms

  Returns: {job id, BullMQ priority, jobs in core's queue} to promote; false when no job is parked; 0 when a
  probe found a reservation outstanding (its job will take the permit)
]]
local P, R, O, W = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', R, '-inf', now)
if ARGV[1] == 'probe' and redis.call('ZCARD', R) > 0 then
  return 0
end
local best = redis.call('ZPOPMIN', P)
if not best[1] then
  return false
end
local reserve = tonumber(ARGV[2])
redis.call('ZADD', R, now + reserve, best[1])
if redis.call('PTTL', R) < reserve then
  redis.call('PEXPIRE', R, reserve * 2)
end
local place = redis.call('HGET', O, best[1])
local priority = place and string.match(place, '|(%d+)$') or '0'
return { best[1], priority, tonumber(redis.call('GET', W)) or 0 }
