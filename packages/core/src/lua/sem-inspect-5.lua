--[[
  sem-inspect-5.lua: a consistent snapshot of one semaphore, without tokens or ids. Read-only.

  KEYS[1] M meta  KEYS[2] H holders  KEYS[3] Q queue  KEYS[4] D alive  KEYS[5] I records
  ARGV[1] limit: configured limit (M.l wins)
  ARGV[2] max waiters to list

  Returns: {now, limit, used, holders, waiters, waiterCount}
    holders: flat list of fence, weight, deadline, since (live holders, earliest deadline first)
    waiters: flat list of priority, weight, since, aliveUntil (live waiters, queue order)
]]
local M, H, Q, D, I = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)

local limit = tonumber(redis.call('HGET', M, 'l')) or tonumber(ARGV[1])
local used = 0
local holders = {}
local live = redis.call('ZRANGEBYSCORE', H, '(' .. now, '+inf', 'WITHSCORES')
for i = 1, #live, 2 do
  local rec = redis.call('HGET', M, live[i])
  if rec then
    local _, weight, fence, since = string.match(rec, '^([^|]*)|(%d+)|(%d+)|(%d+)$')
    used = used + tonumber(weight)
    table.insert(holders, fence)
    table.insert(holders, tonumber(weight))
    table.insert(holders, live[i + 1])
    table.insert(holders, since)
  end
end

local waiters = {}
local queue = redis.call('ZRANGE', Q, 0, tonumber(ARGV[2]) - 1)
for i = 1, #queue do
  local alive = tonumber(redis.call('ZSCORE', D, queue[i]))
  local rec = redis.call('HGET', I, queue[i])
  if rec and alive and alive > now then
    local _, weight, _, priority, since = string.match(rec, '^([^|]*)|(%d+)|(%d+)|([^|]*)|(%d+)$')
    table.insert(waiters, priority)
    table.insert(waiters, tonumber(weight))
    table.insert(waiters, since)
    table.insert(waiters, alive)
  end
end
return { now, limit, used, holders, waiters, redis.call('ZCARD', Q) }
