-- Logout of one device. KEYS: 1 session hash, 2 its rotated-token list, 3 sessions index. ARGV: 1 sid.
-- Returns 1 when the session was alive.
local clientId = redis.call('HGET', KEYS[1], 'clientId')
if not clientId then
  return 0
end
redis.call('DEL', KEYS[1], KEYS[2])
if redis.call('HGET', KEYS[3], clientId) == ARGV[1] then
  redis.call('HDEL', KEYS[3], clientId)
end
return 1
