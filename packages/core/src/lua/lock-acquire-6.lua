--[[
  lock-acquire-6.lua: takes a free lock, or enqueues the caller / refreshes its heartbeat.
  Idempotent per id and token: a retried request that finds its own grant returns it again.
  A free lock with live waiters goes to the oldest waiter first (no barging).

  KEYS[1] H holder  KEYS[2] F fence  KEYS[3] Q queue  KEYS[4] D alive  KEYS[5] I records  KEYS[6] C channel
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
if redis.call('SET', KEYS[1], ARGV[2], 'NX', 'PX', ARGV[3]) then
  if redis.call('EXISTS', KEYS[3]) == 0 then
    local t = redis.call('TIME')
    local fence = t[1] * 1000000 + t[2]
    local last = tonumber(redis.call('SET', KEYS[2], fence, 'PX', ARGV[3] + 5000, 'GET'))
    if last and last >= fence then
      fence = last + 1
      redis.call('SET', KEYS[2], fence, 'PX', ARGV[3] + 5000)
    end
    return { 1, fence, tonumber(ARGV[3]) }
  end
  -- Free, but waiters are queued (the last holder expired without a release): they go first.
  redis.call('DEL', KEYS[1])
elseif redis.call('GET', KEYS[1]) == ARGV[2] then
  return { 1, tonumber(redis.call('GET', KEYS[2])), redis.call('PTTL', KEYS[1]) }
end

--@include lock

local id, token, ttl = ARGV[1], ARGV[2], tonumber(ARGV[3])

if redis.call('EXISTS', H) == 0 then
  local now, now_us = server_time()
  purge_waiters(now, nil)
  local served, fence, left = serve_head(now, now_us, id)
  if served == 'self' then
    return { 1, fence, left }
  end
  if served == 'none' then
    redis.call('SET', H, token, 'PX', ttl)
    return { 1, mint_fence(ttl, now_us), ttl }
  end
end

if ARGV[4] ~= '1' then
  return { -1, redis.call('PTTL', H) }
end

local now = server_time()
local waiter_ttl = tonumber(ARGV[5])
if purge_waiters(now, id) or not redis.call('ZSCORE', D, id) then
  local max_waiters = tonumber(ARGV[6])
  if max_waiters >= 0 and redis.call('ZCARD', Q) >= max_waiters then
    return { -2 }
  end
  local seq = redis.call('HINCRBY', I, '#', 1)
  redis.call('ZADD', Q, seq, id)
  redis.call('HSET', I, id, token .. '|' .. ttl)
end
heartbeat(id, now, waiter_ttl)
return { 0, redis.call('ZRANK', Q, id), redis.call('PTTL', H), now }
