--[[
  gate-enter-1.lua: before a job asks for a permit, tells whether a permit was reserved for it by a
  wake-up, and how many live reservations other jobs of the key hold (newcomers leave those
  permits to them). Purges expired reservations.

  KEYS[1] R reservations: ZSET job id -> reservation deadline (server epoch ms)
  ARGV[1] job id

  Returns: {mine, others}
    mine    1 if this job holds a live reservation, else 0
    others  live reservations held by other jobs
]]
local R = KEYS[1]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', R, '-inf', now)
local live = redis.call('ZCARD', R)
local mine = redis.call('ZSCORE', R, ARGV[1]) and 1 or 0
return { mine, live - mine }
