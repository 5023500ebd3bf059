-- wrk script of bench.sh: one kind of request per run, set by environment variables.
--   BENCH_METHOD, BENCH_PATH   the request (default GET /health)
--   BENCH_TOKENS               file of access tokens, one a line: a Bearer header per request
--   BENCH_OFFSET               first token to use (0-based); tokens are used in order, each once,
--                              wrapping around only when the file runs out (counted as "reused")
--   BENCH_DELAY_MS             pause of each connection between two requests (paces a steady rate)
-- Prints one line: BENCH requests=.. duration_us=.. p50_us=.. p99_us=.. socket_errors=.. reused=.. codes=200:..,409:..
-- Run it with one wrk thread (-t1): the token order is per thread.
local method = os.getenv("BENCH_METHOD") or "GET"
local path = os.getenv("BENCH_PATH") or "/health"
local tokens_file = os.getenv("BENCH_TOKENS") or ""
local offset = tonumber(os.getenv("BENCH_OFFSET") or "0")
local delay_ms = tonumber(os.getenv("BENCH_DELAY_MS") or "0")

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

if delay_ms > 0 then
  function delay()
    return delay_ms
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
