--[[
  quorum-extend-1.lua: one node's part of extending a quorum lock. Never re-creates the key.

  KEYS[1] the lock key on this node
  ARGV[1] token
  ARGV[2] ttl, ms

  Returns: EXTENDED, or NOT_HELD by this token on this node
]]
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return EXTENDED
end
return NOT_HELD
