--[[
  refresh.lua: the shared part of the batched heartbeat scripts (included). Expects D (heartbeat
  deadlines ZSET); ARGV[1] is the waiter TTL and ARGV[2..n] the waiter ids.
]]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local waiter_ttl = tonumber(ARGV[1])
local alive_until = now + waiter_ttl

-- Moves the heartbeat deadline of every listed waiter that is still queued and alive; returns the
-- ids that are not, and whether any was refreshed.
local function refresh_waiters()
  local ids = { unpack(ARGV, 2) }
  local scores = redis.call('ZMSCORE', D, unpack(ids))
  local refresh, missing = {}, {}
  for i = 1, #ids do
    if scores[i] and tonumber(scores[i]) > now then
      refresh[#refresh + 1] = alive_until
      refresh[#refresh + 1] = ids[i]
    else
      missing[#missing + 1] = ids[i]
    end
  end
  if #refresh > 0 then
    redis.call('ZADD', D, 'XX', unpack(refresh))
  end
  return missing, #refresh > 0
end
