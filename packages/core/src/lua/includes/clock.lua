--[[
  clock.lua: the server's clock and how numbers are written (included).
]]

-- The server time from one TIME call: epoch ms and epoch us (exact: below 2^53).
local function server_clock()
  local t = redis.call('TIME')
  local s, us = tonumber(t[1]), tonumber(t[2])
  return s * 1000 + math.floor(us / 1000), s * 1000000 + us
end

-- An integer as decimal digits (Lua prints numbers past 14 digits in exponent form).
local function fmt(n)
  return string.format('%.0f', n)
end
