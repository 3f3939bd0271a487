--[[
  lock.lua: state and baton passing for mutex locks (included). The functions take the lock's keys
  as one table `k` (lock_keys()):

    H  STRING  "<fence>:<token>" while held, with PX = the lease deadline (Redis expires it);
               "<fence>:" once released (free, but it remembers the last fence until the released
               lease's deadline); with a leading "w" while waiters may be queued (the waiters
               mark, see includes/lock-fast.lua: every script here that queues a waiter or writes
               H while the queue may be non-empty keeps it)
    Q  ZSET    waiter id -> Redis-issued sequence number (FIFO)
    D  ZSET    waiter id -> heartbeat deadline, server epoch ms (D and Q always hold the same ids)
    I  HASH    waiter id -> "token|ttl"; '#' the sequence; 'x' the time Q, D and I are armed to live
               until (re-armed, with one more heartbeat of slack, only when a deadline passes it)
    C  the name's shard channel; a hand-off is announced on the channels of the served waiter's
       instance and of its claim watchers, derived from C (see includes/waiters.lua)

  Every redis.call costs far more than Lua arithmetic, so these helpers make as few calls as they
  can: no per-head liveness check unless the purge was cut short, one call to see the head and
  whether it is the last.
]]
--@include lock-fast
--@include expiry
--@include waiters

-- The keys of the lock scripts that take all five (KEYS[1..5]).
local function lock_keys()
  return { H = KEYS[1], Q = KEYS[2], D = KEYS[3], I = KEYS[4], C = KEYS[5] }
end

-- True when H's value `value` is a free lock: no key, or a released "<fence>:".
local function is_free(value)
  return not value or string.byte(value, -1) == 58
end

-- The fence in H's value `value` (decimal digits, marked or not), or nil.
local function fence_of(value)
  return string.match(value, '^w?(%d+):')
end

-- The waiters mark for a value of H written while the queue `queued` (may be non-empty).
local function mark_if(queued)
  return queued and 'w' or ''
end

-- The fence a new grant gets (decimal string): above the last one this name had (H's value
-- `last_holder` keeps it), and never below the server clock `now_us`, so a name whose key
-- expired never reuses a fence.
local function next_fence(last_holder, now_us)
  local fence = now_us
  if last_holder then
    local last = tonumber(fence_of(last_holder))
    if last and last >= fence then
      fence = last + 1
    end
  end
  return fmt(fence)
end

-- Keeps Q, D and I armed past `alive_until`, with one heartbeat (`waiter_ttl`) of slack.
local function arm_queue(k, alive_until, waiter_ttl)
  local armed = alive_until + waiter_ttl
  redis.call('HSET', k.I, 'x', fmt(armed))
  expire_after(armed, { k.Q, k.D, k.I })
end

-- Removes one waiter; `last` when it was the only one, so the records hash goes too.
local function drop_waiter(k, id, last)
  redis.call('ZREM', k.Q, id)
  redis.call('ZREM', k.D, id)
  if last then
    redis.call('DEL', k.I)
  else
    redis.call('HDEL', k.I, id)
  end
end

