-- Ends one session of a user, only if the handle is in that user's index.
-- KEYS[1] the user's account (holds the index), KEYS[2] session hash, KEYS[3] its tombstone, KEYS[4] the user's audit
-- trail (always passed: it is in the user's slot, and an unused declared key costs nothing)
-- ARGV[1] handle, ARGV[2] reason, ARGV[3] tombstone TTL ms; optionally (when the trail is on) ARGV[4] the event it
-- records when a session ended, ARGV[5] the trail's maximum length, ARGV[6] its TTL ms.
-- Returns 1 if a live session of the user was ended.
if redis.call('HDEL', KEYS[1], 's:' .. ARGV[1]) == 0 then return 0 end
local existed = redis.call('DEL', KEYS[2])
if existed == 1 then
  redis.call('SET', KEYS[3], ARGV[2], 'PX', ARGV[3])
  if ARGV[4] and ARGV[4] ~= '' then
    redis.call('LPUSH', KEYS[4], ARGV[4])
    redis.call('LTRIM', KEYS[4], 0, tonumber(ARGV[5]) - 1)
    redis.call('PEXPIRE', KEYS[4], ARGV[6])
  end
end
return existed
