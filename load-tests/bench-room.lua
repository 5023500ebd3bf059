-- wrk script of bench-room.sh: each request takes the next line of BENCH_LINES, "<token> <path>", once (wrapping
-- around when they run out, counted as "reused"), with BENCH_METHOD. Prints the same BENCH line as bench.lua.
local method = os.getenv("BENCH_METHOD") or "GET"
local lines = {}
local sent = 0
codes = {}
reused = 0
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  for line in io.lines(os.getenv("BENCH_LINES")) do
    local token, path = line:match("^(%S+) (%S+)$")
    lines[#lines + 1] = { token, path }
  end
end

function request()
  local index = sent
  sent = sent + 1
  if index >= #lines then
    reused = reused + 1
  end
  local line = lines[(index % #lines) + 1]
  return wrk.format(method, line[2], { ["Authorization"] = "Bearer " .. line[1] })
end

function response(status, headers, body)
  codes[status] = (codes[status] or 0) + 1
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
  io.write(string.format("BENCH requests=%d duration_us=%d p50_us=%d p99_us=%d socket_errors=%d reused=%d codes=%s\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout, again,
    table.concat(parts, ",")))
end
