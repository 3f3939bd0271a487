--[[
  lock-release-5.lua: gives up what this id and token have: the lock (then hands it to the oldest
  live waiter in the same script) or a place in the queue. A stranger's token changes nothing.
  A released lock keeps its last fence ("<fence>:") until the released lease's deadline.

  KEYS[1] H holder  KEYS[2] Q queue  KEYS[3] D alive  KEYS[4] I records  KEYS[5] C channel
  ARGV[1] id
  ARGV[2] token

  Returns:
    1  the lock was held by this token and is released (and passed on if anyone waits)
    2  this id was queued and is removed
    0  nothing of this id and token was held or queued
]]
-- Fast path first, before the slow path's helpers are even defined: our lock and no queue.
local holder = redis.call('GET', KEYS[1])
local released = 0
if holder and string.sub(holder, -#ARGV[2] - 1) == ':' .. ARGV[2] then
  redis.call('SET', KEYS[1], string.sub(holder, 1, -#ARGV[2] - 1), 'KEEPTTL')
  if redis.call('EXISTS', KEYS[2]) == 0 then
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
local current = redis.call('GET', H)
if redis.call('EXISTS', Q) == 1 and (not current or string.byte(current, -1) == 58) then
  local now, t = lock_time()
  purge_waiters(now, nil)
  serve_head(now, t, nil)
end
return result
