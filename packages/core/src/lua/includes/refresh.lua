--[[
  refresh.lua: the shared part of the batched heartbeat scripts (included).
]]
--@include clock

-- Moves the heartbeat deadline (in D) of every waiter in `ids` that is still queued and alive at
-- `now` to `alive_until`; returns the ids that are not, and whether any was refreshed.
local function refresh_waiters(D, ids, now, alive_until)
  local scores = redis.call('ZMSCORE', D, unpack(ids))
  local refresh, missing = {}, {}
  -- Digits once, not a number per waiter (see fmt in clock.lua).
  local alive_digits = fmt(alive_until)
  for i = 1, #ids do
    if scores[i] and tonumber(scores[i]) > now then
      refresh[#refresh + 1] = alive_digits
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
