--[[
  lock-inspect-4.lua: a consistent snapshot of one lock, without tokens. Read-only.

  KEYS[1] H holder  KEYS[2] F fence  KEYS[3] Q queue  KEYS[4] D alive
  ARGV[1] max waiters to list

  Returns: {now, holderLeft (-2 free), fence (0 if free), waiterCount, waiters}
    waiters: aliveUntil of each live waiter, in queue order (ids stay private)
]]
local H, F, Q, D = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local left = redis.call('PTTL', H)
local fence = 0
if left > 0 then
  fence = tonumber(redis.call('GET', F)) or 0
end
local waiters = {}
local queue = redis.call('ZRANGE', Q, 0, tonumber(ARGV[1]) - 1)
for i = 1, #queue do
  local alive = tonumber(redis.call('ZSCORE', D, queue[i]))
  if alive and alive > now then
    table.insert(waiters, alive)
  end
end
return { now, left, fence, redis.call('ZCARD', Q), waiters }
