-- A refresh: swaps the session's live refresh token for a new one, atomically.
-- KEYS: 1 session hash {u:<id>}:s:<sid>, 2 its rotated-token list {u:<id>}:s:<sid>:rotated, 3 sessions index
-- ARGV: 1 SHA-256 of the presented token, 2 SHA-256 of the new token, 3 ttl seconds, 4 sid, 5 rotated hashes kept
-- Returns {'ROTATED', clientId, roles}; {'REUSED'} when the presented token was already rotated away (the
-- session is ended: a stolen token and its owner cannot both go on); {'DEAD'} / {'UNKNOWN'} otherwise.
local current = redis.call('HGET', KEYS[1], 'refresh')
if not current then
  return {'DEAD'}
end
if current == ARGV[1] then
  redis.call('HSET', KEYS[1], 'refresh', ARGV[2])
  redis.call('LPUSH', KEYS[2], ARGV[1])
  redis.call('LTRIM', KEYS[2], 0, tonumber(ARGV[5]) - 1)
  redis.call('EXPIRE', KEYS[1], ARGV[3])
  redis.call('EXPIRE', KEYS[2], ARGV[3])
  redis.call('EXPIRE', KEYS[3], ARGV[3])
  local fields = redis.call('HMGET', KEYS[1], 'clientId', 'roles')
  return {'ROTATED', fields[1], fields[2]}
end
if redis.call('LPOS', KEYS[2], ARGV[1]) then
  local clientId = redis.call('HGET', KEYS[1], 'clientId')
  redis.call('DEL', KEYS[1], KEYS[2])
  if redis.call('HGET', KEYS[3], clientId) == ARGV[4] then
    redis.call('HDEL', KEYS[3], clientId)
  end
  return {'REUSED'}
end
return {'UNKNOWN'}
