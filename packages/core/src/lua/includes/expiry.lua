--[[
  expiry.lua: key expiry (included). Every key lives until GRACE_MS after the latest deadline it
  can hold, so no entry outlives its key.
]]

-- Arms every key in `keys` to expire GRACE_MS after `until_ms` (server epoch ms; a number, which
-- Redis receives in full: only Lua's own tostring shortens numbers past 14 digits).
local function expire_after(until_ms, keys)
  local at = until_ms + GRACE_MS
  for i = 1, #keys do
    redis.call('PEXPIREAT', keys[i], at)
  end
end
