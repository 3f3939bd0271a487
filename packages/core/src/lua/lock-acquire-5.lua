--[[
  lock-acquire-5.lua: takes a free lock, or enqueues the caller / refreshes its heartbeat.
  Idempotent per id and token: a retried request that finds its own grant returns it again. A
  grant handed to this waiter while it was queued is a short claim (CLAIM_MS): finding it turns it
  into the full lease (and announces "id|k"). A free lock with live waiters goes to the oldest
  waiter first (no barging).

  KEYS[1] H holder  KEYS[2] Q queue  KEYS[3] D alive  KEYS[4] I records  KEYS[5] C channel
  ARGV[1] id: public request id
  ARGV[2] token: secret owner token
  ARGV[3] ttl: lease length, ms
  ARGV[4] mode: '0' try (never enqueue), '1' wait (enqueue or heartbeat)
  ARGV[5] waiter ttl: heartbeat deadline for a queued waiter, ms
  ARGV[6] max waiters: -1 for no bound

  Returns (includes/acquire-reply.lua, the shape sem-acquire shares):
    {GRANTED, fence, ttlLeft, now}    ttlLeft ms of the lease as of this script (now is 0 when the
                                      fast path took a free lock without reading the clock)
    {QUEUED, 0, holderLeft, now}      holderLeft ms (-1 none)
    {BUSY, 0, holderLeft, now}        not enqueued (try mode)
    {FULL, 0, -1, now}                queue full
]]
--@include lock-fast
--@include acquire-reply
-- Fast path first, before the slow path's helpers are even defined: a free lock and no queue.
local holder = redis.call('GET', KEYS[1])
local taken = lock_take(KEYS[1], KEYS[2], holder, ARGV[2], ARGV[3])
if taken then
  return acquire_reply(GRANTED, tonumber(taken), tonumber(ARGV[3]), 0)
end
--@include lock
local k = lock_keys()
local free = is_free(holder)
local now, now_us = server_clock()
local id, token, ttl = ARGV[1], ARGV[2], tonumber(ARGV[3])

-- ms the holder has left, -1 for none (PTTL answers -2 for no key).
local function holder_left()
  local left = redis.call('PTTL', k.H)
  return left < 0 and -1 or left
end

if not free and string.sub(holder, -#token - 1) == ':' .. token then
  -- Our own claim (a grant pushed to us while queued, see CLAIM_MS), or a retried request that
  -- finds its own lease: either way it becomes (again) the full lease from now.
  redis.call('PEXPIRE', k.H, ttl)
  announce_claimed(k.C, id)
  return acquire_reply(GRANTED, tonumber(string.match(holder, '^(%d+):')), ttl, now)
end

if free then
  -- Free, but waiters are queued (the last holder expired without a release): they go first.
  local served, fence, left = serve_head(k, holder, now, now_us, id)
  if served == 'self' then
    return acquire_reply(GRANTED, fence, left, now)
  end
  if served == 'none' then
    local f = next_fence(redis.call('GET', k.H), now_us)
    redis.call('SET', k.H, f .. ':' .. token, 'PX', ttl)
    return acquire_reply(GRANTED, tonumber(f), ttl, now)
  end
end

if ARGV[4] ~= '1' then
  return acquire_reply(BUSY, 0, holder_left(), now)
end

local waiter_ttl = tonumber(ARGV[5])
local alive_until = now + waiter_ttl
-- Already queued: this call is the heartbeat (ZADD XX CH answers 1 only for a member it moved; a
-- member whose deadline did not move, in the same ms, is still queued and must not count twice).
if redis.call('ZADD', k.D, 'XX', 'CH', alive_until, id) == 0 and not redis.call('ZSCORE', k.D, id) then
  purge_waiters(k.Q, k.D, k.I, now)
  local max_waiters = tonumber(ARGV[6])
  local waiting = redis.call('ZCARD', k.Q)
  if max_waiters == 0 or (max_waiters > 0 and waiting >= max_waiters) then
    return acquire_reply(FULL, 0, -1, now)
  end
  local seq = redis.call('HINCRBY', k.I, '#', 1)
  redis.call('ZADD', k.Q, seq, id)
  redis.call('ZADD', k.D, alive_until, id)
  redis.call('HSET', k.I, id, token .. '|' .. ARGV[3])
  if waiting == 0 then
    -- A new queue: arm it.
    arm_queue(k, alive_until, waiter_ttl)
    return acquire_reply(QUEUED, 0, holder_left(), now)
  end
end
-- Re-arm Q, D and I (with one more heartbeat of slack) once a deadline passes the armed time.
if alive_until > (tonumber(redis.call('HGET', k.I, 'x')) or 0) then
  arm_queue(k, alive_until, waiter_ttl)
end
return acquire_reply(QUEUED, 0, holder_left(), now)
