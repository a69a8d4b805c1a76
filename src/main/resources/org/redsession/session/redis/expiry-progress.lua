-- The sweep of one shard records its progress, only while it holds the shard's lease.
-- KEYS[1] lease, KEYS[2] the bucket's list, KEYS[3] the shard's next bucket
-- ARGV[1] lease token, ARGV[2] entries to drop from the head of the list, ARGV[3] next bucket ('' = unchanged),
-- ARGV[4] TTL ms of the next-bucket record, ARGV[5] lease TTL ms. Returns 0 if the lease was lost (nothing written).
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
if tonumber(ARGV[2]) > 0 then redis.call('LTRIM', KEYS[2], ARGV[2], -1) end
if ARGV[3] ~= '' then redis.call('SET', KEYS[3], ARGV[3], 'PX', ARGV[4]) end
redis.call('PEXPIRE', KEYS[1], ARGV[5])
return 1
