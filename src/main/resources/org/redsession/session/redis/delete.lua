-- Ends a session: deletes it, leaves a tombstone with the reason and removes it from its user's index.
-- KEYS[1] session hash, KEYS[2] its tombstone, KEYS[3] the user's session index (or the hash again when none)
-- ARGV[1] reason, ARGV[2] tombstone TTL ms, ARGV[3] handle in the index ('' = none)
local existed = redis.call('DEL', KEYS[1])
redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[2])
if ARGV[3] ~= '' then redis.call('ZREM', KEYS[3], ARGV[3]) end
return existed
