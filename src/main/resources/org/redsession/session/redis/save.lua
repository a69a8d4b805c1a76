-- Applies one request's changes to one session atomically.
-- KEYS[1] session hash, KEYS[2] its tombstone, KEYS[3] retired hash (rotation only), KEYS[4] retired tombstone
-- ARGV[1] mode: create | update | rotate; ARGV[2] TTL ms; ARGV[3] tombstone TTL ms
-- then: n, n field/value pairs to set; m, m fields to delete; k, k field/delta pairs to increment
-- Returns {'#gone'} when nothing was written (the session ended meanwhile: no resurrection),
-- else the incremented fields and their new values as a flat list.
local mode = ARGV[1]
if mode == 'create' then
  if redis.call('EXISTS', KEYS[1]) == 1 or redis.call('EXISTS', KEYS[2]) == 1 then return {'#gone'} end
elseif mode == 'rotate' then
  local old = redis.call('HGETALL', KEYS[3])
  if #old == 0 then return {'#gone'} end
  redis.call('DEL', KEYS[3])
  redis.call('SET', KEYS[4], 'rotated', 'PX', ARGV[3])
  redis.call('HSET', KEYS[1], unpack(old))
elseif redis.call('EXISTS', KEYS[1]) == 0 then
  return {'#gone'}
end
local i = 4
local n = tonumber(ARGV[i])
i = i + 1
if n > 0 then
  redis.call('HSET', KEYS[1], unpack(ARGV, i, i + 2 * n - 1))
  i = i + 2 * n
end
n = tonumber(ARGV[i])
i = i + 1
if n > 0 then
  redis.call('HDEL', KEYS[1], unpack(ARGV, i, i + n - 1))
  i = i + n
end
n = tonumber(ARGV[i])
i = i + 1
local out = {}
for _ = 1, n do
  local field = ARGV[i]
  local delta = tonumber(ARGV[i + 1])
  i = i + 2
  local current = redis.call('HGET', KEYS[1], field)
  local tag, value = 'l:', 0
  if current then
    tag = string.sub(current, 1, 2)
    value = tonumber(string.sub(current, 3))
    if (tag ~= 'l:' and tag ~= 'i:') or value == nil then
      tag, value = 'l:', 0
    end
  end
  local updated = tag .. string.format('%d', value + delta)
  redis.call('HSET', KEYS[1], field, updated)
  out[#out + 1] = field
  out[#out + 1] = updated
end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return out
