--[[
  expiry.lua: key expiry (included). Every key lives until GRACE_MS after the latest deadline it
  can hold, so no entry outlives its key.
]]
--@include clock

-- Arms every key in `keys` to expire GRACE_MS after `until_ms` (server epoch ms).
local function expire_after(until_ms, keys)
  local at = fmt(until_ms + GRACE_MS)
  for i = 1, #keys do
    redis.call('PEXPIREAT', keys[i], at)
  end
end
