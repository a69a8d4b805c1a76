-- Deletes sessions of one user (all in the user's slot) and leaves tombstones.
-- KEYS[1] the user's account (holds the index), then for each session: its hash, its tombstone
-- ARGV[1] reason, ARGV[2] tombstone TTL ms, then the handles in KEYS order. Returns the number deleted.
local deleted = 0
for j = 2, #KEYS, 2 do
  deleted = deleted + redis.call('DEL', KEYS[j])
  redis.call('SET', KEYS[j + 1], ARGV[1], 'PX', ARGV[2])
  redis.call('HDEL', KEYS[1], 's:' .. ARGV[2 + j / 2])
end
return deleted
