-- Logout of every device of a user. KEYS: 1 sessions index {u:<id>}:sessions. ARGV: 1 session key prefix
-- {u:<id>}:s: (derived keys share the user's hash tag). Returns the ended sids.
local sids = redis.call('HVALS', KEYS[1])
for _, sid in ipairs(sids) do
  redis.call('DEL', ARGV[1] .. sid, ARGV[1] .. sid .. ':rotated')
end
redis.call('DEL', KEYS[1])
return sids
