--[[
  lock-inspect-3.lua: a consistent snapshot of one lock, without tokens or ids. Read-only.

  KEYS[1] H holder  KEYS[2] Q queue  KEYS[3] D alive
  ARGV[1] max waiters to list

  Returns: {now, holderLeft (-2 when free), fence (0 when free), waiterCount, waiters}
    waiters: aliveUntil of each live waiter, in queue order
]]
--@include clock
local H, Q, D = KEYS[1], KEYS[2], KEYS[3]
local now = server_clock()
local holder = redis.call('GET', H)
local left, fence = -2, 0
if holder and string.byte(holder, -1) ~= 58 then
  left = redis.call('PTTL', H)
  fence = tonumber(string.match(holder, '^w?(%d+):'))
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
