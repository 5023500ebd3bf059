-- CHECK_STOCK of the saga: is the order's unit reserved for it? Runs once per order (the participant records
-- the outcome). Its hash says so, except after Redis lost its data while the order waited in Kafka: the
-- rebuild (from PostgreSQL) could not know it, so its unit is still counted as available, and it takes one
-- now. No other shopper can take that unit first: a rebuilt product accepts no attempt until every such order
-- has its unit (stock/StockRestore runs this script for them, then lifts the hold).
-- KEYS: 1 product hash, 2 buyers hash, 3 deadlines zset, 4 order hash
-- ARGV: 1 orderId, 2 userId, 3 price, 4 createdAt (ms), 5 reservation deadline (ms)
-- Answers the order's stock state (RESERVED, SOLD, RELEASED), ADOPTED (a unit taken now), NONE (no unit left
-- for it), TAKEN (the user holds another order of this product), or RETRY (the product is not rebuilt yet).
local state = redis.call('HGET', KEYS[4], 'stock')
if state then
  return {state}
end
if redis.call('EXISTS', KEYS[1]) == 0 then
  return {'RETRY'}
end
local holder = redis.call('HGET', KEYS[2], ARGV[2])
if holder and holder ~= ARGV[1] then
  return {'TAKEN'}
end
if tonumber(redis.call('HGET', KEYS[1], 'available')) <= 0 then
  return {'NONE'}
end
redis.call('HINCRBY', KEYS[1], 'available', -1)
redis.call('HINCRBY', KEYS[1], 'reserved', 1)
redis.call('HSET', KEYS[2], ARGV[2], ARGV[1])
redis.call('HSET', KEYS[4], 'userId', ARGV[2], 'price', ARGV[3], 'status', 'PENDING',
  'stock', 'RESERVED', 'createdAt', ARGV[4], 'shippingAddress', '')
redis.call('ZADD', KEYS[3], ARGV[5], ARGV[1])
return {'ADOPTED'}
