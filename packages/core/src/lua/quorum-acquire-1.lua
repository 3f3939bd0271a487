--[[
  quorum-acquire-1.lua: one node's part of a quorum (Redlock) acquisition. Idempotent per token:
  finding our own token again counts as granted (ioredis may re-send after a reconnect).

  KEYS[1] the lock key on this node
  ARGV[1] token
  ARGV[2] ttl, ms

  Returns: {GRANTED, pttl} (pttl: ms left on this node), {TAKEN, pttl} held by another token
]]
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  return { GRANTED, tonumber(ARGV[2]) }
end
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return { GRANTED, redis.call('PTTL', KEYS[1]) }
end
return { TAKEN, redis.call('PTTL', KEYS[1]) }
