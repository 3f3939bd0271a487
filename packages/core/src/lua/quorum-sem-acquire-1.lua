--[[
  quorum-sem-acquire-1.lua: one node's part of a quorum semaphore acquisition. The semaphore is
  `limit` numbered slots; a permit of weight w is w slots, and a slot counts as taken when a
  majority of nodes granted it to the same token (each slot is then a quorum lock, so at most
  `limit` slots are held at once). All requested slots or none, on this node. Idempotent per
  token: slots this token already holds count as granted (ioredis may re-send after a reconnect).

  KEYS[1] the semaphore's slot hash on this node: field slot -> "token|deadline" (server ms)
  ARGV[1] token
  ARGV[2] ttl, ms
  ARGV[3..] slot numbers wanted

  Returns: {GRANTED, taken...}; {TAKEN, taken...} some wanted slot is held by another token.
  `taken` lists the slots other tokens hold live on this node (expired ones are purged), so the
  client can pick free slots for its next attempt.
]]
--@include clock
local now = server_clock()
local token = ARGV[1]
local ttl = tonumber(ARGV[2])
local held = {}
local taken = {}
local all = redis.call('HGETALL', KEYS[1])
for i = 1, #all, 2 do
  local owner, deadline = string.match(all[i + 1], '^(.*)|(%d+)$')
  if not deadline or tonumber(deadline) <= now then
    redis.call('HDEL', KEYS[1], all[i])
  else
    held[all[i]] = owner
    if owner ~= token then taken[#taken + 1] = tonumber(all[i]) end
  end
end
local ok = GRANTED
for i = 3, #ARGV do
  local owner = held[ARGV[i]]
  if owner and owner ~= token then ok = TAKEN end
end
if ok == GRANTED then
  local value = token .. '|' .. fmt(now + ttl)
  for i = 3, #ARGV do redis.call('HSET', KEYS[1], ARGV[i], value) end
  if redis.call('PTTL', KEYS[1]) < ttl then redis.call('PEXPIRE', KEYS[1], ttl) end
end
return { ok, unpack(taken) }
