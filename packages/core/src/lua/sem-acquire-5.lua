--[[
  sem-acquire-5.lua: grants permits now, or enqueues the caller / refreshes its heartbeat.
  Idempotent per id and token: a retried request that finds its own grant returns it again. A
  grant handed to this waiter while it was queued is a short claim (CLAIM_MS): finding it turns it
  into the full lease (and announces "id|k"). Nobody barges: a new request is granted only if no
  live waiter is ahead of it in the order.

  KEYS[1] M meta  KEYS[2] H holders  KEYS[3] Q queue  KEYS[4] D alive  KEYS[5] C channel
  (C is the name's channel: grants go to per-instance channels derived from it, see
  includes/waiters.lua; "id|k" and "|r" go to C itself)
  ARGV[1]  id: public request id
  ARGV[2]  token: secret owner token
  ARGV[3]  weight: permits wanted, integer >= 1
  ARGV[4]  limit: configured limit (a limit set at run time, M.l, wins)
  ARGV[5]  ttl: lease length, ms
  ARGV[6]  mode: '0' try (never enqueue), '1' wait (enqueue or heartbeat)
  ARGV[7]  priority: integer in [-2^20, 2^20], higher is served first
  ARGV[8]  waiter ttl: heartbeat deadline for a queued waiter, ms
  ARGV[9]  max waiters: -1 for no bound
  ARGV[10] aging: ms of waiting worth +1 priority, 0 for none

  Order score (lower first): without aging seq - priority * 2^32 (FIFO by the Redis-issued seq
  within a priority); with aging since_us - priority * aging * 1000, where since_us is the server
  clock made strictly increasing, so waiting longer is worth priority and arrival order holds.

  Returns (includes/acquire-reply.lua, the shape lock-acquire shares):
    {GRANTED, fence, ttlLeft, now}      ttlLeft ms of the lease as of this script
    {QUEUED, 0, holderLeft, now}        holderLeft ms until the earliest holder deadline (-1 none)
    {BUSY, 0, holderLeft, now}          not enqueued (try mode)
    {FULL, 0, -1, now}                  queue full
    {TOO_HEAVY, 0, -1, now, limit}      weight exceeds the limit in effect
    {ID_CONFLICT, 0, -1, now}           id already used with another token
]]
--@include clock
--@include acquire-reply
local M, H, Q, D = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local id, token = ARGV[1], ARGV[2]
local now, now_us = server_clock()
local v = redis.call('HMGET', M, 'u', 'l', 'f', 's', 't', 'x', 'q', id)
local first = redis.call('ZRANGE', H, '0', '0', 'WITHSCORES')
local earliest = tonumber(first[2])
local mine = v[8]

