-- Creates a user if the name is free. KEYS[1] the account hash (a deleted account may linger without a password,
-- holding only its session index until that expires); KEYS[2] the user's audit trail (a deleted namesake's trail is
-- not handed to the new user); ARGV field/value pairs.
-- Returns 1 when created, 0 when the name is taken.
if redis.call('HEXISTS', KEYS[1], 'pw') == 1 then return 0 end
if KEYS[2] then redis.call('DEL', KEYS[2]) end
redis.call('HSET', KEYS[1], unpack(ARGV))
redis.call('PERSIST', KEYS[1])
return 1
