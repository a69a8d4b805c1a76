-- Loads a session in one round trip: its fields, or the reason it ended.
-- KEYS[1] session hash, KEYS[2] its tombstone, KEYS[3] revocation markers of the session's slot (hash user -> "ms|reason")
-- A signed-in session whose user was revoked after its sign-in (#l < marker) is reported gone with the marker's reason.
local h = redis.call('HGETALL', KEYS[1])
if #h > 0 then
  local user, login = nil, 0
  for i = 1, #h, 2 do
    if h[i] == '#u' then user = h[i + 1] elseif h[i] == '#l' then login = tonumber(h[i + 1]) or 0 end
  end
  if user then
    local marker = redis.call('HGET', KEYS[3], user)
    if marker then
      local bar = string.find(marker, '|', 1, true)
      if login < (tonumber(string.sub(marker, 1, bar - 1)) or 0) then return {'#gone', string.sub(marker, bar + 1)} end
    end
  end
  return h
end
local reason = redis.call('GET', KEYS[2])
if reason then return {'#gone', reason} end
return {}
