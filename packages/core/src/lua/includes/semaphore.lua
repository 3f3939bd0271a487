--[[
  semaphore.lua: state and baton passing for semaphores (included). sem_open() reads the state into
  a table `s` that every other function takes first:

    M  HASH  counters u (used weight), l (limit set at run time), f (last fence), s (queue seq),
             t (last waiter `since`, us, strictly increasing), x (time the keys are armed to live
             until), q ("1" while the queue may be non-empty: the waiters mark, below); and one
             record per request id:
               holder  "h|token|weight|fence|sinceMs"
               waiter  "w|token|weight|ttl|priority|sinceMs"
    H  ZSET  holder id -> lease deadline, server epoch ms
    Q  ZSET  waiter id -> order score (lower first; see sem-acquire)
    D  ZSET  waiter id -> heartbeat deadline, server epoch ms (D and Q always hold the same ids)
    C  the name's shard channel (in KEYS so it routes with the keys); a grant is announced on the
       channels of the served waiter's instance and of its claim watchers, derived from C (see
       includes/waiters.lua)

  Expiry: every key lives until x + GRACE_MS. A deadline past x moves x to that deadline plus one
  more lease or heartbeat of slack and re-arms every key; a key a script creates is armed at the
  current x. So no entry outlives its key (each key is armed at the largest deadline it can hold),
  most transitions set no expiry at all, and every key vanishes within two TTLs plus the grace once
  load stops.

  The waiters mark: the script that queues a waiter sets M.q = "1" (in the HSET it makes anyway),
  and one that finds the queue empty while serving it sets "0". So a q other than "1" proves the
  queue empty (or M gone, and with it every waiter's record: no waiter could be served), and the
  fast paths and the release read it in the HMGET they make anyway instead of an EXISTS Q. A
  stale "1" only sends a fast call to the full script, which clears it.

  Every redis.call costs far more than Lua arithmetic, so the helpers below are written to make as
  few calls as possible: no per-head liveness check unless the purge was cut short, no lookups once
  the semaphore is full, one HSET for all changed fields.
]]
--@include clock
--@include expiry
--@include waiters

-- Reads the holders' earliest deadline (nil when there are none) from H.
local function sem_earliest(H)
  return tonumber(redis.call('ZRANGE', H, '0', '0', 'WITHSCORES')[2])
end

