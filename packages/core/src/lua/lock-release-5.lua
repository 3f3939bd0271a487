--[[
  lock-release-5.lua: gives up what this id and token have: the lock (then hands it to the oldest
  live waiter in the same script) or a place in the queue. A stranger's token changes nothing.
  A released lock keeps its last fence ("<fence>:") until the released lease's deadline.

  KEYS[1] H holder  KEYS[2] Q queue  KEYS[3] D alive  KEYS[4] I records  KEYS[5] C channel
  (C is the name's channel: grants go to per-instance channels derived from it, see
  includes/waiters.lua; "id|k" and "|r" go to C itself)
  ARGV[1] id
  ARGV[2] token

  With waiters queued, a release also announces that the claim of this id, if it was one, is
  settled (see lock-acquire): as the fifth field of the grant message when it hands the lock on
  ("next|fence|deadline|claim|id"), else as "id|k".

  Returns:
    RELEASED  the lock was held by this token and is released (and passed on if anyone waits)
    DEQUEUED  this id was queued and is removed
    NOTHING   nothing of this id and token was held or queued
    {status, message}  one of the above, when the lock was handed to a waiter: the message announced
                       to it, so a waiter in the releasing process starts at once (local hand-off)
]]
-- Fast path first, before the slow path's helpers are even defined: no queue.
--@include lock-fast
local done, holder = lock_give(KEYS[1], KEYS[2], ARGV[2])
if done then
  return done
end

-- Waiters may be queued.
--@include lock
local k = lock_keys()
local id, token = ARGV[1], ARGV[2]
local result = NOTHING
if holder and string.sub(holder, -#token - 1) == ':' .. token then
  result = RELEASED
else
  local rec = redis.call('HGET', k.I, id)
  if rec and string.sub(rec, 1, #token + 1) == token .. '|' then
    drop_waiter(k, id, redis.call('ZCARD', k.Q) == 1)
    result = DEQUEUED
  end
end
-- Hand the lock on when it is free (or was ours) and someone waits; with nobody left, free it (and
-- clear the waiters mark unless dead waiters may remain).
local served, handed
if result == RELEASED or is_free(holder) then
  local now, now_us = server_clock()
  served, handed = serve_head(k, holder, now, now_us, nil, result == RELEASED and id or nil)
  if served == 'none' and result == RELEASED then
    redis.call('SET', k.H, mark_if(handed) .. fence_of(holder) .. ':', 'KEEPTTL')
  end
end
if result == RELEASED and served ~= 'other' then
  -- If this lease began as a claim, the waiting processes no longer need to watch it.
  announce_claimed(k.C, id)
end
if served == 'other' then
  return { result, handed }
end
return result
