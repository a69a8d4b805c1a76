-- Applies one request's changes to one session atomically, and keeps its user's session index in step.
-- KEYS[1] session hash, KEYS[2] its tombstone, KEYS[3] retired hash (rotation), KEYS[4] retired tombstone,
-- KEYS[5] the user's account (its fields s:<handle> -> deadline are the user's session index), KEYS[6] revocation
-- markers of the slot, KEYS[7] the creating client's count of new anonymous sessions in the current window
-- ARGV[1] mode: create | update | rotate; ARGV[2] TTL ms (to the deadline); ARGV[3] tombstone TTL ms; ARGV[4] user
-- ('' = none); ARGV[5] sign-in time ms; ARGV[6] now ms; ARGV[7] handle; ARGV[8] retired handle; ARGV[9] max sessions
-- per user; ARGV[10] index TTL ms (used when the user has no account); ARGV[11] max new anonymous sessions per client
-- and window ('0' = not limited); ARGV[12] window ms; ARGV[13] linger ms (a session stays this long past its
-- deadline #e, unreadable, so the expiry sweep can announce it); then: n, n field/value pairs to set; m, m fields to
-- delete; k, k field/delta pairs to add; then '1' to have the session's state returned ('#state', 2s, s field/value
-- pairs, last), else '0'; then, optionally, the audit trail's part (KEYS[8] the user's trail, a list, newest first):
-- the event's record ('' = none), the device text an earlier sign-in from the same device contains ('' = no check),
-- the text before and after the handle of an eviction's record, the trail's maximum length and its TTL ms.
-- Returns {'#gone'} when nothing was written (the session ended, expired or was revoked meanwhile: no resurrection),
-- {'#limited', ms} when the client created too many sessions in the window (nothing written; ms until it ends), else
-- the incremented fields and their new values, then '#evicted' and the handles of sessions evicted by the limit, and
-- '#new' '1' when this write signed the session in (it was anonymous or new), '#earlier' and the old deadline when it
-- moved the deadline earlier.
local CHUNK = 500

-- HSET/HDEL in chunks: Lua's unpack() refuses a few thousand values at once.
local function each_chunk(cmd, list, first, last, step)
  local i = first
  while i <= last do
    local j = math.min(last, i + CHUNK * step - 1)
    redis.call(cmd, KEYS[1], unpack(list, i, j))
    i = j + 1
  end
end

local mode, user = ARGV[1], ARGV[4]
local now = tonumber(ARGV[6])
local function expired(key)
  local e = redis.call('HGET', key, '#e')
  return e and (tonumber(e) or 0) <= now
end
local wasSignedIn = false
local evictedNow = {}
if user ~= '' then
  local marker = redis.call('HGET', KEYS[6], user)
  if marker then
    local bar = string.find(marker, '|', 1, true)
    if tonumber(ARGV[5]) < (tonumber(string.sub(marker, 1, bar - 1)) or 0) then return {'#gone'} end
  end
end
if mode == 'create' then
  if redis.call('EXISTS', KEYS[1]) == 1 or redis.call('EXISTS', KEYS[2]) == 1 then return {'#gone'} end
