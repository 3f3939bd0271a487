--[[
  sem-fast.lua: the uncontended paths of a semaphore (included): grant permits that fit while
  nobody waits, release a holder's permits while nobody waits. Keys and fields as in
  semaphore.lua; these change M, H and their expiry as its make_holder and save do. Whether
  anyone waits comes from the waiters mark M.q in the HMGET they make anyway (see semaphore.lua).
]]
--@include clock
--@include expiry

-- Grants `weight` permits to a new request `id` (owner `token`) for `ttl` ms when they fit the
-- limit (M.l, else `limit`) and nobody waits; `weight_digits` is the weight as the client sent it
-- (decimal digits). Returns the fence (decimal digits), or nil when the full script must decide:
-- the id has a record (a retry or a claim), the permits do not fit (expired holders may need
-- purging) or waiters may be queued. For a `try` that does not fit, nil and 'busy' when every
-- holder is alive (nothing to purge) and the weight is within the limit: the full script would
-- answer busy too.
local function sem_take(M, H, id, token, weight_digits, limit, ttl, try)
  local weight = tonumber(weight_digits)
  local v = redis.call('HMGET', M, 'u', 'l', 'f', 'x', 'q', id)
  local used = tonumber(v[1]) or 0
  if v[6] or v[5] == '1' then
    return nil
  end
  local in_effect = tonumber(v[2]) or limit
  if weight > in_effect - used then
    if try and weight <= in_effect then
      local earliest = redis.call('ZRANGE', H, '0', '0', 'WITHSCORES')[2]
      if earliest and tonumber(earliest) > tonumber(string.sub(server_us(), 1, -4)) then
        return nil, 'busy'
      end
    end
    return nil
  end
  -- `used` drifts only if the holders key vanished behind our back (eviction, DEL): heal it.
  if used > 0 and redis.call('EXISTS', H) == 0 then
    used = 0
  end
  local now_us = server_us()
  -- Server ms as digits: numbers cost a conversion each time they become a string (in a
  -- concatenation or a Redis argument), about as much as a Redis call, so the record and the
  -- counter are written from the digits the client and the clock gave.
  local now_ms = string.sub(now_us, 1, -4)
  -- Above the last fence (M.f) and never below the clock, as make_holder does.
  local fence = now_us
  if v[3] and digits_ge(v[3], now_us) then
    fence = succ(v[3])
  end
  local deadline = tonumber(now_ms) + ttl
  local x = tonumber(v[4]) or 0
  local record = 'h|' .. token .. '|' .. weight_digits .. '|' .. fence .. '|' .. now_ms
  -- The new count: the weight's own digits when nothing else is held. Numbers go to Redis as
  -- digits made here (string.format's "%d", as fmt in clock.lua does, without defining fmt).
  local count = used == 0 and weight_digits or string.format('%d', used + weight)
  redis.call('ZADD', H, string.format('%d', deadline), id)
  if deadline > x then
    -- Past the armed time (or a new M): move it one lease further and re-arm (Q and D do not exist).
    x = deadline + ttl
    redis.call('HSET', M, 'u', count, 'f', fence, 'x', string.format('%d', x), id, record)
    expire_after(x, { M, H })
  else
    redis.call('HSET', M, 'u', count, 'f', fence, id, record)
    if used == 0 then
      -- H was empty, so the ZADD created it.
      expire_after(x, { H })
    end
  end
  return fence
end

-- Releases the permits `id` holds with `token` when nobody waits. Returns RELEASED or NOTHING, or
-- nil when the full script must decide (waiters may be queued, or `id` is not this token's holder).
local function sem_give(M, H, id, token)
  local v = redis.call('HMGET', M, 'u', 'q', id)
  local mine = v[3]
  if not mine or v[2] == '1' or string.sub(mine, 1, #token + 3) ~= 'h|' .. token .. '|' then
    return nil
  end
  if redis.call('ZREM', H, id) == 0 then
    redis.call('HDEL', M, id)
    return NOTHING
  end
  -- The record's weight: the digits after "h|<token>|" (compared as digits first, see sem_take).
  local from = #token + 4
  local weight = string.sub(mine, from, string.find(mine, '|', from, true) - 1)
  if v[1] == weight or not v[1] then
    -- No weight left in use: no 'u' means 0, so one call drops the record and the counter.
    redis.call('HDEL', M, id, 'u')
    return RELEASED
  end
  local used = tonumber(v[1]) - tonumber(weight)
  if used > 0 then
    redis.call('HDEL', M, id)
    redis.call('HSET', M, 'u', string.format('%d', used))
  else
    redis.call('HDEL', M, id, 'u')
  end
  return RELEASED
end