local function sem_write(s, field, value)
  s.writes[#s.writes + 1] = field
  s.writes[#s.writes + 1] = value
end

local function sem_set_used(s, value)
  s.used = value
  sem_write(s, 'u', fmt(value))
end

-- The state of one semaphore. `keys` M, H, Q, D, C (KEYS[1..5]); `v` M's fields u, l, f, s, t, x, q
-- (HMGET, in this order); `now`,
-- `now_us` the server clock; `earliest` the first holder deadline (nil: none); `used` and `limit`
-- the weight in use and the limit in effect as the script computed them.
local function sem_open(keys, v, now, now_us, earliest, used, limit)
  local s = {
    M = keys[1], H = keys[2], Q = keys[3], D = keys[4], C = keys[5],
    now = now, now_us = now_us, earliest = earliest, used = used, limit = limit,
    fence = tonumber(v[3]) or 0, seq = tonumber(v[4]) or 0, since_us = tonumber(v[5]) or 0,
    x = tonumber(v[6]) or 0, m_is_new = not v[6], writes = {}, to_arm = {},
    -- The waiters mark as read, and as it must be saved.
    marked = v[7] == '1', mark = v[7] == '1',
    -- The earliest holder deadline is still `earliest` (no holder purged or added since).
    earliest_known = true,
    -- Messages announced to served (or rejected) waiters, in order: a release returns them too.
    handed = {},
    -- The grants made by sem_grant_heads, as id, message, id, message...: announced once it ends.
    granted = {},
    -- The id of released permits whose claim the next grant message also settles (see sem-release).
    settled = nil,
  }
  -- `used` drifts only if the holders key vanished behind our back (eviction, DEL): heal it.
  if used > 0 and not earliest then
    sem_set_used(s, 0)
  end
  return s
end

-- Marks a key to be armed (at x + GRACE_MS) when the script saves.
local function sem_arm(s, key)
  s.to_arm[key] = true
end

-- Moves x past `deadline` (by `slack`) when needed, and then re-arms every key.
local function sem_grow(s, deadline, slack)
  if deadline > s.x then
    s.x = deadline + slack
    sem_write(s, 'x', fmt(s.x))
    sem_arm(s, s.M)
    sem_arm(s, s.H)
    sem_arm(s, s.Q)
    sem_arm(s, s.D)
  end
end

-- Writes every changed field of M in one HSET, then sets the expiries the script asked for.
local function sem_save(s)
  if s.mark ~= s.marked then
    sem_write(s, 'q', s.mark and '1' or '0')
  end
  if #s.writes > 0 then
    redis.call('HSET', s.M, unpack(s.writes))
    if s.m_is_new then
      sem_arm(s, s.M)
    end
  end
  local keys = {}
  for key in pairs(s.to_arm) do
    keys[#keys + 1] = key
  end
  expire_after(s.x, keys)
end

-- Removes holders whose deadline passed (bounded per call) and frees their weight.
local function sem_purge_holders(s)
  local dead = redis.call('ZRANGEBYSCORE', s.H, '-inf', fmt(s.now), 'LIMIT', '0', PURGE_BUDGET_DIGITS)
  if #dead == 0 then
    return
  end
  local recs = redis.call('HMGET', s.M, unpack(dead))
  local freed = 0
  for i = 1, #dead do
    local w = recs[i] and string.match(recs[i], '^h|[^|]*|(%d+)|')
    if w then
      freed = freed + tonumber(w)
    end
  end
  redis.call('HDEL', s.M, unpack(dead))
  redis.call('ZREM', s.H, unpack(dead))
  s.earliest_known = false
  sem_set_used(s, math.max(0, s.used - freed))
end

-- Makes `id` a holder until now + ttl. Returns fence, deadline.
local function sem_make_holder(s, id, token, weight, ttl)
  local fence = s.fence + 1
  if s.now_us > fence then
    fence = s.now_us
  end
  s.fence = fence
  s.earliest_known = false
  if s.used == 0 then
    -- H is empty, so this ZADD creates it.
    sem_arm(s, s.H)
  end
  sem_set_used(s, s.used + weight)
  local deadline = s.now + ttl
  sem_grow(s, deadline, ttl)
  redis.call('ZADD', s.H, fmt(deadline), id)
  local fence_digits = fmt(fence)
  sem_write(s, 'f', fence_digits)
  sem_write(s, id, 'h|' .. token .. '|' .. fmt(weight) .. '|' .. fence_digits .. '|' .. fmt(s.now))
  return fence, deadline
end

-- Removes waiter `hid` (already popped from Q) from D and (unless `keep_record`) M.
local function sem_drop_waiter(s, hid, keep_record)
  redis.call('ZREM', s.D, hid)
  if not keep_record then
    redis.call('HDEL', s.M, hid)
  end
end

-- The first WATCH_SPAN live waiters now in the queue. When the purge was cut short (not
-- `heads_alive`), dead waiters may still be queued first and their instances would never re-check:
-- up to SCAN_BATCH ids are looked at, with their heartbeat deadlines (two calls, that rare case only).
local function sem_next_live(s, heads_alive)
  if heads_alive then
    return redis.call('ZRANGE', s.Q, '0', fmt(WATCH_SPAN - 1))
  end
  local ids = redis.call('ZRANGE', s.Q, '0', fmt(SCAN_BATCH - 1))
  if #ids == 0 then
    return ids
  end
  local deadlines = redis.call('ZMSCORE', s.D, unpack(ids))
  local live = {}
  for i = 1, #ids do
    if (tonumber(deadlines[i]) or 0) > s.now then
      live[#live + 1] = ids[i]
      if #live == WATCH_SPAN then
        break
      end
    end
  end
  return live
end

-- Announces the grants sem_grant_heads made, each to its waiter's instance and to the claim
-- watchers: the instances of the first live waiters now in the queue (one ZRANGE for all grants).
local function sem_announce_grants(s, heads_alive)
  local granted = s.granted
  if #granted == 0 then
    return
  end
  -- No call when the loop found the queue empty: nobody is left to watch.
  local next_ids = s.emptied and {} or sem_next_live(s, heads_alive)
  for i = 1, #granted, 2 do
    announce_grant(s.C, granted[i + 1], granted[i], next_ids, 1)
  end
  s.granted = {}
end

-- Baton passing: serves queue heads in order while they fit. A head that does not fit blocks the
-- rest, so a heavy waiter is never starved by lighter ones. Returns fence, deadline if `self_id`
-- was served (it is not announced). With `scan`, a full semaphore still looks at its head (to
-- reject one that a lowered limit made too heavy).
local function sem_grant_heads(s, self_id, heads_alive, scan)
  local self_fence, self_deadline
  for _ = 1, GRANT_BUDGET do
    if s.used >= s.limit and not scan then
      break
    end
    -- Popped, and put back if it must wait: one call for the head that is served.
    local head = redis.call('ZPOPMIN', s.Q)
    local hid = head[1]
    if not hid then
      s.mark = false
      s.emptied = true
      break
    end
    local rec = redis.call('HGET', s.M, hid)
    local token, weight, ttl
    if rec then
      token, weight, ttl = string.match(rec, '^w|([^|]*)|(%d+)|(%d+)|')
    end
    local alive = heads_alive or (tonumber(redis.call('ZSCORE', s.D, hid)) or 0) > s.now
    if not token or not alive then
      sem_drop_waiter(s, hid)
    else
      weight = tonumber(weight)
      if weight > s.limit then
        sem_drop_waiter(s, hid)
        local msg = hid .. '|x|' .. s.limit
        announce(owner_channel(s.C, hid), msg)
        s.handed[#s.handed + 1] = msg
      elseif weight > s.limit - s.used then
        -- Put back. Popping the only member deleted Q, so this ZADD may create it anew, without
        -- a TTL: arm it (at x, as every key of the name).
        redis.call('ZADD', s.Q, head[2], hid)
        sem_arm(s, s.Q)
        break
      else
        sem_drop_waiter(s, hid, true)
        if hid == self_id then
          self_fence, self_deadline = sem_make_holder(s, hid, token, weight, tonumber(ttl))
        else
          local claim = math.min(tonumber(ttl), CLAIM_MS)
          local f, deadline = sem_make_holder(s, hid, token, weight, claim)
          local msg = hid .. '|' .. fmt(f) .. '|' .. fmt(deadline) .. '|' .. fmt(claim)
          if s.settled then
            msg = msg .. '|' .. s.settled
            s.settled = nil
          end
          s.granted[#s.granted + 1] = hid
          s.granted[#s.granted + 1] = msg
          s.handed[#s.handed + 1] = msg
        end
      end
    end
  end
  sem_announce_grants(s, heads_alive)
  return self_fence, self_deadline
end

-- Purges what expired, then serves the queue (when `queued`): the work every slow path starts
-- with. Returns fence, deadline if `self_id` was served. A full semaphore serves nobody, so it
-- skips the waiters' purge too (unless it must `scan` its head).
local function sem_settle(s, self_id, queued, scan)
  if s.earliest and s.earliest <= s.now then
    sem_purge_holders(s)
  end
  if queued and (scan or s.used < s.limit) then
    return sem_grant_heads(s, self_id, purge_waiters(s.Q, s.D, s.M, s.now), scan)
  end
end
