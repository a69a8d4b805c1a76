-- Loads a session in one round trip: its fields, or the reason it ended.
-- KEYS[1] session hash, KEYS[2] its tombstone, KEYS[3] revocation markers of the session's slot (hash user -> "ms|reason")
-- ARGV[1] now ms.
-- A session past its deadline (#e; it stays a little longer so the expiry sweep can announce it) is reported expired.
-- A signed-in session whose user was revoked after its sign-in (#l, else #c, < marker) is reported gone with the
-- marker's reason. A session with no readable sign-in or creation time is returned as stored: the application ends
-- it as damaged (reason "invalid"), whatever the markers say.
local h = redis.call('HGETALL', KEYS[1])
if #h > 0 then
  local user, login, created = nil, nil, nil
  for i = 1, #h, 2 do
    local f = h[i]
    if f == '#u' then user = h[i + 1]
    elseif f == '#l' then login = tonumber(h[i + 1])
    elseif f == '#c' then created = tonumber(h[i + 1])
    elseif f == '#e' and (tonumber(h[i + 1]) or 0) <= tonumber(ARGV[1]) then return {'#gone', 'expired'} end
  end
  local since = login or created
  if user and since then
    local marker = redis.call('HGET', KEYS[3], user)
    if marker then
      local bar = string.find(marker, '|', 1, true)
      if since < (tonumber(string.sub(marker, 1, bar - 1)) or 0) then return {'#gone', string.sub(marker, bar + 1)} end
    end
  end
  return h
end
local reason = redis.call('GET', KEYS[2])
if reason then
  -- "expired|<claim>" while the sweep announces an expiry
  local bar = string.find(reason, '|', 1, true)
  if bar then reason = string.sub(reason, 1, bar - 1) end
  return {'#gone', reason}
end
return {}
