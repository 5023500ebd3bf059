-- Removes from one product's relay group the consumers of relays that are gone: nothing pending and idle for
-- longer than ARGV[2] ms (a live relay reads every product at least every few hundred ms). Every relay has a name of
-- its own, so without this each restart would leave one more consumer behind in every product's group. A consumer
-- with pending entries is kept: another relay claims them first.
-- KEYS: 1 outbox stream
-- ARGV: 1 group, 2 idle ms, 3 the calling relay's own consumer name
-- Answers how many consumers were removed.
local consumers = redis.pcall('XINFO', 'CONSUMERS', KEYS[1], ARGV[1])
if type(consumers) ~= 'table' or consumers.err then
  return 0
end
local idle = tonumber(ARGV[2])
local removed = 0
for _, consumer in ipairs(consumers) do
  local info = {}
  for i = 1, #consumer, 2 do
    info[consumer[i]] = consumer[i + 1]
  end
  if info['name'] ~= ARGV[3] and tonumber(info['pending']) == 0 and tonumber(info['idle']) > idle then
    redis.call('XGROUP', 'DELCONSUMER', KEYS[1], ARGV[1], info['name'])
    removed = removed + 1
  end
end
return removed
