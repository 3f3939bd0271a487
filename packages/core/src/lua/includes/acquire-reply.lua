--[[
  acquire-reply.lua: the one reply shape of lock-acquire and sem-acquire (included):

    { status, fence, ms, now, limit }
      status  GRANTED, QUEUED, BUSY, FULL, TOO_HEAVY or ID_CONFLICT (src/lua/codes.json)
      fence   the grant's fence; 0 unless GRANTED
      ms      GRANTED: ms left of the lease; QUEUED, BUSY: ms until the earliest holder deadline
              (-1 when unknown or none); else -1
      now     server epoch ms
      limit   TOO_HEAVY only: the limit in effect
]]

local function acquire_reply(status, fence, ms, now, limit)
  return { status, fence, ms, now, limit }
end

-- ms from `now` until `deadline` (server epoch ms), never below 0; -1 without a deadline.
local function ms_until(deadline, now)
  if not deadline or deadline < 0 then
    return -1
  end
  return math.max(0, deadline - now)
end
