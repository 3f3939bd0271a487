--[[
  gate-park-4.lua: records a job that found no free permit, ordered by priority then by when it
  first parked (a job parked again keeps its first place). Every key gets the TTL. A job that holds
  a live reservation (a permit was freed for it) is not recorded unless forced: it waits for that
  permit instead.

  KEYS[1] P parked: ZSET job id -> order score (lower first)
  KEYS[2] O places: HASH job id -> 'order score|BullMQ priority'
  KEYS[3] S sequence: STRING counter issuing park order
  KEYS[4] R reservations: ZSET (only its own reservation is dropped)
  ARGV[1] job id
  ARGV[2] priority: integer in [-2^20, 2^20], higher first
  ARGV[3] ttl: key lifetime, ms
  ARGV[4] the job's BullMQ priority (0 for none), given back with the job on a wake-up
  ARGV[5] force: '1' records the job even if it holds a reservation (which is dropped)

  Order score: seq - priority * 2^32 (exact in a double for |priority| <= 2^20, seq < 2^32).

  Returns: the job's rank among the key's parked jobs (0 = served next), or -1 when it holds a live
  reservation and was not recorded
]]
local P, O, S, R = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local id, ttl = ARGV[1], tonumber(ARGV[3])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local reserved = tonumber(redis.call('ZSCORE', R, id))
if reserved and reserved > now and ARGV[5] ~= '1' then
  return -1
end
local place = redis.call('HGET', O, id)
local score = place and tonumber(string.match(place, '^[^|]+'))
if not score then
  local seq = redis.call('INCR', S) % 4294967296
  score = seq - tonumber(ARGV[2]) * 4294967296
end
redis.call('HSET', O, id, string.format('%.17g', score) .. '|' .. (tonumber(ARGV[4]) or 0))
redis.call('ZADD', P, score, id)
redis.call('ZREM', R, id)
redis.call('PEXPIRE', P, ttl)
redis.call('PEXPIRE', O, ttl)
redis.call('PEXPIRE', S, ttl)
return redis.call('ZRANK', P, id)
