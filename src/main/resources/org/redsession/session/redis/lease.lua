-- Takes (ARGV[2] = 'take') or gives back ('release') a lease. KEYS[1] lease; ARGV[1] token; ARGV[3] TTL ms.
-- Returns 1 when taken (or already held with this token) or released.
local holder = redis.call('GET', KEYS[1])
if ARGV[2] == 'release' then
  if holder == ARGV[1] then redis.call('DEL', KEYS[1]) return 1 end
  return 0
end
if holder and holder ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[3])
return 1
