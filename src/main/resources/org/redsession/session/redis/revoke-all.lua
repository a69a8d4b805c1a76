-- Marks every session of a user signed in before ARGV[2] as revoked (one write, correct even for sessions the index
-- missed) and returns the indexed handles so they can be deleted.
-- KEYS[1] revocation markers of the user's slot, KEYS[2] the user's account (holds the index)
-- ARGV[1] user, ARGV[2] "<not-before ms>|<reason>", ARGV[3] marker TTL ms (the absolute session timeout); optionally
-- KEYS[3] the user's audit trail, ARGV[4] the event it records, ARGV[5] the trail's maximum length, ARGV[6] its TTL ms
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
if ARGV[4] and ARGV[4] ~= '' then
  redis.call('LPUSH', KEYS[3], ARGV[4])
  redis.call('LTRIM', KEYS[3], 0, tonumber(ARGV[5]) - 1)
  redis.call('PEXPIRE', KEYS[3], ARGV[6])
end
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[3]) then redis.call('PEXPIRE', KEYS[1], ARGV[3]) end
local all = redis.call('HKEYS', KEYS[2])
local out = {}
for _, f in ipairs(all) do
  if string.sub(f, 1, 2) == 's:' then out[#out + 1] = string.sub(f, 3) end
end
return out
