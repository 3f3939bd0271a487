--[[
  expiry.lua: key expiry (included). Every key lives until GRACE_MS after the latest deadline it
  can hold, so no entry outlives its key.
]]

-- Arms every key in `keys` to expire GRACE_MS after `until_ms` (server epoch ms, a number).
local function expire_after(until_ms, keys)
  -- Digits once for all the keys (see fmt in clock.lua: a number argument costs Redis a float print).
  local at = string.format('%d', until_ms + GRACE_MS)
  for i = 1, #keys do
    redis.call('PEXPIREAT', keys[i], at)
  end
end
