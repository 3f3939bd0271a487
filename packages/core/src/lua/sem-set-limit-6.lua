--[[
  sem-set-limit-6.lua: changes a semaphore's limit for every process while its keys live, then
  serves the queue heads that fit the new limit.

  KEYS[1] M meta  KEYS[2] H holders  KEYS[3] Q queue  KEYS[4] D alive  KEYS[5] I records  KEYS[6] C channel
  ARGV[1] new limit, integer >= 1

  Returns: the limit stored before, or -1 if none was stored
]]
--@include semaphore

local now, now_us = server_time()
local previous = tonumber(redis.call('HGET', M, 'l')) or -1
load_state(now, tonumber(ARGV[1]), nil)
st.limit = tonumber(ARGV[1])
st.writes = { 'l', ARGV[1] }
if redis.call('EXISTS', Q) == 1 then
  purge_waiters(now, nil)
  grant_heads(now, now_us, nil)
end
save_state()
return previous
