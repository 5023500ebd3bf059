-- Adds attempts a process answered from its sold-out cache to the product's statistics, all or nothing.
-- KEYS: 1 product hash
-- ARGV: 1 sold-out rejections, 2 already-purchased rejections
if redis.call('EXISTS', KEYS[1]) == 0 then
  return 0
end
local soldOut, already = tonumber(ARGV[1]), tonumber(ARGV[2])
redis.call('HINCRBY', KEYS[1], 'attempts', soldOut + already)
redis.call('HINCRBY', KEYS[1], 'soldOutRejections', soldOut)
redis.call('HINCRBY', KEYS[1], 'alreadyPurchased', already)
return 1
