--[[
  sem-release-5.lua: gives up what this id and token have: held permits (then serves the queue
  heads that fit, in order, in the same script) or a place in the queue. A stranger's token
  changes nothing.

  KEYS[1] M meta  KEYS[2] H holders  KEYS[3] Q queue  KEYS[4] D alive  KEYS[5] C channel
  (C is the name's channel: grants go to per-instance channels derived from it, see
  includes/waiters.lua; "id|k" and "|r" go to C itself)
  ARGV[1] id
  ARGV[2] token
  ARGV[3] limit: configured limit (M.l wins)

  With waiters queued, a release also announces that the claim of this id, if it was one, is
  settled (see sem-acquire): as the fifth field of the first grant message when it serves a
  waiter ("next|fence|deadline|claim|id"), else as "id|k".

  Returns:
    RELEASED  this token's permits were released (and passed on)
    DEQUEUED  this id was queued and is removed
    NOTHING   nothing of this id and token was held or queued
    {status, message...}  one of the above, when waiters were served or rejected: the messages
                          announced to them, in order, so waiters in the releasing process start at
                          once (local hand-off)
]]
local M, H, Q, D = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local id, token = ARGV[1], ARGV[2]
local v = redis.call('HMGET', M, 'u', 'l', 'f', 's', 't', 'x', 'q', id)
local mine = v[8]
-- The waiters mark (see includes/semaphore.lua): without it, nobody is queued.
local queued = v[7] == '1'
local result = NOTHING
local used = tonumber(v[1]) or 0
local freed = false
if mine and string.sub(mine, 3, #token + 3) == token .. '|' then
  if string.byte(mine, 1) == 104 then
    if redis.call('ZREM', H, id) == 1 then
      used = math.max(0, used - tonumber(string.match(mine, '^h|[^|]*|(%d+)|')))
      freed = true
      result = RELEASED
    end
    if freed and used == 0 and not queued then
      -- No weight left in use: no 'u' means 0, so one call drops the record and the counter.
      redis.call('HDEL', M, id, 'u')
      return result
    end
    redis.call('HDEL', M, id)
  else
    redis.call('ZREM', Q, id)
    redis.call('ZREM', D, id)
    redis.call('HDEL', M, id)
    result = DEQUEUED
  end
end

-- Fast path: nobody queued, so there is nothing to hand over.
if not queued then
  if freed then
    -- Digits made here: the helpers (fmt in includes/clock.lua) are not defined yet.
    redis.call('HSET', M, 'u', string.format('%d', used))
  end
  return result
end

--@include semaphore
local now, now_us = server_clock()
local s = sem_open(KEYS, v, now, now_us, sem_earliest(H), used, tonumber(v[2]) or tonumber(ARGV[3]))
if freed then
  sem_write(s, 'u', s.used)
end
if result == RELEASED then
  s.settled = id
end
sem_settle(s, nil, true)
sem_save(s)
if s.settled then
  -- If these permits began as a claim, the waiting processes no longer need to watch it.
  announce_claimed(s.C, id)
end
if #s.handed > 0 then
  return { result, unpack(s.handed) }
end
return result
