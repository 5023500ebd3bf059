-- Joins a product's waiting room in one round trip, or hands back the user's ticket while it is still in line or
-- admitted (joining again is not a way to a better place). Before the drop opens a new ticket goes to the
-- pre-queue (its place is drawn at dropAt, see queue_admit.lua); from then on to the back of the line.
-- KEYS: 1 product hash, 2 room hash, 3 line zset, 4 seen zset, 5 tickets hash, 6 users hash, 7 used set
-- ARGV: 1 userId, 2 now (ms), 3 admission validity (ms)
-- Returns {'NOT_FOUND'} | {'NOT_OPEN', opensAt} | {'SOLD_OUT'} | {ticket, state, detail, admitPerSecond, used, place}
--   state LINE: detail = position, or '' while the pre-queue is not shuffled yet; ADMITTED: detail = admittedAt;
--   place: the ticket's place in line ('' until the shuffle)
-- Scores of the line: a pre-queue ticket's join number until the shuffle gives it its place 1..n; a later joiner's
-- LATE + its join number, so it stays behind every pre-queue place.
local LATE = 1099511627776
local meta = redis.call('HMGET', KEYS[1], 'room', 'roomOpens', 'dropAt', 'available')
if not meta[1] then
  return {'NOT_FOUND'}
end
local userId, now = ARGV[1], tonumber(ARGV[2])
local dropAt = tonumber(meta[3])
local opensAt = dropAt - tonumber(meta[2]) * 1000
if now < opensAt then
  return {'NOT_OPEN', tostring(opensAt)}
end

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

local function inLine(ticket)
  local score = tonumber(redis.call('ZSCORE', KEYS[3], ticket))
  if score < LATE and redis.call('HEXISTS', KEYS[2], 'shuffled') == 0 then
    return {ticket, 'LINE', '', meta[1], '0', ''}
  end
  return {ticket, 'LINE', tostring(redis.call('ZRANK', KEYS[3], ticket) + 1), meta[1], '0', place(score)}
end

local ticket = redis.call('HGET', KEYS[6], userId)
local record = ticket and redis.call('HGET', KEYS[5], ticket)
if record then
  local state, at, admittedPlace = string.match(record, '^%d+|(%u)|(%d*)|(%d*)$')
  if state == 'L' then
    redis.call('ZADD', KEYS[4], now, ticket)
    return inLine(ticket)
  end
  if state == 'A' then
    local used = redis.call('SISMEMBER', KEYS[7], ticket)
    if used == 1 or now < tonumber(at) + tonumber(ARGV[3]) then
      return {ticket, 'ADMITTED', at, meta[1], tostring(used), admittedPlace}
    end
  end
  -- Expired, sold out, or an admission left unused: a new ticket at the back.
end
if tonumber(meta[4]) <= 0 then
  return {'SOLD_OUT'}
end
local seq = redis.call('HINCRBY', KEYS[2], 'seq', 1)
ticket = tostring(seq)
local late = now >= dropAt or redis.call('HEXISTS', KEYS[2], 'shuffled') == 1
redis.call('ZADD', KEYS[3], late and LATE + seq or seq, ticket)
redis.call('ZADD', KEYS[4], now, ticket)
redis.call('HSET', KEYS[5], ticket, userId .. '|L||')
redis.call('HSET', KEYS[6], userId, ticket)
redis.call('HINCRBY', KEYS[1], 'qJoined', 1)
redis.call('HINCRBY', KEYS[1], 'qWaiting', 1)
return inLine(ticket)
