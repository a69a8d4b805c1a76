-- Ends one session of a user, only if the handle is in that user's index.
-- KEYS[1] the user's session index, KEYS[2] session hash, KEYS[3] its tombstone
-- ARGV[1] handle, ARGV[2] reason, ARGV[3] tombstone TTL ms. Returns 1 if a live session of the user was ended.
if not redis.call('ZSCORE', KEYS[1], ARGV[1]) then return 0 end
redis.call('ZREM', KEYS[1], ARGV[1])
local existed = redis.call('DEL', KEYS[2])
if existed == 1 then redis.call('SET', KEYS[3], ARGV[2], 'PX', ARGV[3]) end
return existed
