-- Ends a session: deletes it, leaves a tombstone with the reason and removes it from its user's index.
-- KEYS[1] session hash, KEYS[2] its tombstone, KEYS[3] the user's account (holds the index; or the hash again when none)
-- ARGV[1] reason, ARGV[2] tombstone TTL ms, ARGV[3] handle in the index ('' = none), ARGV[4] '1' = only if the
-- session is still live (else nothing is written: an ended session keeps its tombstone and reason, and one past its
-- deadline is left to the expiry sweep), ARGV[5] now ms; optionally KEYS[4] the user's audit trail, ARGV[6] the event
-- it records when the session existed, ARGV[7] the trail's maximum length, ARGV[8] its TTL ms
if ARGV[4] == '1' then
  local e = redis.call('HGET', KEYS[1], '#e')
  if e and (tonumber(e) or 0) <= tonumber(ARGV[5]) then return 0 end
end
local existed = redis.call('DEL', KEYS[1])
if existed == 0 and ARGV[4] == '1' then return 0 end
redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[2])
if ARGV[3] ~= '' then redis.call('HDEL', KEYS[3], 's:' .. ARGV[3]) end
if existed == 1 and ARGV[6] and ARGV[6] ~= '' then
  redis.call('LPUSH', KEYS[4], ARGV[6])
  redis.call('LTRIM', KEYS[4], 0, tonumber(ARGV[7]) - 1)
  redis.call('PEXPIRE', KEYS[4], ARGV[8])
end
return existed
