--[[
  lock-release-5.lua: gives up what this id and token have: the lock (then hands it to the oldest
  live waiter in the same script) or a place in the queue. A stranger's token changes nothing.
  A released lock keeps its last fence ("<fence>:") until the released lease's deadline.

  KEYS[1] H holder  KEYS[2] Q queue  KEYS[3] D alive  KEYS[4] I records  KEYS[5] C channel
  ARGV[1] id
  ARGV[2] token

  With waiters queued, a release also announces "id|k" (see lock-acquire: the claim of this id, if
  it was one, is settled).

  Returns:
    1  the lock was held by this token and is released (and passed on if anyone waits)
    2  this id was queued and is removed
    0  nothing of this id and token was held or queued
]]
-- Fast path first, before the slow path's helpers are even defined: our lock and no queue.
local holder = redis.call('GET', KEYS[1])
local queued = redis.call('EXISTS', KEYS[2]) == 1
local result = 0
if holder and string.sub(holder, -#ARGV[2] - 1) == ':' .. ARGV[2] then
  result = 1
  if not queued then
    redis.call('SET', KEYS[1], string.sub(holder, 1, -#ARGV[2] - 1), 'KEEPTTL')
    return 1
  end
elseif not queued then
  return 0
end

local H, Q, D, I, C = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
--@include lock

local id, token = ARGV[1], ARGV[2]
if result == 0 then
  local rec = redis.call('HGET', I, id)
  if rec and string.sub(rec, 1, #token + 1) == token .. '|' then
    drop_waiter(id, redis.call('ZCARD', Q) == 1)
    result = 2
  end
end
-- Hand the lock on when it is free (or was ours) and someone waits; with nobody left, free it.
if result == 1 or is_free(holder) then
  if serve_head(nil) == 'none' and result == 1 then
    redis.call('SET', H, string.sub(holder, 1, -#token - 1), 'KEEPTTL')
  end
end
if result == 1 then
  -- If this lease began as a claim, the waiting processes no longer need to watch it.
  announce_claimed(id)
end
return result
