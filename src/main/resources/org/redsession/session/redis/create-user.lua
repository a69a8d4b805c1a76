-- Creates a user if the name is free. KEYS[1] user hash, KEYS[2] set of all user names
-- ARGV[1] user name, then field/value pairs. Returns 1 when created, 0 when the name is taken.
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV, 2))
redis.call('SADD', KEYS[2], ARGV[1])
return 1
