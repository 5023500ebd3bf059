-- Entries of one product's outbox that Kafka acknowledged: acknowledged in the relay group and deleted, together,
-- so an entry is never left acknowledged but undeleted (nobody would read it again) nor deleted but pending.
-- Only the relay calls this, and only after Kafka acknowledged every one of these entries: the outbox is
-- never trimmed otherwise.
-- KEYS: 1 outbox stream
-- ARGV: 1 group, 2.. entry ids
-- Answers how many were deleted.
local acked = redis.pcall('XACK', KEYS[1], ARGV[1], unpack(ARGV, 2))
if type(acked) == 'table' and acked.err and not string.find(acked.err, 'NOGROUP', 1, true) then
  return redis.error_reply(acked.err)
end
return redis.call('XDEL', KEYS[1], unpack(ARGV, 2))
