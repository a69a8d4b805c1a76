-- Replaces a user's password hash if the user exists. KEYS[1] account hash; ARGV[1] and ARGV[2] the two parts of the
-- new hash (see RedisUserRepository). Returns 1 if updated.
if redis.call('HEXISTS', KEYS[1], 'pw') == 0 then return 0 end
redis.call('HSET', KEYS[1], 'pw', ARGV[1], 'pk', ARGV[2])
return 1
