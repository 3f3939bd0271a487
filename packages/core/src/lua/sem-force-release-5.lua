--[[
  sem-force-release-5.lua: an operator's force release. Removes every live holder of a semaphore, or
  only the one with this fence, frees their weight and serves the queue heads that fit exactly as
  sem-release does. The holders are not told: their next extension finds no entry and reports
  ERR_LEASE_LOST. Atomic, so a grant racing it is either removed (its fence matched) or left alone.

  KEYS[1] M meta  KEYS[2] H holders  KEYS[3] Q queue  KEYS[4] D alive  KEYS[5] C channel
  (C is the name's channel: grants go to per-instance channels derived from it, see
  includes/waiters.lua; "id|k" and "|r" go to C itself)
  ARGV[1] fence: remove only the live holder with this fence (decimal, no leading zeros); '' for all
  ARGV[2] limit: configured limit (M.l wins); 0 when unknown, then nobody is served here and the
          waiters take the permits at their next re-check (at most one lease later)

  With waiters queued, it also announces "id|k" for each removed holder, as sem-release does.

  Returns: the number of live holders removed
]]
--@include semaphore
local M, H = KEYS[1], KEYS[2]
local now, now_us = server_clock()
local v = redis.call('HMGET', M, 'u', 'l', 'f', 's', 't', 'x', 'q')
local used = tonumber(v[1]) or 0
local removed = 0
local removed_ids = {}
-- Live holders only: an expired one is no longer a holder (the next transition purges it).
local ids = redis.call('ZRANGEBYSCORE', H, '(' .. now, '+inf')
if #ids > 0 then
  local recs = redis.call('HMGET', M, unpack(ids))
  for i = 1, #ids do
    local weight, fence = nil, nil
    if recs[i] then
      weight, fence = string.match(recs[i], '^h|[^|]*|(%d+)|(%d+)|')
    end
    if ARGV[1] == '' or fence == ARGV[1] then
      redis.call('ZREM', H, ids[i])
      redis.call('HDEL', M, ids[i])
      if weight then
        used = math.max(0, used - tonumber(weight))
      end
      removed = removed + 1
      removed_ids[removed] = ids[i]
    end
  end
end
if removed == 0 then
  return 0
end
-- Nobody queued (the waiters mark, see includes/semaphore.lua): nothing to pass on.
if v[7] ~= '1' then
  if redis.call('EXISTS', M) == 1 then
    redis.call('HSET', M, 'u', fmt(used))
  end
  return removed
end

local s = sem_open(KEYS, v, now, now_us, sem_earliest(H), used, tonumber(v[2]) or tonumber(ARGV[2]))
sem_write(s, 'u', s.used)
sem_settle(s, nil, true)
sem_save(s)
-- As sem-release does: a removed holder that began as a claim needs no more watching.
for i = 1, #removed_ids do
  announce_claimed(s.C, removed_ids[i])
end
return removed
