-- Ends a session: deletes it and leaves a tombstone with the reason.
-- KEYS[1] session hash, KEYS[2] its tombstone; ARGV[1] reason, ARGV[2] tombstone TTL ms
local existed = redis.call('DEL', KEYS[1])
redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[2])
return existed
