-- The relay's read of one product's outbox (order/OutboxRelay), in one call: entries for this consumer of the
-- relay group, and, when asked, entries another relay took and left unacknowledged for too long (it died, or
-- cannot reach Kafka), claimed for this one. Creates the group (from the stream's start) when it is missing:
-- a product that never sold, or a Redis that lost its data.
-- KEYS: 1 outbox stream
-- ARGV: 1 group, 2 consumer, 3 count, 4 '>' (entries no relay read yet) or '0' (this consumer's own pending
--       entries, read again after a failed send), 5 claim: minimum idle ms (0: no claim), 6 claim cursor
-- Answers {next claim cursor ('' without a claim), entries claimed, id, fields, id, fields, ...}.
local group, consumer = ARGV[1], ARGV[2]

local function read()
  return redis.pcall('XREADGROUP', 'GROUP', group, consumer, 'COUNT', ARGV[3], 'STREAMS', KEYS[1], ARGV[4])
end

local got = read()
if type(got) == 'table' and got.err then
  if not string.find(got.err, 'NOGROUP', 1, true) then
    return redis.error_reply(got.err)
  end
  redis.call('XGROUP', 'CREATE', KEYS[1], group, '0', 'MKSTREAM')
  got = read()
  if type(got) == 'table' and got.err then
    return redis.error_reply(got.err)
  end
end

local out = {'', 0}
local seen = {}
local function add(entry)
  local id, fields = entry[1], entry[2]
  if seen[id] then
    return
  end
  seen[id] = true
  if not fields then
    -- Deleted but still pending (only a crash between the two halves of an older acknowledgement leaves that).
    redis.call('XACK', KEYS[1], group, id)
    return
  end
  out[#out + 1] = id
  out[#out + 1] = fields
end

if got then
  for _, entry in ipairs(got[1][2]) do
    add(entry)
  end
end

if tonumber(ARGV[5]) > 0 then
  -- Redis 6.2 answers {cursor, entries}, 7.x {cursor, entries, deleted ids} (those it already dropped itself).
  local claimed = redis.call('XAUTOCLAIM', KEYS[1], group, consumer, ARGV[5], ARGV[6], 'COUNT', ARGV[3])
  out[1] = claimed[1]
  local before = #out
  for _, entry in ipairs(claimed[2]) do
    if entry then
      add(entry)
    end
  end
  out[2] = (#out - before) / 2
end
return out
