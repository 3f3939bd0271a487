--[[
  sem-inspect-4.lua: a consistent snapshot of one semaphore, without tokens or ids. Read-only.

  KEYS[1] M meta  KEYS[2] H holders  KEYS[3] Q queue  KEYS[4] D alive
  ARGV[1] limit: configured limit (M.l wins)
  ARGV[2] max waiters to list

  Returns: {now, limit, used, holders, waiters, waiterCount}
    holders: flat list of fence, weight, deadline, since (live holders, earliest deadline first)
    waiters: flat list of priority, weight, since, aliveUntil (live waiters, queue order)
]]
--@include clock
local M, H, Q, D = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local now = server_clock()

local limit = tonumber(redis.call('HGET', M, 'l')) or tonumber(ARGV[1])
local used = 0
local holders = {}
local live = redis.call('ZRANGEBYSCORE', H, '(' .. now, '+inf', 'WITHSCORES')
for i = 1, #live, 2 do
  local rec = redis.call('HGET', M, live[i])
  local weight, fence, since = nil, nil, nil
  if rec then
    weight, fence, since = string.match(rec, '^h|[^|]*|(%d+)|(%d+)|(%d+)$')
  end
  if weight then
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
  local rec = redis.call('HGET', M, queue[i])
  local weight, priority, since = nil, nil, nil
  if rec then
    weight, priority, since = string.match(rec, '^w|[^|]*|(%d+)|%d+|([^|]*)|(%d+)$')
  end
  if weight and alive and alive > now then
    table.insert(waiters, priority)
    table.insert(waiters, tonumber(weight))
    table.insert(waiters, since)
    table.insert(waiters, alive)
  end
end
return { now, limit, used, holders, waiters, redis.call('ZCARD', Q) }
