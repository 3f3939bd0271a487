--[[
  waiters.lua: queue helpers shared by locks and semaphores (included).
    Q  ZSET  waiter id -> order score
    D  ZSET  waiter id -> heartbeat deadline, server epoch ms (D and Q always hold the same ids)
    records  the hash that holds the waiters' records (I for locks, M for semaphores)
    C  the name's shard channel: every instance with waiters on the name listens to it, and to its
       own channel C .. ':' .. <prefix> (same hash tag, so same slot), where <prefix> is the first
       ID_PREFIX_LEN characters of its request ids (followed by '.', see util/ids.ts).

  Messages:
    "id|fence|deadline|claim[|settled]"  a grant (a claim of `claim` ms), sent to the instance of
        `id` and to the claim watchers (see announce_grant), never to every instance
    "id|x|limit"  a semaphore waiter rejected as too heavy, sent to the instance of `id`
    "id|k"  the claim of `id` was turned into a lease or released: on C (any watcher may stop)
    "|r"    the scan budget ran out on dead heads: on C (every instance's first waiter re-checks)
]]
--@include clock

-- Announces a message on channel C: sharded pub/sub where the server has it (Redis 7+).
local function announce(C, msg)
  if redis.REDIS_VERSION_NUM then
    redis.call('SPUBLISH', C, msg)
  else
    redis.call('PUBLISH', C, msg)
  end
end

-- Tells the waiting processes that the claim of `id` was turned into a lease (see CLAIM_MS), so
-- none of them needs to re-check when the claim window ends.
local function announce_claimed(C, id)
  announce(C, id .. '|k')
end

-- The channel that reaches the instance of waiter `id`: C with the id's prefix, or C itself for an
-- id without the '.' mark (a client from before per-instance channels listens only to C).
local function owner_channel(C, id)
  if string.byte(id, ID_PREFIX_LEN + 1) == 46 then
    return C .. ':' .. string.sub(id, 1, ID_PREFIX_LEN)
  end
  return C
end

-- Announces grant `msg` to waiter `id`'s instance and to its claim watchers: the instances of the
-- waiters `ids[from..]` (those queued right after it, in order, at most WATCH_SPAN of them), the
-- first WATCHERS distinct ones other than id's own. A watcher that hears no "id|k" or later grant
-- settling the claim re-checks when the claim window ends, so a dead claimant's claim passes on
-- (see WaitHub). A grant on C (an id without a prefix) reaches every instance already; so does one
-- with no watcher among the next waiters.
local function announce_grant(C, msg, id, ids, from)
  local own = owner_channel(C, id)
  announce(own, msg)
  if own == C then
    return
  end
  local sent = { [own] = true }
  local watchers = 0
  for i = from, math.min(#ids, from + WATCH_SPAN - 1) do
    local channel = owner_channel(C, ids[i])
    if not sent[channel] then
      announce(channel, msg)
      watchers = watchers + 1
      if watchers == WATCHERS or channel == C then
        return
      end
      sent[channel] = true
    end
  end
  if watchers == 0 and #ids >= from then
    -- The next waiters all belong to the claimant's instance, which would die with it: no other
    -- instance would watch the claim. Send it on C too, so every waiting instance watches it.
    announce(C, msg)
  end
end

-- Drops waiters whose heartbeat deadline passed by `now` (bounded per call). Returns false when
-- the budget ran out, so dead waiters may remain and heads must be checked one by one.
local function purge_waiters(Q, D, records, now)
  local dead = redis.call('ZRANGEBYSCORE', D, '-inf', fmt(now), 'LIMIT', '0', PURGE_BUDGET_DIGITS)
  if #dead > 0 then
    redis.call('ZREM', Q, unpack(dead))
    redis.call('ZREM', D, unpack(dead))
    redis.call('HDEL', records, unpack(dead))
  end
  return #dead < PURGE_BUDGET
end
