-- The live entries of a user's session index: drops entries whose idle deadline passed, returns the handles.
-- KEYS[1] the user's session index; ARGV[1] now ms
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
return redis.call('ZRANGE', KEYS[1], 0, -1)
