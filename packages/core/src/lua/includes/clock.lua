--[[
  clock.lua: the server's clock, and integers as decimal strings (included). Lua prints numbers
  past 14 digits in exponent form, so fences (server us, 16 digits) travel as strings; tonumber
  and string.format cost more than a Redis call, so the hot paths avoid them.
]]

-- The server time from one TIME call: epoch ms and epoch us (exact: below 2^53), as numbers.
local function server_clock()
  local t = redis.call('TIME')
  local s, us = tonumber(t[1]), tonumber(t[2])
  return s * 1000 + math.floor(us / 1000), s * 1000000 + us
end

-- The server time from one TIME call as epoch us, in decimal digits (the microseconds padded to
-- six digits; they have six already nine times in ten, and then no padding string is made).
local function server_us()
  local t = redis.call('TIME')
  local us = t[2]
  if #us == 6 then
    return t[1] .. us
  end
  return t[1] .. string.rep('0', 6 - #us) .. us
end

-- An integer as decimal digits (exact below 2^63). Pass numbers to redis.call through this: Redis
-- prints a Lua number argument with "%.17g", glibc's float printer, at several times the cost of
-- this integer "%d" (callgrind: about 1.8k instructions saved per 13-digit argument).
local function fmt(n)
  return string.format('%d', n)
end

-- One more than `digits`, a decimal integer string these scripts wrote (nil if it is not a number).
-- It formats without fmt: a function a script reaches is defined anew on every call (succ is on
-- the fast paths, fmt is not).
local function succ(digits)
  local last = string.byte(digits, -1)
  if last and last >= 48 and last < 57 then
    return string.sub(digits, 1, -2) .. string.char(last + 1)
  end
  local n = tonumber(digits)
  return n and string.format('%d', n + 1)
end

-- True when decimal strings `a` >= `b` (no leading zeros).
local function digits_ge(a, b)
  return #a > #b or (#a == #b and a >= b)
end
