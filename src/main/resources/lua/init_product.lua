-- Creates a product's live stock hash unless it already exists (a restart must not reset live counters).
-- KEYS: 1 product hash
-- ARGV: field/value pairs
if redis.call('EXISTS', KEYS[1]) == 1 then
  return 0
end
redis.call('HSET', KEYS[1], unpack(ARGV))
return 1
