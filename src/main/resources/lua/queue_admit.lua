-- One admission step of a product's waiting room; every process with the jobs role may run it at any time, and
-- running it twice admits nobody twice: how many have been admitted is computed from the time since admission
-- began (admitPerSecond), and the script only admits the part of that not admitted yet.
-- In order: (1) tickets in line not polled within the poll timeout expire; (2) admissions not used within their
-- validity expire; (3) once no unit is available the line turns SOLD_OUT, a batch per step; otherwise, from dropAt,
-- (4) the pre-queue is shuffled, once: one seeded Fisher-Yates shuffle gives its tickets the places 1..n, and the
-- room records that it is done (and the seed), so no later step shuffles again; (5) the line's head is admitted.
-- KEYS: 1 product hash, 2 room hash, 3 line zset, 4 seen zset, 5 tickets hash, 6 admitted zset, 7 used set
-- ARGV: 1 now (ms), 2 shuffle seed (int32), 3 poll timeout (ms), 4 admission validity (ms), 5 most tickets per part
-- Returns {} without a room, else {waiting, admitted total, expired total, admitted now}
local LATE = 1099511627776
local meta = redis.call('HMGET', KEYS[1], 'room', 'dropAt', 'available')
if not meta[1] then
  return {}
end
local now, rate, dropAt = tonumber(ARGV[1]), tonumber(meta[1]), tonumber(meta[2])
local batch = tonumber(ARGV[5])
local left, expired, admitted = 0, 0, 0

-- A ticket's record: userId|state|at|place (see waitingroom/RoomKeys.tickets).
local function mark(ticket, state, at, place)
  local owner = string.match(redis.call('HGET', KEYS[5], ticket), '^(%d+)|')
  redis.call('HSET', KEYS[5], ticket, owner .. '|' .. state .. '|' .. at .. '|' .. (place or ''))
end

local stale = redis.call('ZRANGEBYSCORE', KEYS[4], '-inf', '(' .. (now - tonumber(ARGV[3])), 'LIMIT', 0, batch)
for _, ticket in ipairs(stale) do
  redis.call('ZREM', KEYS[3], ticket)
  redis.call('ZREM', KEYS[4], ticket)
  mark(ticket, 'E', '')
end
expired = expired + #stale
left = left + #stale

local lapsed = redis.call('ZRANGEBYSCORE', KEYS[6], '-inf', '(' .. (now - tonumber(ARGV[4])), 'WITHSCORES',
  'LIMIT', 0, batch)
for i = 1, #lapsed, 2 do
  redis.call('ZREM', KEYS[6], lapsed[i])
  if redis.call('SISMEMBER', KEYS[7], lapsed[i]) == 0 then
    mark(lapsed[i], 'E', lapsed[i + 1])
    expired = expired + 1
  end
end

if tonumber(meta[3]) <= 0 then
  local gone = redis.call('ZPOPMIN', KEYS[3], batch)
  for i = 1, #gone, 2 do
    redis.call('ZREM', KEYS[4], gone[i])
    mark(gone[i], 'S', '')
  end
  left = left + #gone / 2
elseif now >= dropAt then
  if redis.call('HSETNX', KEYS[2], 'shuffled', now) == 1 then
    local scored = redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', '(' .. LATE, 'WITHSCORES')
    -- Before the shuffle a pre-queue ticket's score is its join number: the last one counts later joiners' places.
    local preSeq = #scored > 0 and scored[#scored] or '0'
    local pre = {}
    for i = 1, #scored, 2 do
      pre[#pre + 1] = scored[i]
    end
    math.randomseed(tonumber(ARGV[2]))
    for i = #pre, 2, -1 do
      local j = math.random(i)
      pre[i], pre[j] = pre[j], pre[i]
    end
    local places = {}
    for i = 1, #pre do
      places[#places + 1] = i
      places[#places + 1] = pre[i]
      if #places >= 2000 or i == #pre then
        redis.call('ZADD', KEYS[3], 'XX', unpack(places))
        places = {}
      end
    end
    redis.call('HSET', KEYS[2], 'seed', ARGV[2], 'preQueued', #pre, 'preSeq', preSeq, 'admitFrom', now, 'slots', 0)
  end
  -- Slot k (k = 1, 2, ...) opens at admitFrom + (k - 1) / rate seconds. Slots nobody was in line for are not
  -- saved up: a line that empties and fills again is not admitted in a burst.
  local room = redis.call('HMGET', KEYS[2], 'admitFrom', 'slots')
  local due = math.floor((now - tonumber(room[1])) * rate / 1000) + 1
  local slots = tonumber(room[2])
  local take = math.min(due - slots, batch)
  if take > 0 then
    local head = redis.call('ZPOPMIN', KEYS[3], take)
    admitted = #head / 2
    local counts = redis.call('HMGET', KEYS[2], 'preQueued', 'preSeq')
    for i = 1, #head, 2 do
      redis.call('ZREM', KEYS[4], head[i])
      redis.call('ZADD', KEYS[6], now, head[i])
      local score = tonumber(head[i + 1])
      local place = score < LATE and score or tonumber(counts[1]) + score - LATE - tonumber(counts[2])
      mark(head[i], 'A', ARGV[1], tostring(place))
    end
    redis.call('HSET', KEYS[2], 'slots', admitted < take and due or slots + take)
  end
end

-- 0 - n, not -n: Lua writes -0 for a negated zero, which HINCRBY refuses.
local waiting = redis.call('HINCRBY', KEYS[1], 'qWaiting', 0 - (left + admitted))
local admittedTotal = redis.call('HINCRBY', KEYS[1], 'qAdmitted', admitted)
local expiredTotal = redis.call('HINCRBY', KEYS[1], 'qExpired', expired)
return {waiting, admittedTotal, expiredTotal, admitted}