-- Heartbeat of a queued waiter while no lease has expired and the keys are armed past the new
-- deadline: refresh the deadline, nothing else.
if mine and string.byte(mine, 1) == 119 and (not earliest or earliest > now)
  and (tonumber(v[6]) or 0) >= now + tonumber(ARGV[8]) then
  if string.sub(mine, 3, #token + 3) ~= token .. '|' then
    return acquire_reply(ID_CONFLICT, 0, -1, now)
  end
  if redis.call('ZADD', D, 'XX', 'CH', fmt(now + tonumber(ARGV[8])), id) == 1 then
    return acquire_reply(QUEUED, 0, ms_until(earliest, now), now)
  end
end

--@include semaphore
local s = sem_open(KEYS, v, now, now_us, earliest, tonumber(v[1]) or 0, tonumber(v[2]) or tonumber(ARGV[4]))

local weight, ttl = tonumber(ARGV[3]), tonumber(ARGV[5])
local waiting = false
if mine then
  local kind, mtoken = string.match(mine, '^(%a)|([^|]*)|')
  if mtoken ~= token then
    return acquire_reply(ID_CONFLICT, 0, -1, now)
  end
  if kind == 'h' then
    local deadline = tonumber(redis.call('ZSCORE', H, id))
    if deadline and deadline > now then
      -- Our own claim (permits pushed to us while queued, see CLAIM_MS), or a retried request that
      -- finds its own lease: either way it becomes (again) the full lease from now.
      if now + ttl > deadline then
        deadline = now + ttl
        redis.call('ZADD', H, fmt(deadline), id)
        sem_grow(s, deadline, ttl)
        sem_save(s)
      end
      announce_claimed(s.C, id)
      return acquire_reply(GRANTED, tonumber(string.match(mine, '^h|[^|]*|%d+|(%d+)|')), deadline - now, now)
    end
    -- Expired but not purged yet: drop it and carry on.
    redis.call('HDEL', M, id)
    if redis.call('ZREM', H, id) == 1 then
      s.earliest_known = false
      sem_set_used(s, math.max(0, s.used - tonumber(string.match(mine, '^h|[^|]*|(%d+)|'))))
    end
  else
    waiting = true
  end
end

-- The waiters mark (see includes/semaphore.lua) says whether anyone may be queued.
local f, deadline = sem_settle(s, id, s.mark)
if f then
  sem_save(s)
  return acquire_reply(GRANTED, f, deadline - now, now)
end
-- A waiter purged meanwhile (its heartbeat lapsed) starts over at the back of the queue.
local waiter_ttl = tonumber(ARGV[8])
-- (ZADD XX CH answers 0 also for a member whose deadline did not move, in the same ms: it is still
-- queued and must not count twice against maxWaiters.)
if waiting and (redis.call('ZADD', D, 'XX', 'CH', fmt(now + waiter_ttl), id) == 1 or redis.call('ZSCORE', D, id)) then
  sem_grow(s, now + waiter_ttl, waiter_ttl)
  sem_save(s)
  return acquire_reply(QUEUED, 0, ms_until(s.earliest_known and s.earliest or sem_earliest(H), now), now)
end

if weight > s.limit then
  sem_save(s)
  return acquire_reply(TOO_HEAVY, 0, -1, now, s.limit)
end

local priority, aging = tonumber(ARGV[7]), tonumber(ARGV[10])
local score, since
if aging > 0 then
  since = math.max(now_us, s.since_us + 1)
  score = since - priority * aging * 1000
else
  since = now_us
  score = s.seq + 1 - priority * 4294967296
end

-- Granted now only if the permits fit and nobody waiting is ahead (no barging).
local fits = weight <= s.limit - s.used
if fits and s.mark then
  local head = redis.call('ZRANGE', Q, '0', '0', 'WITHSCORES')
  fits = head[2] == nil or tonumber(head[2]) > score
end
if fits then
  local g, gd = sem_make_holder(s, id, token, weight, ttl)
  sem_save(s)
  return acquire_reply(GRANTED, g, gd - now, now)
end

local holder_left = ms_until(s.earliest_known and s.earliest or sem_earliest(H), now)
if ARGV[6] ~= '1' then
  sem_save(s)
  return acquire_reply(BUSY, 0, holder_left, now)
end

local max_waiters = tonumber(ARGV[9])
-- The purge and grants above may have emptied the queue: then this enqueue creates it anew.
local waiting_now = s.mark and redis.call('ZCARD', Q) or 0
-- Dead waiters count against maxWaiters only until a purge: purge when the bound is reached.
if max_waiters > 0 and waiting_now >= max_waiters then
  purge_waiters(Q, D, M, now)
  waiting_now = redis.call('ZCARD', Q)
end
if max_waiters == 0 or (max_waiters > 0 and waiting_now >= max_waiters) then
  sem_save(s)
  return acquire_reply(FULL, 0, -1, now)
end

if aging > 0 then
  sem_write(s, 't', fmt(since))
else
  sem_write(s, 's', fmt(s.seq + 1))
end
redis.call('ZADD', Q, fmt(score), id)
redis.call('ZADD', D, fmt(now + waiter_ttl), id)
sem_write(s, id, 'w|' .. token .. '|' .. ARGV[3] .. '|' .. ARGV[5] .. '|' .. ARGV[7] .. '|' .. fmt(now))
sem_grow(s, now + waiter_ttl, waiter_ttl)
s.mark = true
if waiting_now == 0 then
  -- This enqueue created the queue.
  sem_arm(s, Q)
  sem_arm(s, D)
end
sem_save(s)
return acquire_reply(QUEUED, 0, holder_left, now)
