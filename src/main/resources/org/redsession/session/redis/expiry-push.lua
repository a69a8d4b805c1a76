-- Indexes a session under the bucket of its deadline, and counts a new signed-in session, in one call.
-- KEYS[1] the bucket's list, KEYS[2] the count of signed-in sessions of the same shard
-- ARGV[1] the entry ("<tag><hash><user>"), ARGV[2] TTL ms of the list (until the bucket's sessions can no longer be
-- announced), ARGV[3] delta of the count ('0' = none), ARGV[4] TTL ms of the count.
redis.call('RPUSH', KEYS[1], ARGV[1])
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[2]) then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
if ARGV[3] ~= '0' then
  redis.call('INCRBY', KEYS[2], ARGV[3])
  redis.call('PEXPIRE', KEYS[2], ARGV[4])
end
return 1
