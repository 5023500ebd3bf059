-- Reads one ticket for its owner and counts the read as a sign of life (a ticket in line not polled for a while
-- expires, queue_admit.lua). O(log n): a hash read, a rank and a score in the line, one ZADD.
-- KEYS: 1 product hash, 2 room hash, 3 line zset, 4 seen zset, 5 tickets hash, 6 used set
-- ARGV: 1 ticket, 2 userId, 3 now (ms)
-- Returns {'NOT_FOUND'} | {ticket, state, detail, admitPerSecond, used, place}, as queue_join.lua
--   state LINE | ADMITTED | EXPIRED | SOLD_OUT
local LATE = 1099511627776
local ticket = ARGV[1]
local record = redis.call('HGET', KEYS[5], ticket)
if not record then
  return {'NOT_FOUND'}
end
local owner, state, at, admittedPlace = string.match(record, '^(%d+)|(%u)|(%d*)|(%d*)$')
if owner ~= ARGV[2] then
  return {'NOT_FOUND'}
end
local rate = redis.call('HGET', KEYS[1], 'room') or '0'
-- A ticket's place, fixed once given (null before the shuffle for everyone): a pre-queue ticket's score is its
-- place 1..n after the shuffle; a later joiner's place is n + how many joined after the last pre-queue ticket.
local function place(score)
  local room = redis.call('HMGET', KEYS[2], 'preQueued', 'preSeq')
  if not room[1] then
    return ''
  end
  if score < LATE then
    return tostring(score)
  end
  return tostring(tonumber(room[1]) + score - LATE - tonumber(room[2]))
end
if state == 'L' then
  redis.call('ZADD', KEYS[4], 'XX', ARGV[3], ticket)
  local score = tonumber(redis.call('ZSCORE', KEYS[3], ticket))
  if score < LATE and redis.call('HEXISTS', KEYS[2], 'shuffled') == 0 then
    return {ticket, 'LINE', '', rate, '0', ''}
  end
  return {ticket, 'LINE', tostring(redis.call('ZRANK', KEYS[3], ticket) + 1), rate, '0', place(score)}
end
if state == 'A' then
  return {ticket, 'ADMITTED', at, rate, tostring(redis.call('SISMEMBER', KEYS[6], ticket)), admittedPlace}
end
return {ticket, state == 'E' and 'EXPIRED' or 'SOLD_OUT', at, rate, '0', ''}
