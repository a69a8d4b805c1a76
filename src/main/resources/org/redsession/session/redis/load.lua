-- Loads a session in one round trip: its fields, or the reason it ended.
-- KEYS[1] session hash, KEYS[2] its tombstone
local h = redis.call('HGETALL', KEYS[1])
if #h > 0 then return h end
local reason = redis.call('GET', KEYS[2])
if reason then return {'#gone', reason} end
return {}
