-- A login: opens the session of (user, client), ending that client's previous session in the same step.
-- KEYS: 1 sessions index {u:<id>}:sessions (clientId -> sid), 2 new session hash {u:<id>}:s:<sid>
-- ARGV: 1 clientId, 2 sid, 3 roles, 4 SHA-256 of the refresh token, 5 ttl seconds, 6 session key prefix {u:<id>}:s:
-- The previous session's keys are derived from the prefix; they share the user's hash tag, so the same slot.
-- Returns the ended sid, or nil.
local previous = redis.call('HGET', KEYS[1], ARGV[1])
if previous then
  redis.call('DEL', ARGV[6] .. previous, ARGV[6] .. previous .. ':rotated')
end
redis.call('HSET', KEYS[2], 'clientId', ARGV[1], 'roles', ARGV[3], 'refresh', ARGV[4])
redis.call('EXPIRE', KEYS[2], ARGV[5])
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('EXPIRE', KEYS[1], ARGV[5])
return previous
