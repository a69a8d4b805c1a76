-- Deletes a user's account: the password and profile go at once; the session index stays, with a TTL, until the
-- caller has ended the sessions it lists. KEYS[1] the account hash; ARGV[1] TTL ms of what is left.
-- Returns 1 if the account existed.
if redis.call('HEXISTS', KEYS[1], 'pw') == 0 then return 0 end
redis.call('HDEL', KEYS[1], 'pw', 'pk', 'roles', 'created')
if redis.call('HLEN', KEYS[1]) > 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return 1
