-- Details of a user's indexed sessions; entries whose session is gone, expired or revoked leave the index.
-- KEYS[1] the user's account (holds the index), KEYS[2] revocation markers of the slot, then the session hashes
-- ARGV[1] user, ARGV[2] now ms, then the handles in KEYS order. Returns per live session: handle, #c, #a, #ip, #ua.
local marker = redis.call('HGET', KEYS[2], ARGV[1])
local notBefore = 0
if marker then notBefore = tonumber(string.sub(marker, 1, string.find(marker, '|', 1, true) - 1)) or 0 end
local now = tonumber(ARGV[2])
local out = {}
for j = 3, #KEYS do
  local handle = ARGV[j]
  local v = redis.call('HMGET', KEYS[j], '#c', '#a', '#ip', '#ua', '#l', '#e')
  if not v[1] or (tonumber(v[5]) or tonumber(v[1]) or 0) < notBefore or (v[6] and (tonumber(v[6]) or 0) <= now) then
    redis.call('HDEL', KEYS[1], 's:' .. handle)
  else
    out[#out + 1] = handle
    out[#out + 1] = v[1]
    out[#out + 1] = v[2] or v[1]
    out[#out + 1] = v[3] or ''
    out[#out + 1] = v[4] or ''
  end
end
return out
