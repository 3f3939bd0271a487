--[[
  sem-acquire-fast-2.lua: the first attempt of an acquisition: grants the permits when they fit and
  nobody waits, else changes nothing. Two keys, six arguments and a scalar reply, so the
  uncontended case costs Redis little; else the client runs sem-acquire-5, which does the rest.

  KEYS[1] M meta  KEYS[2] H holders (see includes/semaphore.lua; M.q says whether anyone waits)
  ARGV[1] id: public request id
  ARGV[2] token: secret owner token
  ARGV[3] weight: permits wanted, integer >= 1
  ARGV[4] limit: configured limit (M.l wins)
  ARGV[5] ttl: lease length, ms
  ARGV[6] mode: '0' try, '1' wait (absent: wait)

  Returns:
    "<fence>"   granted: the permits are ours for ttl ms (a string: fences have 16 digits)
    BUSY        a try that cannot be granted: the permits are held by live holders and nobody
                waits (sem-acquire would answer busy too)
    CONTENDED   run sem-acquire
]]
--@include sem-fast
local fence, why = sem_take(KEYS[1], KEYS[2], ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4]), tonumber(ARGV[5]),
  ARGV[6] == '0')
if fence then
  return fence
end
return why == 'busy' and BUSY or CONTENDED
