-- Counts a failed sign-in for the account and the client; each count lives for the window from its first failure.
-- KEYS[1] failures of the account, KEYS[2] failures of the client; ARGV[1] window ms
for _, key in ipairs(KEYS) do
  if redis.call('INCR', key) == 1 or redis.call('PTTL', key) < 0 then redis.call('PEXPIRE', key, ARGV[1]) end
end
return 1
