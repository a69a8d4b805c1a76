-- Applies one request's changes to one session atomically.
-- KEYS[1] session hash, KEYS[2] its tombstone, KEYS[3] retired hash (rotation only), KEYS[4] retired tombstone
-- ARGV[1] mode: create | update | rotate; ARGV[2] TTL ms; ARGV[3] tombstone TTL ms
-- then: n, n field/value pairs to set; m, m fields to delete; k, k field/delta pairs to increment
-- Returns {'#gone'} when nothing was written (the session ended meanwhile: no resurrection),
-- else the incremented fields and their new values as a flat list.
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

local mode = ARGV[1]
if mode == 'create' then
  if redis.call('EXISTS', KEYS[1]) == 1 or redis.call('EXISTS', KEYS[2]) == 1 then return {'#gone'} end
elseif mode == 'rotate' then
  local old = redis.call('HGETALL', KEYS[3])
  if #old == 0 then return {'#gone'} end
  redis.call('DEL', KEYS[3])
  redis.call('SET', KEYS[4], 'rotated', 'PX', ARGV[3])
  each_chunk('HSET', old, 1, #old, 2)
elseif redis.call('EXISTS', KEYS[1]) == 0 then
  return {'#gone'}
end
local i = 4
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
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return out
