--[[
  quorum-sem-release-1.lua: one node's part of releasing a quorum semaphore permit: deletes the
  listed slots this token holds (a stranger's token changes nothing).

  KEYS[1] the semaphore's slot hash on this node (see quorum-sem-acquire-1.lua)
  ARGV[1] token
  ARGV[2..] the permit's slot numbers

  Returns: RELEASED if this token held a live slot here, else NOTHING
]]
--@include clock
local now = server_clock()
local live = NOTHING
for i = 2, #ARGV do
  local v = redis.call('HGET', KEYS[1], ARGV[i])
  if v then
    local owner, deadline = string.match(v, '^(.*)|(%d+)$')
    if owner == ARGV[1] then
      redis.call('HDEL', KEYS[1], ARGV[i])
      if tonumber(deadline) > now then live = RELEASED end
    end
  end
end
return live
