-- One purchase attempt, decided atomically in one round trip. A win reserves the unit and records the order in
-- the product's outbox stream in the same script: both are written, or neither (the relay, order/OutboxRelay,
-- takes the order from there to Kafka).
-- KEYS: 1 product hash, 2 buyers hash (userId -> orderId | LOST), 3 deadlines zset, 4 order hash, 5 outbox stream,
--       6 used admissions set of the product's waiting room
-- ARGV: 1 userId, 2 orderId, 3 now (ms), 4 draw: an integer in [0, 1e9), 5 reservation deadline (ms), 6 shipping address,
--       7 productId, 8 ticket of the shopper's admission ('' without one; its signature was checked by the caller),
--       9 '1' when the product has other buckets (stock/Buckets): an empty bucket then answers EMPTY, not SOLD_OUT
local product = KEYS[1]
local meta = redis.call('HMGET', product, 'dropAt', 'available', 'winP', 'price', 'returns', 'hold', 'room', 'epoch',
  'attempts', 'reserved', 'won')
if not meta[1] then
  return {'NOT_FOUND'}
end
-- Behind a waiting room only an admission not used before gets further, also before dropAt.
if meta[7] and (ARGV[8] == '' or redis.call('SISMEMBER', KEYS[6], ARGV[8]) == 1) then
  return {'NOT_ADMITTED'}
end
if meta[6] then
  -- Rebuilt after Redis lost its data: orders accepted before the loss may still be on their way to the saga,
  -- each owed a unit. No new attempt until they all have theirs (stock/StockRestore lifts the hold).
  return {'RESTORING'}
end
local userId, orderId, now = ARGV[1], ARGV[2], tonumber(ARGV[3])
if now < tonumber(meta[1]) then
  return {'DROP_NOT_OPEN', meta[1]}
end
local bought = redis.call('HEXISTS', KEYS[2], userId) == 1
if not bought and ARGV[9] == '1' and tonumber(meta[2]) <= 0 then
  -- The user's home bucket is empty but others may not be: the caller borrows units (stock/BucketedAttempt) and
  -- asks again, or asks without this flag once every bucket is empty. Nothing is counted or used yet.
  return {'EMPTY', meta[8] or '0'}
end
if meta[7] then
  redis.call('SADD', KEYS[6], ARGV[8])
end
local available = tonumber(meta[2])
if bought then
  redis.call('HINCRBY', product, 'attempts', 1)
  redis.call('HINCRBY', product, 'alreadyPurchased', 1)
  return {'ALREADY_PURCHASED'}
end
if available <= 0 then
  redis.call('HINCRBY', product, 'attempts', 1)
  redis.call('HINCRBY', product, 'soldOutRejections', 1)
  -- How many units have come back so far: lets a process cache "sold out" until the next return. Never for a
  -- product behind a waiting room (-1): a cached answer would come before the admission check.
  return {'SOLD_OUT', meta[7] and '-1' or meta[5] or '0'}
end
if tonumber(ARGV[4]) >= tonumber(meta[3]) * 1e9 then
  -- A lost draw takes the unit and puts it straight back: available is untouched, the attempt is used.
  redis.call('HSET', KEYS[2], userId, 'LOST')
  redis.call('HINCRBY', product, 'attempts', 1)
  redis.call('HINCRBY', product, 'lost', 1)
  return {'LOST'}
end
-- The order before the unit: a script stopped by a failing command keeps what it wrote so far, so no unit is ever
-- taken without its order in the outbox.
local entry = redis.call('XADD', KEYS[5], '*', 'orderId', orderId, 'userId', userId, 'productId', ARGV[7],
  'price', meta[4], 'shippingAddress', ARGV[6], 'createdAt', ARGV[3])
-- One write for the four counters, from the values read above: the script runs alone, so nothing changed them since
-- (integers well below 2^53 stay exact as Lua numbers).
redis.call('HSET', product, 'attempts', tonumber(meta[9] or '0') + 1, 'available', available - 1,
  'reserved', tonumber(meta[10] or '0') + 1, 'won', tonumber(meta[11] or '0') + 1)
redis.call('HSET', KEYS[2], userId, orderId)
-- outboxId: the sweeper asks the outbox whether the order is still on its way to Kafka.
redis.call('HSET', KEYS[4], 'userId', userId, 'price', meta[4], 'status', 'PENDING',
  'stock', 'RESERVED', 'createdAt', ARGV[3], 'shippingAddress', ARGV[6], 'outboxId', entry)
redis.call('ZADD', KEYS[3], ARGV[5], orderId)
return {'RESERVED', meta[4]}
