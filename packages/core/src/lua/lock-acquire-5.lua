--[[
  lock-acquire-5.lua: takes a free lock, or enqueues the caller / refreshes its heartbeat.
  Idempotent per id and token: a retried request that finds its own grant returns it again.
  A free lock with live waiters goes to the oldest waiter first (no barging).

  KEYS[1] H holder  KEYS[2] Q queue  KEYS[3] D alive  KEYS[4] I records  KEYS[5] C channel
  ARGV[1] id: public request id
  ARGV[2] token: secret owner token
  ARGV[3] ttl: lease length, ms
  ARGV[4] mode: '0' try (never enqueue), '1' wait (enqueue or heartbeat)
  ARGV[5] waiter ttl: heartbeat deadline for a queued waiter, ms
  ARGV[6] max waiters: -1 for no bound

  Returns:
    {1, fence, ttlLeft}             granted; ttlLeft ms of the lease as of this script
    {0, position, holderLeft, now}  queued; position 0-based; holderLeft ms (-2 none); now server ms
    {-1, holderLeft}                busy, not enqueued (try mode)
    {-2}                            queue full
]]
-- Fast path first, before the slow path's helpers are even defined: a free lock and no queue.
local holder = redis.call('GET', KEYS[1])
local free = not holder or string.byte(holder, -1) == 58
if free and redis.call('EXISTS', KEYS[2]) == 0 then
  local t = redis.call('TIME')
  local fence = t[1] .. string.rep('0', 6 - #t[2]) .. t[2]
  if holder then
    local last = tonumber(string.sub(holder, 1, -2))
    if last and last >= tonumber(fence) then
      fence = string.format('%.0f', last + 1)
    end
  end
  redis.call('SET', KEYS[1], fence .. ':' .. ARGV[2], 'PX', ARGV[3])
  return { 1, tonumber(fence), tonumber(ARGV[3]) }
end

--@include lock

local id, token = ARGV[1], ARGV[2]

if free then
  -- Free, but waiters are queued (the last holder expired without a release): they go first.
  local now, t = lock_time()
  purge_waiters(now, nil)
  local served, fence, left = serve_head(now, t, id)
  if served == 'self' then
    return { 1, fence, left }
  end
  if served == 'none' then
    local f = next_fence(redis.call('GET', H), t)
    redis.call('SET', H, f .. ':' .. token, 'PX', ARGV[3])
    return { 1, tonumber(f), tonumber(ARGV[3]) }
  end
elseif owned_by(holder, token) then
  return { 1, tonumber(string.match(holder, '^(%d+):')), redis.call('PTTL', H) }
end

if ARGV[4] ~= '1' then
  return { -1, redis.call('PTTL', H) }
end

local now = server_time()
if purge_waiters(now, id) or not redis.call('ZSCORE', D, id) then
  local max_waiters = tonumber(ARGV[6])
  if max_waiters >= 0 and redis.call('ZCARD', Q) >= max_waiters then
    return { -2 }
  end
  local seq = redis.call('HINCRBY', I, '#', 1)
  redis.call('ZADD', Q, seq, id)
  redis.call('HSET', I, id, token .. '|' .. ARGV[3])
end
heartbeat(id, now, tonumber(ARGV[5]))
return { 0, redis.call('ZRANK', Q, id), redis.call('PTTL', H), now }
