--[[
  stats-add-1.lua: adds one process's grant counts of one name to one minute's statistics hash (the
  GrantRecorder calls it about once a second per active name; never on the acquire path). One call
  per name and minute, whatever the number of fields.

  KEYS[1] S  HASH "<epoch second>:<wait bucket>" -> grants; 'l' -> the semaphore limit writers use;
             'p' -> its priority classes
  ARGV[1] ttl: the key's lifetime, ms, set when the key has none yet (a new key)
  ARGV[2] limit: the semaphore limit, or '' (locks)
  ARGV[3] priority classes: JSON of [value, name] pairs, or '' (none)
  ARGV[4..n] field, increment, field, increment, ...

  Returns: 1
]]
local S = KEYS[1]
for i = 4, #ARGV, 2 do
  redis.call('HINCRBY', S, ARGV[i], ARGV[i + 1])
end
if ARGV[2] ~= '' then
  redis.call('HSET', S, 'l', ARGV[2])
end
if ARGV[3] ~= '' then
  redis.call('HSET', S, 'p', ARGV[3])
end
if redis.call('PTTL', S) == -1 then
  redis.call('PEXPIRE', S, ARGV[1])
end
return 1
