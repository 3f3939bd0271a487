--[[
  lock-force-release-5.lua: an operator's force release. Takes the lock from its holder whoever it
  is (all holders, or only the one with this fence), then hands it to the oldest live waiter exactly
  as lock-release does. The holder is not told: its next extension finds another token (or a free
  lock) and reports ERR_LEASE_LOST. Atomic, so a grant racing it is either the one removed (its fence
  matched) or left alone.

  KEYS[1] H holder  KEYS[2] Q queue  KEYS[3] D alive  KEYS[4] I records  KEYS[5] C channel
  (C is the name's channel: grants go to per-instance channels derived from it, see
  includes/waiters.lua; "id|k" and "|r" go to C itself)
  ARGV[1] fence: remove the holder only if its fence is this (decimal, no leading zeros); '' for any

  Returns:
    1  a holder was removed (and the lock passed on if anyone waits)
    0  the lock was free, or held under another fence
]]
local holder = redis.call('GET', KEYS[1])
if not holder or string.byte(holder, -1) == 58 then
  return 0
end
local fence = string.match(holder, '^w?(%d+):')
if ARGV[1] ~= '' and fence ~= ARGV[1] then
  return 0
end
--@include lock
local k = lock_keys()

-- Free it first, keeping the fence, the waiters mark (includes/lock-fast.lua) and the released
-- lease's TTL, as lock-release does.
holder = mark_if(marked(holder)) .. fence .. ':'
redis.call('SET', k.H, holder, 'KEEPTTL')
if redis.call('EXISTS', k.Q) == 1 then
  local now, now_us = server_clock()
  local served, remain = serve_head(k, holder, now, now_us, nil)
  if served == 'none' and remain and not marked(holder) then
    -- Waiters outlasted the scan: the free lock keeps the mark, so it goes to none but them.
    redis.call('SET', k.H, 'w' .. holder, 'KEEPTTL')
  end
end
return 1