-- Head `ids[at]` of a scan batch, then the waiters after it whose instances may watch its claim: those of
-- the batch still alive (`deadlines` tells; a dead one's instance would never re-check), and, when
-- fewer than WATCH_SPAN are and the batch was full, the next ones after the batch (one call; their
-- liveness unchecked). The dead before the head are dropped by then and the head is still at rank
-- 0, so the batch's last id is at rank #ids - at.
local function scan_watchers(k, ids, deadlines, at, now)
  local next_ids = { ids[at] }
  for j = at + 1, #ids do
    if (tonumber(deadlines[j]) or 0) > now then
      next_ids[#next_ids + 1] = ids[j]
      if #next_ids > WATCH_SPAN then
        return next_ids
      end
    end
  end
  if #ids == SCAN_BATCH then
    local rank = #ids - at + 1
    for _, id in ipairs(redis.call('ZRANGE', k.Q, fmt(rank), fmt(rank + WATCH_SPAN - #next_ids))) do
      next_ids[#next_ids + 1] = id
    end
  end
  return next_ids
end

-- The oldest live waiter, after dropping the dead ones queued before it (three calls per batch): its id, its record,
-- whether other waiters remain behind it, and a list of ids with the index of the head in it (the
-- ids after it are the next waiters, for announce_grant); nil and false when the queue is empty;
-- or nil and true when SCAN_BUDGET rounds found only dead heads (the queue is not empty: the next
-- call goes on). `heads_alive`: the purge left no dead waiter, so the head is alive without a look
-- at D.
local function live_head(k, now, heads_alive)
  if heads_alive then
    -- The common case: two calls see the head, its record, whether it is the last and the next
    -- waiters (their instances watch its claim).
    local heads = redis.call('ZRANGE', k.Q, '0', WATCH_SPAN_DIGITS)
    if not heads[1] then
      return nil, false
    end
    local rec = redis.call('HGET', k.I, heads[1])
    if rec then
      return heads[1], rec, heads[2] ~= nil, heads, 1
    end
    -- A head without its record (never written so by these scripts): the scan below drops it.
  end
  for _ = 1, SCAN_BUDGET do
    local ids = redis.call('ZRANGE', k.Q, '0', fmt(SCAN_BATCH - 1))
    if #ids == 0 then
      return nil, false
    end
    local deadlines = redis.call('ZMSCORE', k.D, unpack(ids))
    for i = 1, #ids do
      if (tonumber(deadlines[i]) or 0) > now then
        local rec = redis.call('HGET', k.I, ids[i])
        if rec then
          if i > 1 then
            local dead = { unpack(ids, 1, i - 1) }
            redis.call('ZREM', k.Q, unpack(dead))
            redis.call('ZREM', k.D, unpack(dead))
            redis.call('HDEL', k.I, unpack(dead))
          end
          local more = ids[i + 1] ~= nil
          if not more and #ids == SCAN_BATCH then
            -- The batch ended at this head: Q (its dead heads gone) tells whether any follow.
            more = redis.call('ZCARD', k.Q) > 1
          end
          return ids[i], rec, more, scan_watchers(k, ids, deadlines, i, now), 1
        end
      end
    end
    -- All dead: three calls drop the batch.
    redis.call('ZREM', k.Q, unpack(ids))
    redis.call('ZREM', k.D, unpack(ids))
    redis.call('HDEL', k.I, unpack(ids))
  end
  return nil, redis.call('EXISTS', k.Q) == 1
end

-- Baton passing: hands the free lock (H's value `holder`) to the oldest waiter alive at `now`
-- and announces it to that waiter's instance and to its claim watchers (announce_grant). Returns
-- 'self' with fence and ttl when that waiter is `self_id`, 'other', the announced message and H's
-- new value when someone else got it (the caller returns the message too, so a waiter in the
-- calling process starts without waiting for it), or 'none' and whether waiters remain: true only
-- when the scan budget ran out on dead heads. Then the lock must go to nobody (the callers leave it
-- free and marked, and queue or turn away a newcomer): live waiters may be queued behind. The next
-- call on the name scans on, and "|r" asks the waiting processes to make it at once. `settled`, if
-- given, is the id of a released lease: the grant message also says its claim is settled (one
-- message, not two). H written here carries the waiters mark while more waiters remain.
local function serve_head(k, holder, now, now_us, self_id, settled)
  local head, rec, more, ids, at = live_head(k, now, purge_waiters(k.Q, k.D, k.I, now))
  if not head then
    if rec then
      -- The live waiters' next call scans on: ask the waiting processes for it now, not at their
      -- re-check (one local waiter each). "|r" names no waiter, so no client takes it for a grant.
      announce(k.C, '|r')
    end
    return 'none', rec
  end
  drop_waiter(k, head, not more)
  local token, ttl = string.match(rec, '^(.*)|(%d+)$')
  local fence = next_fence(holder, now_us)
  local value = mark_if(more) .. fence .. ':' .. token
  if head == self_id then
    redis.call('SET', k.H, value, 'PX', ttl)
    return 'self', tonumber(fence), tonumber(ttl)
  end
  -- The claim in ms, as a number and as digits (the record's own, or the constant's).
  local claim, claim_digits = tonumber(ttl), ttl
  if claim > CLAIM_MS then
    claim, claim_digits = CLAIM_MS, CLAIM_MS_DIGITS
  end
  redis.call('SET', k.H, value, 'PX', claim_digits)
  local msg = head .. '|' .. fence .. '|' .. fmt(now + claim) .. '|' .. claim_digits
  if settled then
    msg = msg .. '|' .. settled
  end
  announce_grant(k.C, msg, head, ids, at + 1)
  return 'other', msg, value
end