elseif mode == 'rotate' then
  if expired(KEYS[3]) then return {'#gone'} end
  local old = redis.call('HGETALL', KEYS[3])
  if #old == 0 then return {'#gone'} end
  wasSignedIn = redis.call('HEXISTS', KEYS[3], '#u') == 1
  redis.call('DEL', KEYS[3])
  redis.call('SET', KEYS[4], 'rotated', 'PX', ARGV[3])
  each_chunk('HSET', old, 1, #old, 2)
elseif redis.call('EXISTS', KEYS[1]) == 0 or expired(KEYS[1]) then
  return {'#gone'}
else
  wasSignedIn = redis.call('HEXISTS', KEYS[1], '#u') == 1
end
if mode == 'create' and ARGV[11] ~= '0' then
  -- A fixed window per client: the first creation starts it; beyond the limit nothing is stored until it ends.
  local count = redis.call('INCR', KEYS[7])
  if count == 1 then redis.call('PEXPIRE', KEYS[7], ARGV[12]) end
  if count > tonumber(ARGV[11]) then
    local left = redis.call('PTTL', KEYS[7])
    if left < 0 then
      redis.call('PEXPIRE', KEYS[7], ARGV[12])
      left = tonumber(ARGV[12])
    end
    return {'#limited', tostring(left)}
  end
end
local i = 14
local n = tonumber(ARGV[i])
i = i + 1
if n > 0 then
  each_chunk('HSET', ARGV, i, i + 2 * n - 1, 2)
  i = i + 2 * n
end
n = tonumber(ARGV[i])
i = i + 1
if n > 0 then
  each_chunk('HDEL', ARGV, i, i + n - 1, 1)
  i = i + n
end
n = tonumber(ARGV[i])
i = i + 1
local out = {}
for _ = 1, n do
  local field, delta = ARGV[i], ARGV[i + 1]
  i = i + 2
  local current = redis.call('HGET', KEYS[1], field)
  local updated
  if current and string.sub(current, 1, 2) == 'i:' and tonumber(string.sub(current, 3)) then
    -- An Integer: exact in Lua's doubles; promoted to a Long (plain decimal) when it leaves the int range.
    local value = tonumber(string.sub(current, 3)) + tonumber(delta)
    if value >= -2147483648 and value <= 2147483647 then
      updated = 'i:' .. string.format('%d', value)
    else
      updated = string.format('%d', value)
    end
    redis.call('HSET', KEYS[1], field, updated)
  else
    if current and not string.match(current, '^%-?%d+$') then
      redis.call('HDEL', KEYS[1], field)
    end
    -- A Long is stored as a plain decimal, so HINCRBY adds exactly in 64 bits.
    redis.call('HINCRBY', KEYS[1], field, delta)
    updated = redis.call('HGET', KEYS[1], field) -- the exact text; a Lua number would lose digits beyond 2^53
  end
  out[#out + 1] = field
  out[#out + 1] = updated
end
local deadline = now + tonumber(ARGV[2])
local previous = tonumber(redis.call('HGET', KEYS[1], '#e') or '')
if mode == 'update' and previous and deadline < previous then
  -- The deadline moved earlier (a shorter max inactive interval): the caller indexes it again.
  out[#out + 1] = '#earlier'
  out[#out + 1] = tostring(previous)
end
redis.call('HSET', KEYS[1], '#e', deadline)
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]) + tonumber(ARGV[13]))
if user ~= '' then
  if ARGV[8] ~= '' then redis.call('HDEL', KEYS[5], 's:' .. ARGV[8]) end
  redis.call('HSET', KEYS[5], 's:' .. ARGV[7], deadline)
  if redis.call('HEXISTS', KEYS[5], 'pw') == 0 then redis.call('PEXPIRE', KEYS[5], ARGV[10]) end
  if mode ~= 'update' then
    -- A new sign-in: drop entries whose deadline passed, then end the least recently active beyond the limit.
    local all = redis.call('HGETALL', KEYS[5])
    local live = {}
    for j = 1, #all, 2 do
      if string.sub(all[j], 1, 2) == 's:' and string.sub(all[j + 1], 1, 1) == '-' then
        -- Chosen for eviction by an earlier sign-in whose caller has not ended it yet: not live (a concurrent
        -- sign-in must not keep it instead of a newer one), and handed out again, so a failed ending is retried.
        out[#out + 1] = '#evicted'
        out[#out + 1] = string.sub(all[j], 3)
      elseif string.sub(all[j], 1, 2) == 's:' then
        local d = tonumber(all[j + 1]) or 0
        if d <= now then
          redis.call('HDEL', KEYS[5], all[j])
        elseif all[j] ~= 's:' .. ARGV[7] then
          -- Never the session being signed in (its deadline may be short, e.g. capped by its absolute deadline, yet
          -- it is the newest).
          live[#live + 1] = {d, string.sub(all[j], 3)}
        end
      end
    end
    local extra = #live + 1 - tonumber(ARGV[9])
    if extra > 0 then
      -- The earliest deadlines: the least recently active. They stay in the index, marked '-<deadline>', until the
      -- caller's delete-many has ended them, so an eviction that fails (Redis timed out in between) is done again by
      -- the next sign-in.
      table.sort(live, function(a, b) return a[1] < b[1] end)
      for j = 1, extra do
        out[#out + 1] = '#evicted'
        out[#out + 1] = live[j][2]
        evictedNow[#evictedNow + 1] = live[j][2]
        redis.call('HSET', KEYS[5], 's:' .. live[j][2], '-' .. live[j][1])
      end
    end
  end
  if not wasSignedIn then
    out[#out + 1] = '#new'
    out[#out + 1] = '1'
  end
end
local record = ARGV[i + 1]
if record and record ~= '' then
  -- The audit trail: this write's event (a sign-in marked when its device was not seen in the user's recent sign-ins),
  -- then the evictions it chose; trimmed to the newest, expiring with the last event's age.
  local trail, device = KEYS[8], ARGV[i + 2]
  if device ~= '' then
    local seen, same = false, false
    for _, r in ipairs(redis.call('LRANGE', trail, 0, -1)) do
      if string.find(r, '"e":"signin"', 1, true) or string.find(r, '"e":"reauthenticated"', 1, true) then
        seen = true
        if string.find(r, device, 1, true) then
          same = true
          break
        end
      end
    end
    if seen and not same then
      record = string.sub(record, 1, -2) .. ',"new":true}'
      out[#out + 1] = '#newdevice'
      out[#out + 1] = '1'
    end
  end
  redis.call('LPUSH', trail, record)
  for _, h in ipairs(evictedNow) do redis.call('LPUSH', trail, ARGV[i + 3] .. h .. ARGV[i + 4]) end
  redis.call('LTRIM', trail, 0, tonumber(ARGV[i + 5]) - 1)
  redis.call('PEXPIRE', trail, ARGV[i + 6])
end
if ARGV[i] == '1' then
  -- The session as this write left it: the writing instance's near cache keeps its copy current with it.
  local h = redis.call('HGETALL', KEYS[1])
  out[#out + 1] = '#state'
  out[#out + 1] = tostring(#h)
  for j = 1, #h do out[#out + 1] = h[j] end
end
return out
