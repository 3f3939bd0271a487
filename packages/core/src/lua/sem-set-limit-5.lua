--[[
  sem-set-limit-5.lua: changes a semaphore's limit for every process while its keys live, then
  serves the queue heads that fit the new limit.

  KEYS[1] M meta  KEYS[2] H holders  KEYS[3] Q queue  KEYS[4] D alive  KEYS[5] C channel
  ARGV[1] new limit, integer >= 1

  Returns: the limit stored before, or -1 if none was stored
]]
local M, H, Q, D, C = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local now_us = tonumber(t[1]) * 1000000 + tonumber(t[2])
local v = redis.call('HMGET', M, 'u', 'l', 'f', 's', 't', 'x')
local first = redis.call('ZRANGE', H, 0, 0, 'WITHSCORES')
local earliest = tonumber(first[2])
local used, limit = tonumber(v[1]) or 0, tonumber(ARGV[1])
local fence, seq, since_us, x = tonumber(v[3]) or 0, tonumber(v[4]) or 0, tonumber(v[5]) or 0, tonumber(v[6]) or 0
local m_is_new = not v[6]
--@include semaphore
write('l', ARGV[1])
grow(now, 0)
settle(nil, redis.call('EXISTS', Q) == 1, true)
save()
return tonumber(v[2]) or -1
