-- Puts lent units on sale in the receiving bucket, once per move (a repeat answers DUP). A move made towards an
-- older life of the bucket (it was rebuilt after Redis lost it, and counts its units afresh) answers STALE and
-- changes nothing: applying it could sell a unit twice.
-- KEYS: 1 receiving bucket's hash, 2 its received zset
-- ARGV: 1 moveId, 2 epoch the move was made for, 3 units, 4 now (ms)
local epoch = redis.call('HGET', KEYS[1], 'epoch')
if not epoch or epoch ~= ARGV[2] then
  return 'STALE'
end
if redis.call('ZADD', KEYS[2], 'NX', ARGV[4], ARGV[1]) == 0 then
  return 'DUP'
end
redis.call('HINCRBY', KEYS[1], 'available', tonumber(ARGV[3]))
redis.call('HINCRBY', KEYS[1], 'lentIn', tonumber(ARGV[3]))
-- Units arriving are numbered with the returns: a process that cached "sold out" before they came knows its cache
-- is stale. (arrivals tells them apart from units given back by orders, for the live view.)
redis.call('HINCRBY', KEYS[1], 'arrivals', 1)
local returns = redis.call('HINCRBY', KEYS[1], 'returns', 1)
redis.call('PUBLISH', 'stock.returned', KEYS[1] .. ' ' .. returns)
return 'OK'
