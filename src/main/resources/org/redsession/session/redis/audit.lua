-- Records a failed sign-in in an account's audit trail, only if the account exists (a guessed name leaves nothing).
-- KEYS[1] the account hash, KEYS[2] the user's audit trail; ARGV[1] the event ('' = record nothing: trails are off),
-- ARGV[2] the trail's maximum length, ARGV[3] its TTL ms. Returns 1 if the account exists.
if redis.call('HEXISTS', KEYS[1], 'pw') == 0 then return 0 end
if ARGV[1] ~= '' then
  redis.call('LPUSH', KEYS[2], ARGV[1])
  redis.call('LTRIM', KEYS[2], 0, tonumber(ARGV[2]) - 1)
  redis.call('PEXPIRE', KEYS[2], ARGV[3])
end
return 1
