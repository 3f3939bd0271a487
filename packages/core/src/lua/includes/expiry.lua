--[[
  expiry.lua: key expiry (included). Every key lives until GRACE_MS after the latest deadline it
  can hold, so no entry outlives its key.
]]

-- Arms every key in `keys` to expire GRACE_MS after `until_ms` (server epoch ms; a number, which
-- Redis receives in full: only Lua's own tostring shortens numbers past 14 digits).
local function expire_after(until_ms, keys)
  local at = until_ms + GRACE_MS
  if #keys > 1 then
    -- One conversion to digits for all the keys, not one per call (each costs about a call).
    at = string.format('%.0f', at)
  end
  for i = 1, #keys do
    redis.call('PEXPIREAT', keys[i], at)
  end
end
