--[[
  lock-release-6.lua: gives up what this id and token have: the lock (then hands it to the oldest
  live waiter in the same script) or a place in the queue. A stranger's token changes nothing.

  KEYS[1] H holder  KEYS[2] F fence  KEYS[3] Q queue  KEYS[4] D alive  KEYS[5] I records  KEYS[6] C channel
  ARGV[1] id
  ARGV[2] token

  Returns:
    1  the lock was held by this token and is released (and passed on if anyone waits)
    2  this id was queued and is removed
    0  nothing of this id and token was held or queued
]]
-- Fast path first, before the slow path's helpers are even defined: our lock and no queue.
local released = 0
if redis.call('GET', KEYS[1]) == ARGV[2] then
  redis.call('DEL', KEYS[1])
  if redis.call('EXISTS', KEYS[3]) == 0 then
    return 1
  end
  released = 1
end

--@include lock

local id, token = ARGV[1], ARGV[2]
local result = released
if result == 0 then
  local rec = redis.call('HGET', I, id)
  if rec and string.sub(rec, 1, #token + 1) == token .. '|' then
    drop_waiter(id)
    result = 2
  end
end
-- Hand the lock on when it is free and someone waits (also after an expiry nobody released).
if redis.call('EXISTS', Q) == 1 and redis.call('EXISTS', H) == 0 then
  local now, now_us = server_time()
  purge_waiters(now, nil)
  serve_head(now, now_us, nil)
end
return result
