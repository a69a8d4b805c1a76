-- The expiry sweep's claim on one entry of its index: announces a session at most once.
-- KEYS[1] session hash, KEYS[2] its tombstone, KEYS[3] the account of the entry's user (or the session hash again)
-- ARGV[1] handle, ARGV[2] claim token, ARGV[3] now ms, ARGV[4] claim deadline ms, ARGV[5] tombstone TTL ms; optionally
-- KEYS[4] the user's audit trail, ARGV[6] the event it records when claimed, ARGV[7] its maximum length, ARGV[8] TTL ms
-- A session past its deadline (#e) stays in Redis a little longer than its deadline, unreadable (load.lua), so that
-- it can be claimed here: deleted, with a tombstone "expired|<token>|<claim deadline>" that the sweeper turns into
-- "expired" once it has announced it. Returns
--   {'claimed', fields...}  it expired and is claimed by this call (its fields, for the listeners)
--   {'reclaimed'}           an earlier claim lapsed unacknowledged (its sweeper died): claimed again, fields gone
--   {'live', deadline}      not expired yet (used since): the caller indexes it again at its deadline
--   {'busy', until}         another sweeper's claim runs until then: the caller indexes the entry again at that time
--   {'ended'}               nothing to announce: ended otherwise (sign-out, revocation), already announced, or claimed
--                           by this very sweep (an entry indexed twice)
local e = redis.call('HGET', KEYS[1], '#e')
if e then
  if (tonumber(e) or 0) > tonumber(ARGV[3]) then return {'live', e} end
  local fields = redis.call('HGETALL', KEYS[1])
  redis.call('DEL', KEYS[1])
  redis.call('SET', KEYS[2], 'expired|' .. ARGV[2] .. '|' .. ARGV[4], 'PX', ARGV[5])
  if KEYS[3] ~= KEYS[1] then redis.call('HDEL', KEYS[3], 's:' .. ARGV[1]) end
  if ARGV[6] and ARGV[6] ~= '' then
    redis.call('LPUSH', KEYS[4], ARGV[6])
    redis.call('LTRIM', KEYS[4], 0, tonumber(ARGV[7]) - 1)
    redis.call('PEXPIRE', KEYS[4], ARGV[8])
  end
  table.insert(fields, 1, 'claimed')
  return fields
end
local ttl = redis.call('PTTL', KEYS[1])
if ttl >= 0 then return {'live', tostring(tonumber(ARGV[3]) + ttl)} end
local t = redis.call('GET', KEYS[2])
if t and string.sub(t, 1, 8) == 'expired|' then
  local bar = string.find(t, '|', 9, true)
  if bar and string.sub(t, 9, bar - 1) == ARGV[2] then return {'ended'} end -- this sweeper's own claim: announced
  local claimedUntil = bar and tonumber(string.sub(t, bar + 1)) or 0
  if claimedUntil > tonumber(ARGV[3]) then return {'busy', tostring(claimedUntil)} end
  redis.call('SET', KEYS[2], 'expired|' .. ARGV[2] .. '|' .. ARGV[4], 'KEEPTTL')
  return {'reclaimed'}
end
return {'ended'}
