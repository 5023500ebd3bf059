-- Turns a reserved unit into a sold one. Idempotent by order id: a second call answers NOOP;
-- an order that is no longer reserved (released or expired) cannot be sold and answers FAILED.
-- KEYS: 1 product hash, 2 deadlines zset, 3 order hash
-- ARGV: 1 orderId
local state = redis.call('HGET', KEYS[3], 'stock')
if state == 'SOLD' then
  return {'NOOP', state}
end
if not state and redis.call('EXISTS', KEYS[1]) == 0 then
  -- The whole product is missing: Redis lost its data and the repair has not rebuilt it yet. Try again later.
  return {'RETRY'}
end
if state ~= 'RESERVED' then
  return {'FAILED', state or 'NONE'}
end
redis.call('HSET', KEYS[3], 'stock', 'SOLD', 'status', 'COMPLETED')
redis.call('HINCRBY', KEYS[1], 'reserved', -1)
redis.call('HINCRBY', KEYS[1], 'sold', 1)
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('EXPIRE', KEYS[3], 86400)
return {'CONFIRMED'}
