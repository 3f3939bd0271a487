--[[
  quorum-sem-extend-1.lua: one node's part of extending a quorum semaphore permit: moves the
  deadline of every listed slot to now + ttl, only if this token holds all of them live. It never
  re-creates a slot that expired or was taken: that is a loss.

  KEYS[1] the semaphore's slot hash on this node (see quorum-sem-acquire-1.lua)
  ARGV[1] token
  ARGV[2] ttl, ms
  ARGV[3..] the permit's slot numbers

  Returns: EXTENDED, or NOT_HELD by this token on this node
]]
--@include clock
local now = server_clock()
local token = ARGV[1]
for i = 3, #ARGV do
  local v = redis.call('HGET', KEYS[1], ARGV[i])
  if not v then return NOT_HELD end
  local owner, deadline = string.match(v, '^(.*)|(%d+)$')
  if owner ~= token or tonumber(deadline) <= now then return NOT_HELD end
end
local value = token .. '|' .. fmt(now + tonumber(ARGV[2]))
for i = 3, #ARGV do redis.call('HSET', KEYS[1], ARGV[i], value) end
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[2]) then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return EXTENDED
