-- Adds to a shard's count of signed-in sessions. KEYS[1] the count; ARGV[1] delta, ARGV[2] TTL ms (the absolute
-- timeout plus a margin: when nothing changed for that long, every session it counted has ended, so "gone" is 0).
local n = redis.call('INCRBY', KEYS[1], ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return n
