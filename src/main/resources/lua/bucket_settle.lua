-- The lender forgets a move the receiving bucket answered (OK, DUP or STALE). After STALE the units are no longer
-- in flight: the rebuilt receiver counted the product's units afresh, so they leave the lender's lentOut too.
-- KEYS: 1 lending bucket's hash, 2 its lent hash
-- ARGV: 1 moveId, 2 the receiver's answer
local move = redis.call('HGET', KEYS[2], ARGV[1])
if not move then
  return 0
end
redis.call('HDEL', KEYS[2], ARGV[1])
if ARGV[2] == 'STALE' then
  redis.call('HINCRBY', KEYS[1], 'lentOut', -tonumber(string.match(move, '^%S+ %S+ (%d+)')))
end
return 1
