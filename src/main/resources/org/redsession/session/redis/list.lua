-- The live entries of a user's session index (fields s:<handle> -> deadline of the user's account): drops entries whose
-- deadline passed, returns the handles. KEYS[1] the user's account; ARGV[1] now ms
local all = redis.call('HGETALL', KEYS[1])
local now = tonumber(ARGV[1])
local out = {}
for i = 1, #all, 2 do
  if string.sub(all[i], 1, 2) == 's:' and string.sub(all[i + 1], 1, 1) == '-' then
    -- being evicted by a sign-in (save.lua): not live, and kept until the eviction has ended it
  elseif string.sub(all[i], 1, 2) == 's:' then
    if (tonumber(all[i + 1]) or 0) <= now then
      redis.call('HDEL', KEYS[1], all[i])
    else
      out[#out + 1] = string.sub(all[i], 3)
    end
  end
end
return out
