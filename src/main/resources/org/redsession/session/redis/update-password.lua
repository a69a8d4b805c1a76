-- Replaces a user's password hash if the user exists. KEYS[1] user hash; ARGV[1] new hash. Returns 1 if updated.
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], 'pw', ARGV[1])
return 1
