-- Replaces a user's password hash if the user exists and, when ARGV[3] is given, still has the expected hash.
-- KEYS[1] account hash; ARGV[1] and ARGV[2] the two parts of the new hash (see RedisUserRepository); optionally ARGV[3]
-- and ARGV[4] the two parts of the hash it must still have (a password change checked the current password against
-- it: of two concurrent changes from the same old password, only one wins).
-- Returns 1 if updated, 0 if there is no such user, 2 if the hash was no longer the expected one (nothing written).
local current = redis.call('HMGET', KEYS[1], 'pw', 'pk')
if not current[1] then return 0 end
if ARGV[3] and ARGV[3] ~= '' and (current[1] ~= ARGV[3] or (current[2] or '') ~= ARGV[4]) then return 2 end
redis.call('HSET', KEYS[1], 'pw', ARGV[1], 'pk', ARGV[2])
return 1
