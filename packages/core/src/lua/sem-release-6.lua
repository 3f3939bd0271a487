--[[
  sem-release-6.lua: gives up what this id and token have: held permits (then serves the queue
  heads that fit, in order, in the same script) or a place in the queue. A stranger's token
  changes nothing.

  KEYS[1] M meta  KEYS[2] H holders  KEYS[3] Q queue  KEYS[4] D alive  KEYS[5] I records  KEYS[6] C channel
  ARGV[1] id
  ARGV[2] token
  ARGV[3] limit: configured limit (M.l wins)

  Returns:
    1  live permits of this token were released (and passed on)
    2  this id was queued and is removed
    0  nothing of this id and token was held or queued
]]
--@include semaphore

local id, token = ARGV[1], ARGV[2]
local now, now_us = server_time()
local held = load_state(now, tonumber(ARGV[3]), id)
local result = 0
if held then
  local htoken, hweight = string.match(held, '^([^|]*)|(%d+)|')
  if htoken == token then
    redis.call('HDEL', M, id)
    if redis.call('ZREM', H, id) == 1 then
      st.used = math.max(0, st.used - tonumber(hweight))
      st.dirty = true
      result = 1
    end
  end
end

if redis.call('EXISTS', Q) == 1 then
  if result == 0 then
    local rec = redis.call('HGET', I, id)
    if rec and string.sub(rec, 1, #token + 1) == token .. '|' then
      drop_waiter(id)
      result = 2
    end
  end
  purge_waiters(now, nil)
  grant_heads(now, now_us, nil)
end
save_state()
return result
