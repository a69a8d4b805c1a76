-- Deletes a user. KEYS[1] user hash, KEYS[2] set of all user names; ARGV[1] user name. Returns 1 if it existed.
redis.call('SREM', KEYS[2], ARGV[1])
return redis.call('DEL', KEYS[1])
