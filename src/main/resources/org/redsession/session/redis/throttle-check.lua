-- Is signing in blocked? KEYS[1] failures of the account, KEYS[2] failures of the client
-- ARGV[1] limit per account, ARGV[2] limit per client.
-- Returns {ms to wait (0 = allowed), failures of the account on record} (the second spares a successful sign-in
-- the DEL of a counter that does not exist).
local account = tonumber(redis.call('GET', KEYS[1])) or 0
local wait = 0
if account >= tonumber(ARGV[1]) then wait = redis.call('PTTL', KEYS[1]) end
if (tonumber(redis.call('GET', KEYS[2])) or 0) >= tonumber(ARGV[2]) then wait = math.max(wait, redis.call('PTTL', KEYS[2])) end
return {wait, account}
