-- Replaces a user's password hash if the user exists and, when ARGV[3] is given, still has the expected hash.
-- KEYS[1] account hash; ARGV[1] and ARGV[2] the two parts of the new hash (see RedisUserRepository); optionally ARGV[3]
-- and ARGV[4] the two parts of the hash it must still have (a password change checked the current password against
-- it: of two concurrent changes from the same old password, only one wins).
-- Returns 1 if updated, 0 if there is no such user, 2 if the hash was no longer the expected one (nothing written).
if redis.call('HEXISTS', KEYS[1], 'pw') == 0 then return 0 end
if ARGV[3] and ARGV[3] ~= '' then
  if redis.call('HGET', KEYS[1], 'pw') ~= ARGV[3] or (redis.call('HGET', KEYS[1], 'pk') or '') ~= ARGV[4] then
    return 2
  end
end
redis.call('HSET', KEYS[1], 'pw', ARGV[1], 'pk', ARGV[2])
return 1
