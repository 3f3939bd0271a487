--[[
  sem-acquire-6.lua: grants permits now, or enqueues the caller / refreshes its heartbeat.
  Idempotent per id and token: a retried request that finds its own grant returns it again.
  Nobody barges: a new request is granted only if no live waiter is ahead of it in the order.

  KEYS[1] M meta  KEYS[2] H holders  KEYS[3] Q queue  KEYS[4] D alive  KEYS[5] I records  KEYS[6] C channel
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

  Returns:
    {1, fence, deadline, now}          granted (deadline, now: server epoch ms)
    {0, position, holderDeadline, now} queued; position 0-based; holderDeadline -1 if none
    {-1, holderDeadline, now}          busy, not enqueued (try mode)
    {-2}                               queue full
    {-3, limit}                        weight exceeds the limit in effect
    {-4}                               id already used with another token
]]
--@include semaphore

local id, token = ARGV[1], ARGV[2]
local weight, ttl = tonumber(ARGV[3]), tonumber(ARGV[5])
local now, now_us = server_time()
local held = load_state(now, tonumber(ARGV[4]), id)

if held then
  local htoken, hweight, hfence = string.match(held, '^([^|]*)|(%d+)|(%d+)|')
  if htoken ~= token then
    return { -4 }
  end
  local deadline = tonumber(redis.call('ZSCORE', H, id))
  if deadline and deadline > now then
    return { 1, tonumber(hfence), deadline, now }
  end
  -- Expired but not purged yet (purging is bounded per call): drop it and carry on.
  redis.call('HDEL', M, id)
  if redis.call('ZREM', H, id) == 1 then
    st.used = math.max(0, st.used - tonumber(hweight))
    st.dirty = true
  end
end

local waiter = false
if redis.call('EXISTS', Q) == 1 then
  purge_waiters(now, id)
  local fence, deadline = grant_heads(now, now_us, id)
  if fence then
    save_state()
    return { 1, fence, deadline, now }
  end
  waiter = redis.call('HGET', I, id)
  if waiter and string.sub(waiter, 1, #token + 1) ~= token .. '|' then
    return { -4 }
  end
end

local waiter_ttl = tonumber(ARGV[8])
if waiter then
  heartbeat(id, now, waiter_ttl)
  save_state()
  return { 0, redis.call('ZRANK', Q, id), earliest_deadline(), now }
end

if weight > st.limit then
  save_state()
  return { -3, st.limit }
end

local priority, aging = tonumber(ARGV[7]), tonumber(ARGV[10])
local score, since
if aging > 0 then
  since = math.max(now_us, st.since + 1)
  score = since - priority * aging * 1000
else
  since = now_us
  score = st.seq + 1 - priority * 4294967296
end

local head = redis.call('ZRANGE', Q, 0, 0, 'WITHSCORES')
local ahead = head[2] ~= nil and tonumber(head[2]) <= score
if not ahead and weight <= capacity_left() then
  local fence, deadline = make_holder(id, token, weight, ttl, now, now_us)
  save_state()
  return { 1, fence, deadline, now }
end

if ARGV[6] ~= '1' then
  save_state()
  return { -1, earliest_deadline(), now }
end

local max_waiters = tonumber(ARGV[9])
if max_waiters >= 0 and redis.call('ZCARD', Q) >= max_waiters then
  save_state()
  return { -2 }
end

if aging > 0 then
  st.since = since
else
  st.seq = st.seq + 1
end
st.dirty = true
if waiter_ttl > st.keep then
  st.keep = waiter_ttl
end
redis.call('ZADD', Q, fmt(score), id)
redis.call('HSET', I, id, token .. '|' .. weight .. '|' .. ttl .. '|' .. ARGV[7] .. '|' .. fmt(math.floor(now_us / 1000)))
heartbeat(id, now, waiter_ttl)
save_state()
return { 0, redis.call('ZRANK', Q, id), earliest_deadline(), now }
