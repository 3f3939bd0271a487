--[[
  gate-queued-1.lua: counts the jobs of a key waiting in core's queue: a woken job whose reserved
  permit was not free, or a job waiting in its worker slot on its last allowed start (see
  maxStartedAttempts). While any do, a freed permit is not kept for a parked job: it is freed, and
  core's queue hands it to the waiter.

  KEYS[1] W queued jobs: STRING counter
  ARGV[1] change: 1 (starts waiting) or -1 (stopped)
  ARGV[2] ttl: ms the counter lives at least (a waiter that died stops counting by then)

  Returns: the count after the change
]]
local n = redis.call('INCRBY', KEYS[1], ARGV[1])
if n <= 0 then
  redis.call('DEL', KEYS[1])
  return 0
end
local ttl = tonumber(ARGV[2])
if redis.call('PTTL', KEYS[1]) < ttl then
  redis.call('PEXPIRE', KEYS[1], ttl)
end
return n
