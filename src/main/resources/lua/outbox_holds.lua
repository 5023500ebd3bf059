-- Whether an order is still in its product's outbox, i.e. not yet acknowledged by Kafka (the sweeper asks before
-- it may release a reservation that has no PostgreSQL row). reserve.lua records the entry's id in the order hash;
-- an order without one (adopted by check_stock.lua, rebuilt from PostgreSQL) never was in the outbox.
-- KEYS: 1 order hash, 2 outbox stream
-- Answers 1 while the entry is there, else 0.
local id = redis.call('HGET', KEYS[1], 'outboxId')
if not id then
  return 0
end
if #redis.call('XRANGE', KEYS[2], id, id) > 0 then
  return 1
end
return 0
