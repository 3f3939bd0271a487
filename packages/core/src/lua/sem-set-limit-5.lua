--[[
  sem-set-limit-5.lua: changes a semaphore's limit for every process while its keys live, then
  serves the queue heads that fit the new limit.

  KEYS[1] M meta  KEYS[2] H holders  KEYS[3] Q queue  KEYS[4] D alive  KEYS[5] C channel
  (C is the name's channel: grants go to per-instance channels derived from it, see
  includes/waiters.lua; "id|k" and "|r" go to C itself)
  ARGV[1] new limit, integer >= 1

  Returns: the limit stored before, or -1 if none was stored
]]
--@include semaphore
local M, H = KEYS[1], KEYS[2]
local now, now_us = server_clock()
local v = redis.call('HMGET', M, 'u', 'l', 'f', 's', 't', 'x', 'q')
local s = sem_open(KEYS, v, now, now_us, sem_earliest(H), tonumber(v[1]) or 0, tonumber(ARGV[1]))
sem_write(s, 'l', ARGV[1])
sem_grow(s, now, 0)
sem_settle(s, nil, s.mark, true)
sem_save(s)
return tonumber(v[2]) or -1
