--[[
  lock-acquire-5.lua: takes a free lock, or enqueues the caller / refreshes its heartbeat.
  Idempotent per id and token: a retried request that finds its own grant returns it again. A
  grant handed to this waiter while it was queued is a short claim (CLAIM_MS in includes/lock.lua):
  finding it turns it into the full lease (and announces "id|k"). A free lock with live waiters
  goes to the oldest waiter first (no barging).

  KEYS[1] H holder  KEYS[2] Q queue  KEYS[3] D alive  KEYS[4] I records  KEYS[5] C channel
  ARGV[1] id: public request id
  ARGV[2] token: secret owner token
  ARGV[3] ttl: lease length, ms
  ARGV[4] mode: '0' try (never enqueue), '1' wait (enqueue or heartbeat)
  ARGV[5] waiter ttl: heartbeat deadline for a queued waiter, ms
  ARGV[6] max waiters: -1 for no bound

  Returns:
    {1, fence, ttlLeft}      granted; ttlLeft ms of the lease as of this script
    {0, 0, holderLeft, now}  queued; holderLeft ms (-2 none); now server ms
    {-1, holderLeft}         busy, not enqueued (try mode)
    {-2}                     queue full
]]
-- Fast path first, before the slow path's helpers are even defined: a free lock and no queue.
local holder = redis.call('GET', KEYS[1])
local free = not holder or string.byte(holder, -1) == 58
if free and redis.call('EXISTS', KEYS[2]) == 0 then
  local time = redis.call('TIME')
  local fence = time[1] .. string.rep('0', 6 - #time[2]) .. time[2]
  if holder then
    local last = tonumber(string.sub(holder, 1, -2))
    if last and last >= tonumber(fence) then
      fence = string.format('%.0f', last + 1)
    end
  end
  redis.call('SET', KEYS[1], fence .. ':' .. ARGV[2], 'PX', ARGV[3])
  return { 1, tonumber(fence), tonumber(ARGV[3]) }
end
local id, token = ARGV[1], ARGV[2]
local H, Q, D, I, C = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
--@include lock

if not free and string.sub(holder, -#token - 1) == ':' .. token then
  -- Our own claim (a grant pushed to us while queued, see CLAIM_MS), or a retried request that
  -- finds its own lease: either way it becomes (again) the full lease from now.
  redis.call('PEXPIRE', H, ARGV[3])
  announce_claimed(id)
  return { 1, tonumber(string.match(holder, '^(%d+):')), tonumber(ARGV[3]) }
end

if free then
  -- Free, but waiters are queued (the last holder expired without a release): they go first.
  local served, fence, left = serve_head(id)
  if served == 'self' then
    return { 1, fence, left }
  end
  if served == 'none' then
    local f = next_fence(redis.call('GET', H))
    redis.call('SET', H, f .. ':' .. token, 'PX', ARGV[3])
    return { 1, tonumber(f), tonumber(ARGV[3]) }
  end
end

if ARGV[4] ~= '1' then
  return { -1, redis.call('PTTL', H) }
end

local waiter_ttl = tonumber(ARGV[5])
local alive_until = now + waiter_ttl
-- Already queued: this call is the heartbeat (ZADD XX CH answers 1 only for a member it moved; a
-- member whose deadline did not move, in the same ms, is still queued and must not count twice).
if redis.call('ZADD', D, 'XX', 'CH', alive_until, id) == 0 and not redis.call('ZSCORE', D, id) then
  purge_waiters()
  local max_waiters = tonumber(ARGV[6])
  local waiting = redis.call('ZCARD', Q)
  if max_waiters == 0 or (max_waiters > 0 and waiting >= max_waiters) then
    return { -2 }
  end
  local seq = redis.call('HINCRBY', I, '#', 1)
  redis.call('ZADD', Q, seq, id)
  redis.call('ZADD', D, alive_until, id)
  redis.call('HSET', I, id, token .. '|' .. ARGV[3])
  if waiting == 0 then
    -- A new queue: arm it.
    redis.call('HSET', I, 'x', alive_until + waiter_ttl)
    local at = string.format('%.0f', alive_until + waiter_ttl + GRACE_MS)
    redis.call('PEXPIREAT', Q, at)
    redis.call('PEXPIREAT', D, at)
    redis.call('PEXPIREAT', I, at)
    return { 0, 0, redis.call('PTTL', H), now }
  end
end
-- Re-arm Q, D and I (with one more heartbeat of slack) once a deadline passes the armed time.
local armed = tonumber(redis.call('HGET', I, 'x')) or 0
if alive_until > armed then
  redis.call('HSET', I, 'x', alive_until + waiter_ttl)
  local at = string.format('%.0f', alive_until + waiter_ttl + GRACE_MS)
  redis.call('PEXPIREAT', Q, at)
  redis.call('PEXPIREAT', D, at)
  redis.call('PEXPIREAT', I, at)
end
return { 0, 0, redis.call('PTTL', H), now }
