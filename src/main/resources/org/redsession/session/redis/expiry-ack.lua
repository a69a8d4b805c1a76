-- Acknowledges an announced expiry: the tombstone, if it still holds this sweeper's claim, becomes "expired".
-- KEYS[1] the tombstone; ARGV[1] claim token.
local t = redis.call('GET', KEYS[1])
local prefix = 'expired|' .. ARGV[1] .. '|'
if t and string.sub(t, 1, #prefix) == prefix then redis.call('SET', KEYS[1], 'expired', 'KEEPTTL') return 1 end
return 0
