-- Lends units of one bucket of a product to another (stock/BucketedAttempt, stock/BucketMoves): they leave this
-- bucket's available and are recorded as in flight until the receiving bucket has them (bucket_receive.lua) and
-- the lender forgets the move (bucket_settle.lua). A bucket on hold (rebuilt, owing units) lends only to the
-- restore that settles its debts.
-- KEYS: 1 lending bucket's hash, 2 its lent hash
-- ARGV: 1 moveId, 2 receiving tag, 3 receiving epoch, 4 now (ms), 5 units wanted (0: half of what is available,
--       rounded up), 6 '1' to lend while on hold
-- Answers the units lent (0: none available).
local meta = redis.call('HMGET', KEYS[1], 'available', 'hold')
local available = tonumber(meta[1] or '0')
if available <= 0 or (meta[2] and ARGV[6] ~= '1') then
  return 0
end
local units = tonumber(ARGV[5])
if units <= 0 then
  units = math.ceil(available / 2)
end
units = math.min(units, available)
redis.call('HINCRBY', KEYS[1], 'available', -units)
redis.call('HINCRBY', KEYS[1], 'lentOut', units)
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2] .. ' ' .. ARGV[3] .. ' ' .. units .. ' ' .. ARGV[4])
return units
