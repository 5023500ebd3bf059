-- Puts a reserved unit back on sale and gives the user's attempt back. Idempotent by order id:
-- only a RESERVED order changes anything, so a second call (or one for a sold order) is a no-op.
-- KEYS: 1 product hash, 2 buyers hash, 3 deadlines zset, 4 order hash
-- ARGV: 1 orderId
local state = redis.call('HGET', KEYS[4], 'stock')
if not state and redis.call('EXISTS', KEYS[1]) == 0 then
  -- The whole product is missing: Redis lost its data and the repair has not rebuilt it yet. Try again later.
  return {'RETRY'}
end
if state ~= 'RESERVED' then
  return {'NOOP', state or 'NONE'}
end
redis.call('HSET', KEYS[4], 'stock', 'RELEASED', 'status', 'CANCELLED')
redis.call('HINCRBY', KEYS[1], 'available', 1)
redis.call('HINCRBY', KEYS[1], 'reserved', -1)
local userId = redis.call('HGET', KEYS[4], 'userId')
if redis.call('HGET', KEYS[2], userId) == ARGV[1] then
  redis.call('HDEL', KEYS[2], userId)
end
redis.call('ZREM', KEYS[3], ARGV[1])
redis.call('EXPIRE', KEYS[4], 86400)
-- Numbered returns: a process that cached "sold out" at an older number knows its cache is stale.
local returns = redis.call('HINCRBY', KEYS[1], 'returns', 1)
redis.call('PUBLISH', 'stock.returned', KEYS[1] .. ' ' .. returns)
return {'RELEASED'}
