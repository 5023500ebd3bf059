-- wrk script of bench.sh: one kind of request per run, set by environment variables.
--   BENCH_METHOD, BENCH_PATH   the request (default GET /health)
--   BENCH_TOKENS               file of access tokens, one a line: a Bearer header per request
--   BENCH_OFFSET               first token to use (0-based); tokens are used in order, each once,
--                              wrapping around only when the file runs out (counted as "reused")
--   BENCH_RATE                 requests per second to offer (0 or unset: as fast as the connections go).
--                              Each request has its time slot, one every 1/rate s from the first, and waits
--                              for it: the rate offered does not depend on the server's latency, and requests
--                              a stalled server fell behind on are sent as soon as a connection is free.
-- Prints one line: BENCH requests=.. duration_us=.. p50_us=.. p99_us=.. socket_errors=.. reused=.. codes=200:..,409:..
-- Run it with one wrk thread (-t1): the token order is per thread.
local method = os.getenv("BENCH_METHOD") or "GET"
local path = os.getenv("BENCH_PATH") or "/health"
local tokens_file = os.getenv("BENCH_TOKENS") or ""
local offset = tonumber(os.getenv("BENCH_OFFSET") or "0")
local rate = tonumber(os.getenv("BENCH_RATE") or "0")

local tokens = {}
local sent = 0
codes = {}
reused = 0

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  if tokens_file ~= "" then
    for line in io.lines(tokens_file) do
      tokens[#tokens + 1] = line
    end
  end
end

function request()
  if #tokens == 0 then
    return wrk.format(method, path)
  end
  local index = offset + sent
  sent = sent + 1
  if index >= #tokens then
    reused = reused + 1
  end
  return wrk.format(method, path, { ["Authorization"] = "Bearer " .. tokens[(index % #tokens) + 1] })
end

function response(status, headers, body)
  codes[status] = (codes[status] or 0) + 1
end

if rate > 0 then
  local ffi = require("ffi")
  ffi.cdef([[
    typedef struct { long tv_sec; long tv_usec; } bench_timeval;
    int gettimeofday(bench_timeval *tv, void *tz);
  ]])
  local tv = ffi.new("bench_timeval")
  local function now_ms()
    ffi.C.gettimeofday(tv, nil)
    return tonumber(tv.tv_sec) * 1000 + tonumber(tv.tv_usec) / 1000
  end
  local interval = 1000 / rate
  local slot = nil
  -- wrk asks before each request how long to wait: until the request's slot.
  function delay()
    local now = now_ms()
    slot = (slot or now - interval) + interval
    return math.max(0, math.floor(slot - now))
  end
end

function done(summary, latency, requests)
  local counts, again = {}, 0
  for _, thread in ipairs(threads) do
    for status, n in pairs(thread:get("codes")) do
      counts[status] = (counts[status] or 0) + n
    end
    again = again + thread:get("reused")
  end
  local parts = {}
  for status, n in pairs(counts) do
    parts[#parts + 1] = status .. ":" .. n
  end
  table.sort(parts)
  local e = summary.errors
  io.write(string.format("BENCH requests=%d duration_us=%d p50_us=%d p99_us=%d socket_errors=%d reused=%d codes=%s\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.connect + e.read + e.write + e.timeout, again, table.concat(parts, ",")))
end
