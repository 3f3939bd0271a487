--[[
  lock-acquire-5.lua: takes a free lock, or enqueues the caller / refreshes its heartbeat.
  Idempotent per id and token: a retried request that finds its own grant returns it again. A
  grant handed to this waiter while it was queued is a short claim (CLAIM_MS): finding it turns it
  into the full lease (and announces "id|k"). A free lock with live waiters goes to the oldest
  waiter first (no barging).

  KEYS[1] H holder  KEYS[2] Q queue  KEYS[3] D alive  KEYS[4] I records  KEYS[5] C channel
  (C is the name's channel: grants go to per-instance channels derived from it, see
  includes/waiters.lua; "id|k" and "|r" go to C itself)
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

-- Set when the queue's dead heads outlasted this call's scan budget (see serve_head).
local scanning = false

-- ms the holder has left, -1 for none (PTTL answers -2 for no key); 0 (re-check at once) while
-- the lock is free and its queue still being scanned.
local function holder_left()
  if scanning then
    return 0
  end
  local left = redis.call('PTTL', k.H)
  return left < 0 and -1 or left
end

if not free and string.sub(holder, -#token - 1) == ':' .. token then
  -- Our own claim (a grant pushed to us while queued, see CLAIM_MS), or a retried request that
  -- finds its own lease: either way it becomes (again) the full lease from now.
  redis.call('PEXPIRE', k.H, ARGV[3])
  announce_claimed(k.C, id)
  return acquire_reply(GRANTED, tonumber(fence_of(holder)), ttl, now)
end

if free then
  -- Free, but waiters may be queued (the last holder expired without a release): they go first.
  local served, a, b = serve_head(k, holder, now, now_us, id)
  if served == 'self' then
    return acquire_reply(GRANTED, a, b, now)
  end
  if served == 'none' and not a then
    -- Nobody waits (the dead are gone). H is as it was (serve_head wrote nothing).
    local f = next_fence(holder, now_us)
    redis.call('SET', k.H, f .. ':' .. token, 'PX', ARGV[3])
    return acquire_reply(GRANTED, tonumber(f), ttl, now)
  end
  if served == 'none' then
    -- The scan budget ran out on dead heads: live waiters may be queued behind them, so the lock
    -- stays free for them (the next call scans on) and this caller queues or is turned away, told
    -- to come back at once (it carries the scan on).
    scanning = true
  else
    -- Another waiter got it: H is now its value.
    holder = b
  end
end

if ARGV[4] ~= '1' then
  return acquire_reply(BUSY, 0, holder_left(), now)
end

local waiter_ttl = tonumber(ARGV[5])
local alive_until = now + waiter_ttl
-- As digits for the calls (see fmt in includes/clock.lua).
local alive_digits = fmt(alive_until)
-- This id's record, the time Q, D and I are armed until, and the sequence: one call.
local v = redis.call('HMGET', k.I, id, 'x', '#')
local armed = tonumber(v[2]) or 0
-- The queue is (about to be) non-empty: H carries the waiters mark from now on (with no H at all,
-- the fast paths look at Q instead).
if holder and not marked(holder) then
  redis.call('SET', k.H, 'w' .. holder, 'KEEPTTL')
end
if v[1] then
  -- Already queued: this call is the heartbeat.
  redis.call('ZADD', k.D, 'XX', alive_digits, id)
else
  -- Dead waiters count against maxWaiters only until a purge: purge when the bound is reached.
  local max_waiters = tonumber(ARGV[6])
  local waiting = redis.call('ZCARD', k.Q)
  if max_waiters >= 0 and waiting >= max_waiters and waiting > 0 then
    purge_waiters(k.Q, k.D, k.I, now)
    waiting = redis.call('ZCARD', k.Q)
  end
  if max_waiters == 0 or (max_waiters > 0 and waiting >= max_waiters) then
    return acquire_reply(FULL, 0, -1, now)
  end
  local seq = fmt((tonumber(v[3]) or 0) + 1)
  redis.call('ZADD', k.Q, seq, id)
  redis.call('ZADD', k.D, alive_digits, id)
  if waiting == 0 then
    -- A new queue: arm it (Q and D were just created, without a TTL).
    armed = alive_until + waiter_ttl
    redis.call('HSET', k.I, id, token .. '|' .. ARGV[3], '#', seq, 'x', fmt(armed))
    expire_after(armed, { k.Q, k.D, k.I })
    return acquire_reply(QUEUED, 0, holder_left(), now)
  end
  redis.call('HSET', k.I, id, token .. '|' .. ARGV[3], '#', seq)
end
-- Re-arm Q, D and I (with one more heartbeat of slack) once a deadline passes the armed time.
if alive_until > armed then
  arm_queue(k, alive_until, waiter_ttl)
end
return acquire_reply(QUEUED, 0, holder_left(), now)
