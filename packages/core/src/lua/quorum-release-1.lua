--[[
  quorum-release-1.lua: one node's part of releasing a quorum lock: compare-and-delete.

  KEYS[1] the lock key on this node
  ARGV[1] token

  Returns: RELEASED (deleted), or NOTHING held by this token on this node
]]
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1])
  return RELEASED
end
return NOTHING
