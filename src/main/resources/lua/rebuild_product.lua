-- Recreates one product's live state from what PostgreSQL records, after Redis lost it. One atomic call per
-- product: until the product hash exists the reserve script answers NOT_FOUND and confirm/release find no
-- order hash, so nobody sees half a rebuild. Does nothing once the product hash exists, so several processes
-- may rebuild at once and a second rebuild changes nothing.
-- KEYS: 1 product hash, 2 buyers hash, 3 deadlines zset, 4.. order hashes of the PENDING orders
-- ARGV: 1 number of buyer pairs b; then b pairs userId, orderId;
--       then per order key: orderId, userId, price, createdAt (ms), deadline (ms);
--       then the product hash's field/value pairs
if redis.call('EXISTS', KEYS[1]) == 1 then
  return 0
end
-- Whatever is left of the product's other keys predates the loss; PostgreSQL is the record now.
redis.call('DEL', KEYS[2], KEYS[3])
local i = 2
for _ = 1, tonumber(ARGV[1]) do
  redis.call('HSET', KEYS[2], ARGV[i], ARGV[i + 1])
  i = i + 2
end
for k = 4, #KEYS do
  redis.call('DEL', KEYS[k])
  redis.call('HSET', KEYS[k], 'userId', ARGV[i + 1], 'price', ARGV[i + 2], 'status', 'PENDING',
    'stock', 'RESERVED', 'createdAt', ARGV[i + 3], 'shippingAddress', '')
  redis.call('ZADD', KEYS[3], ARGV[i + 4], ARGV[i])
  i = i + 5
end
while i < #ARGV do
  redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1])
  i = i + 2
end
return 1
