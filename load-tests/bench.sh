#!/usr/bin/env bash
# Avalanche benchmark: the packaged server (embedded Redis, PostgreSQL, Kafka) on loopback, measured with wrk
# in one run, scenarios alternating round by round (ping purchase soldout settle, ping purchase ...), the
# median of the rounds reported in one table.
#
#   ping      GET /health with the same Bearer tokens as the purchases: the machine's HTTP ceiling for this server
#   purchase  POST /api/products/{id}/purchase, a distinct user per request, on a product that never sells out
#             (then "purchase80": the same, paced to 80 % of the purchase median rate, for its p99)
#   soldout   the same call on a sold-out product
#   settle    purchases paced to --settle-rate over --settle-connections; the rate of won orders that
#             settled (terminal orders over the span of their reservations: equal to the offered rate when the
#             saga keeps pace, lower when some never settle) and 202->terminal p50/p99, from the orders'
#             created_at/updated_at in PostgreSQL ("n/a" while orders do not settle); the note adds the rate
#             of terminal updates between the first and the last (the saga's pace while busy) and the 202 rate
#   burst     once, after the rounds: purchases at full speed on a fresh product for --seconds, then how long until
#             every order it won is terminal (the saga yields during a burst: target (orders / 2,000) + 10 s) and
#             how many were cancelled
#
# Usage: load-tests/bench.sh [--pin] [--soak SECONDS] [--rounds N] [--seconds S] [--warmup S]
#                            [--connections C] [--settle-rate R] [--settle-connections C] [--soak-rate R] [--jfr DIR]
#                            [--server-jvm "ARGS"] [--jar PATH] [--build] [--only "SCENARIOS"]
#   --pin          server (with its embedded servers) on core 0, wrk on core 1 (taskset)
#   --soak S       instead of the rounds: S seconds of purchases paced to --soak-rate, in slices of 60 s;
#                  reports heap after a full GC and latency per slice, and their drift
#   --only "S..."  run only these scenarios (space-separated, of: ping purchase soldout settle burst; default all);
#                  purchase80 runs after the rounds when purchase is among them
#   --warmup S     before the rounds, S seconds of each scenario (default 20): the JIT compiler still takes
#                  most of a core for the first minute of load, and a drop server runs warm
#   --jfr DIR      after the rounds, one more round of each scenario under Java Flight Recorder (DIR/<name>.jfr)
# The table also gives CPU time per request of the server JVM ("cpu"), of its embedded servers ("deps") and of
# Redis alone among them ("redis").
# Loopback only; every loop is bounded; the server it started is always stopped (SIGTERM, then SIGKILL).
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
# --cluster: one process on one Redis vs. three processes on a 3-master Redis Cluster (bench-cluster.sh).
if [[ " $* " == *" --cluster "* ]]; then
  exec "$HERE/bench-cluster.sh" "$@"
fi
ROOT=$(cd "$HERE/.." && pwd)
PIN=0
SOAK=0
ROUNDS=3
SECONDS_PER_ROUND=10
WARMUP=20
CONNECTIONS=32
# 10 % above the 2,000 orders/s target: a saga that keeps pace shows more than the target.
SETTLE_RATE=2200
# Paced runs wait between requests on each connection: enough connections that the wait, not the latency,
# sets the rate.
SETTLE_CONNECTIONS=256
SOAK_RATE=300
JFR_DIR=""
SERVER_JVM="-Xmx1g"
JAR="$ROOT/target/avalanche.jar"
BUILD=0
ONLY="ping purchase soldout settle burst"

while [ $# -gt 0 ]; do
  case "$1" in
    --pin) PIN=1 ;;
    --soak) SOAK="$2"; shift ;;
    --rounds) ROUNDS="$2"; shift ;;
    --seconds) SECONDS_PER_ROUND="$2"; shift ;;
    --warmup) WARMUP="$2"; shift ;;
    --connections) CONNECTIONS="$2"; shift ;;
    --settle-rate) SETTLE_RATE="$2"; shift ;;
    --settle-connections) SETTLE_CONNECTIONS="$2"; shift ;;
    --soak-rate) SOAK_RATE="$2"; shift ;;
    --jfr) JFR_DIR="$2"; shift ;;
    --server-jvm) SERVER_JVM="$2"; shift ;;
    --jar) JAR="$2"; shift ;;
    --build) BUILD=1 ;;
    --only) ONLY="$2"; shift ;;
    -h|--help) sed -n '2,30p' "$0"; exit 0 ;;
    *) echo "bench: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
for n in "$SOAK" "$ROUNDS" "$SECONDS_PER_ROUND" "$WARMUP" "$CONNECTIONS" "$SETTLE_RATE" "$SETTLE_CONNECTIONS" "$SOAK_RATE"; do
  [[ "$n" =~ ^[0-9]+$ ]] || { echo "bench: '$n' is not a whole number" >&2; exit 2; }
done
[ "$ROUNDS" -ge 1 ] && [ "$SECONDS_PER_ROUND" -ge 1 ] || { echo "bench: --rounds and --seconds must be >= 1" >&2; exit 2; }
read -r -a SCENARIOS <<<"$ONLY"
[ "${#SCENARIOS[@]}" -ge 1 ] || { echo "bench: --only needs at least one scenario" >&2; exit 2; }
for name in "${SCENARIOS[@]}"; do
  case "$name" in
    ping|purchase|soldout|settle|burst) ;;
    *) echo "bench: unknown scenario '$name' in --only (ping purchase soldout settle burst)" >&2; exit 2 ;;
  esac
done
selected() { [[ " ${SCENARIOS[*]} " == *" $1 "* ]]; }

say() { printf '%s bench: %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

# --- tools -------------------------------------------------------------------------------------------------
need() { # command package
  command -v "$1" >/dev/null && return 0
  say "installing $2"
  apt-get install -y -qq "$2" >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq "$2" >/dev/null; }
}
need wrk wrk
need jq jq
need curl curl
need psql postgresql-client
if [ "$PIN" = 1 ]; then
  need taskset util-linux
  [ "$(nproc)" -ge 2 ] || { echo "bench: --pin needs 2 cores" >&2; exit 2; }
fi
if [ "$BUILD" = 1 ] || [ ! -f "$JAR" ]; then
  say "building $JAR"
  (cd "$ROOT" && mvn -q -B package -Dmaven.test.skip=true)
fi

# --- server ------------------------------------------------------------------------------------------------
OUT="$HERE/target/bench"
mkdir -p "$OUT"
WORK=$(mktemp -d /tmp/avalanche-bench.XXXXXX)
LOG="$OUT/server.log"
SERVER_PID=""

stop_server() {
  if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
    say "stopping the server (pid $SERVER_PID)"
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    for _ in $(seq 1 60); do
      kill -0 "$SERVER_PID" 2>/dev/null || break
      sleep 1
    done
    if kill -0 "$SERVER_PID" 2>/dev/null; then
      say "no clean stop within 60 s: SIGKILL"
      kill -KILL "$SERVER_PID" 2>/dev/null || true
    fi
  fi
  SERVER_PID=""
}
cleanup() {
  stop_server
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
  for _ in $(seq 1 100); do
    local port=$((20000 + RANDOM % 30000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      echo "$port"
      return 0
    fi
  done
  echo "bench: no free port found" >&2
  return 1
}

LOAD_AT_START=$(cut -d' ' -f1-3 /proc/loadavg)
PORT=$(free_port)
BASE="http://127.0.0.1:$PORT"
ADMIN_PASSWORD="bench-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
SERVER_CMD=(java $SERVER_JVM -jar "$JAR")
WRK=(wrk)
if [ "$PIN" = 1 ]; then
  SERVER_CMD=(taskset -c 0 "${SERVER_CMD[@]}")
  WRK=(taskset -c 1 wrk)
fi
say "starting ${SERVER_CMD[*]} on $BASE (log: $LOG)"
env AVALANCHE_HTTP_PORT="$PORT" AVALANCHE_HTTP_HOST=127.0.0.1 AVALANCHE_ADMIN_PASSWORD="$ADMIN_PASSWORD" \
  AVALANCHE_LOADTEST=true "${SERVER_CMD[@]}" >"$LOG" 2>&1 &
SERVER_PID=$!
ready=0
for _ in $(seq 1 240); do
  kill -0 "$SERVER_PID" 2>/dev/null || { tail -30 "$LOG" >&2; echo "bench: the server exited while starting" >&2; exit 1; }
  if curl -sf -o /dev/null "$BASE/ready"; then ready=1; break; fi
  sleep 1
done
[ "$ready" = 1 ] || { tail -30 "$LOG" >&2; echo "bench: the server was not ready within 240 s" >&2; exit 1; }
PG_PORT=$(sed -n 's/.*postgresql 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$LOG" | head -1)
PG_URL="postgresql://postgres:postgres@127.0.0.1:${PG_PORT:-0}/avalanche"
REDIS_PORT=$(sed -n 's/.*redis redis:\/\/127\.0\.0\.1:\([0-9]*\).*/\1/p' "$LOG" | head -1)
say "server ready (pid $SERVER_PID, PostgreSQL on ${PG_PORT:-?})"

# --- API helpers -------------------------------------------------------------------------------------------
api() { # method path [json] -> body; fails on a non-2xx
  local method=$1 path=$2 body=${3:-}
  if [ -n "$body" ]; then
    curl -sf -X "$method" "$BASE$path" -H "Authorization: Bearer $ADMIN_TOKEN" -H 'Content-Type: application/json' -d "$body"
  else
    curl -sf -X "$method" "$BASE$path" -H "Authorization: Bearer $ADMIN_TOKEN"
  fi
}
ADMIN_TOKEN=$(curl -sf -X POST "$BASE/api/auth/login" -H 'Content-Type: application/json' \
  -d "{\"email\":\"admin@avalanche.local\",\"password\":\"$ADMIN_PASSWORD\",\"clientId\":\"bench\"}" | jq -r .accessToken)
relogin() {
  ADMIN_TOKEN=$(curl -sf -X POST "$BASE/api/auth/login" -H 'Content-Type: application/json' \
    -d "{\"email\":\"admin@avalanche.local\",\"password\":\"$ADMIN_PASSWORD\",\"clientId\":\"bench\"}" | jq -r .accessToken)
}
product() { # name stock -> productId
  api POST /api/admin/products "{\"name\":\"$1\",\"price\":1,\"stock\":$2,\"grade\":\"COMMON\"}" | jq -r .productId
}
provision() { # count file: appends that many fresh users' access tokens to file
  local left=$1
  while [ "$left" -gt 0 ]; do
    local chunk=$((left < 10000 ? left : 10000))
    api POST /api/admin/loadtest/users "{\"count\":$chunk,\"points\":1000000}" | jq -r '.users[].accessToken' >>"$2"
    left=$((left - chunk))
  done
}
heap_mb() { # heap used now, MB, from /metrics
  curl -sf "$BASE/metrics" | awk 'index($0, "jvm_memory_used_bytes{") == 1 && index($0, "area=\"heap\"") { s += $NF }
    END { printf "%.0f", s / 1048576 }'
}
heap_after_gc_mb() {
  jcmd "$SERVER_PID" GC.run >/dev/null 2>&1 || true
  sleep 1
  heap_mb
}

# run_wrk seconds connections method path tokens offset rate -> the BENCH line (rate 0: unpaced). With PROFILE set, the
# wrk run (and only it, not the set-up before it) is recorded by JFR into $JFR_DIR/$PROFILE.jfr.
PROFILE=""
# The CPU time of the server and its embedded servers is read just before and after the wrk run (into
# $WORK/cpu.before and cpu.after), so the users provisioned for a round are not counted in its cost.
run_wrk() {
  if [ -n "$PROFILE" ]; then
    jcmd "$SERVER_PID" JFR.start name="$PROFILE" settings="$JFR_DIR/sampling.jfc" >/dev/null
    redis_stats_reset
  fi
  cpu_ticks > "$WORK/cpu.before"
  BENCH_METHOD=$3 BENCH_PATH=$4 BENCH_TOKENS=$5 BENCH_OFFSET=$6 BENCH_RATE=$7 \
    "${WRK[@]}" -t1 -c"$2" -d"$1"s --timeout 10s -s "$HERE/bench.lua" "$BASE" | grep '^BENCH ' || echo "BENCH requests=0"
  cpu_ticks > "$WORK/cpu.after"
  if [ -n "$PROFILE" ]; then
    jcmd "$SERVER_PID" JFR.stop name="$PROFILE" filename="$JFR_DIR/$PROFILE.jfr" >/dev/null
    redis_stats "$JFR_DIR/$PROFILE.redis.txt"
  fi
  return 0
}
field() { # line name -> value ("0" when absent)
  local v; v=$(sed -n "s/.* $2=\([^ ]*\).*/\1/p" <<<"$1")
  echo "${v:-0}"
}
rps_of() { awk -v r="$(field "$1" requests)" -v d="$(field "$1" duration_us)" 'BEGIN { printf "%.0f", (d > 0 ? r * 1e6 / d : 0) }'; }
ms() { awk -v us="$1" 'BEGIN { printf "%.2f", us / 1000 }'; }
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print ((NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }
unexpected() { # line expected-status -> count of other answers and socket errors
  local codes; codes=$(field "$1" codes)
  local other
  other=$(tr ',' '\n' <<<"$codes" | awk -F: -v ok="$2" '$1 != "" && $1 != ok { s += $2 } END { print s + 0 }')
  echo $((other + $(field "$1" socket_errors)))
}

# --- set-up ------------------------------------------------------------------------------------------------
BIG=$(product bench-huge-stock 10000000)   # the largest stock the API takes (README, "Input bounds")
SOLD=$(product bench-sold-out 1)
POOL="$WORK/pool.txt"
provision 20000 "$POOL"
first=$(head -1 "$POOL")
curl -sf -o /dev/null -X POST "$BASE/api/products/$SOLD/purchase" -H "Authorization: Bearer $first" \
  || { echo "bench: could not sell the sold-out product out" >&2; exit 1; }
say "products: huge stock $BIG, sold out $SOLD; 20,000 users for the sold-out and ping rounds"

# The purchase rounds use each user once: tokens are provisioned per round, three times the best rate seen so far.
PURCHASE_GUESS=6000
# Then it waits until the server is quiet again: PostgreSQL's work after hundreds of thousands of sign-ups (WAL,
# autovacuum) would otherwise share the cores with the round that follows.
purchase_tokens() { # seconds rate [tenths: 30] -> file with enough fresh tokens (rate x seconds x tenths / 10)
  local file="$WORK/tokens-$RANDOM$RANDOM.txt"
  provision $(( ($1 * $2 * ${3:-30} / 10) + 1000 )) "$file"
  await_quiet
  echo "$file"
}

# run_paced seconds connections rate path tokens -> the BENCH line of purchases offered at rate/s (bench.lua
# gives every request its time slot, so the rate does not depend on the latency).
run_paced() {
  run_wrk "$1" "$2" POST "$4" "$5" 0 "$3"
}

# settle_round seconds -> "orders/s p50_ms p99_ms note"
settle_round() {
  local seconds=$1 product tokens line won all settled
  product=$(product "bench-settle-$RANDOM" 10000000)
  tokens=$(purchase_tokens "$seconds" "$SETTLE_RATE" 12)
  line=$(run_paced "$seconds" "$SETTLE_CONNECTIONS" "$SETTLE_RATE" "/api/products/$product/purchase" "$tokens")
  rm -f "$tokens"
  won=$(tr ',' '\n' <<<"$(field "$line" codes)" | awk -F: '$1 == "202" { print $2 }')
  won=${won:-0}
  # Every reservation won on the product: all of them must settle before reading.
  all=$(api GET "/api/admin/products/$product/stats" | jq -r .won)
  if [ -z "$PG_PORT" ]; then echo "n/a n/a n/a no-PostgreSQL-port-in-banner"; return; fi
  # Bounded wait for the backlog to settle: until every won reservation has a terminal order, at most 30 s.
  # Gives up after 10 s when nothing settles at all.
  for i in $(seq 1 30); do
    settled=$(psql "$PG_URL" -Atqc "SELECT count(*) FROM orders WHERE product_id = $product AND status IN ('COMPLETED','CANCELLED')" 2>/dev/null || echo 0)
    [ "${settled:-0}" -ge "$all" ] && break
    [ "$i" -ge 10 ] && [ "${settled:-0}" -eq 0 ] && break
    sleep 1
  done
  if [ "${settled:-0}" -eq 0 ]; then
    echo "n/a n/a n/a n/a:-orders-not-settling($won-won,-0-settled)"
    return
  fi
  psql "$PG_URL" -Atq -F' ' -c "
    SELECT round(count(*) / greatest(extract(epoch FROM max(created_at) - min(created_at)), 0.001), 0),
           round((percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM updated_at - created_at)) * 1000)::numeric, 1),
           round((percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM updated_at - created_at)) * 1000)::numeric, 1),
           '$settled/$all-settled,-' || round(count(*) / greatest(extract(epoch FROM max(updated_at) - min(updated_at)), 0.001), 0)
             || '/s-while-settling,-' || round($won / $seconds.0, 0) || '/s-won'
    FROM orders WHERE product_id = $product AND status IN ('COMPLETED','CANCELLED')"
}

# CPU time of the server JVM and, separately, of its children (embedded Redis, PostgreSQL, Kafka), in clock ticks.
CLK_TCK=$(getconf CLK_TCK)
descendants() { local child; for child in $(pgrep -P "$1" || true); do echo "$child"; descendants "$child"; done; }
cpu_ticks() { # -> "server deps redis" (deps includes redis)
  local server deps=0 redis=0 pid t
  server=$(awk '{ print $14 + $15 }' "/proc/$SERVER_PID/stat")
  for pid in $(descendants "$SERVER_PID"); do
    t=$(awk '{ print $14 + $15 + $16 + $17 }' "/proc/$pid/stat" 2>/dev/null || echo 0)
    deps=$((deps + ${t:-0}))
    if [[ "$(cat "/proc/$pid/comm" 2>/dev/null)" == redis* ]]; then redis=$((redis + ${t:-0})); fi
  done
  echo "$server $deps $redis"
}
us_per_request() { # ticks requests -> microseconds of CPU per request
  awk -v t="$1" -v r="$2" -v hz="$CLK_TCK" 'BEGIN { printf "%.0f", (r > 0 ? t * 1e6 / hz / r : 0) }'
}

# Waits (at most 120 s) until the whole machine uses under a fifth of a core, so a round does not pay for the saga
# backlog an earlier round left behind. The machine's CPU time, not the server's: the embedded PostgreSQL runs
# detached from the server's process tree.
machine_busy_ticks() { awk '$1 == "cpu" { print $2 + $3 + $4 + $7 + $8 + $9 }' /proc/stat; }
await_quiet() {
  local before after
  for _ in $(seq 1 120); do
    before=$(machine_busy_ticks)
    sleep 1
    after=$(machine_busy_ticks)
    [ $(( after - before )) -lt $(( CLK_TCK / 5 )) ] && return 0
  done
  say "the machine is still busy after 120 s; measuring anyway"
}

# Redis's own time per command over a profiled round (scripts' inner commands listed too), in NAME.redis.txt.
redis_stats_reset() {
  if [ -n "$REDIS_PORT" ] && command -v redis-cli >/dev/null; then redis-cli -p "$REDIS_PORT" CONFIG RESETSTAT >/dev/null; fi
}
redis_stats() { # file
  if [ -z "$REDIS_PORT" ] || ! command -v redis-cli >/dev/null; then return; fi
  redis-cli -p "$REDIS_PORT" INFO commandstats | tr -d '\r' |
    awk -F'[:=,]' '/^cmdstat_/ { printf "%-28s %10d calls %12d us %8.2f us/call\n", substr($1, 9), $3, $5, $7 }' |
    sort -k4 -nr > "$1"
}

blocked_warnings() { grep -c "has been blocked for" "$LOG" || true; }

# --- soak --------------------------------------------------------------------------------------------------
if [ "$SOAK" -gt 0 ]; then
  slice=$(( SOAK < 60 ? SOAK : 60 ))
  slices=$(( (SOAK + slice - 1) / slice ))
  TOKENS="$WORK/soak.txt"
  users=$((SOAK * SOAK_RATE * 6 / 5 + slices * CONNECTIONS + 1000))
  say "soak: $slices slices of $slice s at ~$SOAK_RATE purchases/s; provisioning $users users"
  provision "$users" "$TOKENS"
  offset=0
  printf '\n%-6s %10s %10s %10s %14s %10s\n' slice "req/s" "p50 ms" "p99 ms" "heap after GC" "unexpected"
  first_heap=""; first_p99=""
  for i in $(seq 1 "$slices"); do
    relogin
    line=$(run_wrk "$slice" "$CONNECTIONS" POST "/api/products/$BIG/purchase" "$TOKENS" "$offset" "$SOAK_RATE")
    offset=$((offset + $(field "$line" requests) + CONNECTIONS))  # requests still in flight used a token too
    heap=$(heap_after_gc_mb)
    p99=$(ms "$(field "$line" p99_us)")
    printf '%-6s %10s %10s %10s %11s MB %10s\n' "$i" "$(rps_of "$line")" "$(ms "$(field "$line" p50_us)")" "$p99" "$heap" \
      "$(unexpected "$line" 202)"
    first_heap=${first_heap:-$heap}; first_p99=${first_p99:-$p99}
  done
  printf '\ndrift over %s s: heap after GC %s MB -> %s MB, p99 %s ms -> %s ms; blocked-thread warnings: %s\n' \
    "$SOAK" "$first_heap" "$heap" "$first_p99" "$p99" "$(blocked_warnings)"
  exit 0
fi

# burst_round seconds -> "req/s won drain_s bound_s settled cancelled": purchases at full speed on a fresh product
# for `seconds`, then how long after the burst the last of its orders became terminal in PostgreSQL (the saga
# yields during the burst and settles the backlog afterwards). Waits at most the target ((won / 2,000) + 10 s)
# plus 60 s.
burst_round() {
  local seconds=$1 product tokens line ended won bound settled=0 drain cancelled
  product=$(product "bench-burst-$RANDOM" 10000000)
  tokens=$(purchase_tokens "$seconds" "$PURCHASE_GUESS")
  line=$(run_wrk "$seconds" "$CONNECTIONS" POST "/api/products/$product/purchase" "$tokens" 0 0)
  ended=$(date +%s.%N)
  rm -f "$tokens"
  won=$(api GET "/api/admin/products/$product/stats" | jq -r .won)
  bound=$(( won / 2000 + 10 ))
  if [ -z "$PG_PORT" ]; then echo "$(rps_of "$line") $won n/a $bound n/a n/a"; return; fi
  for _ in $(seq 1 $((bound + 60))); do
    settled=$(psql "$PG_URL" -Atqc "SELECT count(*) FROM orders WHERE product_id = $product AND status IN ('COMPLETED','CANCELLED')" 2>/dev/null || echo 0)
    [ "${settled:-0}" -ge "$won" ] && break
    sleep 1
  done
  drain=$(psql "$PG_URL" -Atqc "SELECT round((extract(epoch FROM max(updated_at)) - $ended)::numeric, 1) FROM orders WHERE product_id = $product" 2>/dev/null || echo n/a)
  cancelled=$(psql "$PG_URL" -Atqc "SELECT count(*) FROM orders WHERE product_id = $product AND status = 'CANCELLED'" 2>/dev/null || echo n/a)
  echo "$(rps_of "$line") $won ${drain:-n/a} $bound ${settled:-0} $cancelled"
}

# --- rounds ------------------------------------------------------------------------------------------------
declare -A RPS P50 P99 HEAP BAD NOTE CPU DEPS REDIS
run_scenario() { # name seconds -> one measurement into the arrays
  local name=$1 seconds=$2 line tokens rate before after
  case "$name" in
    # ping carries the same Bearer tokens as the purchases, so wrk does the same work per request in every
    # scenario and the ratios compare the server's paths, not the load generator's.
    ping) line=$(run_wrk "$seconds" "$CONNECTIONS" GET /health "$POOL" 0 0); bad=$(unexpected "$line" 200) ;;
    soldout) line=$(run_wrk "$seconds" "$CONNECTIONS" POST "/api/products/$SOLD/purchase" "$POOL" 0 0); bad=$(unexpected "$line" 409) ;;
    purchase80)
      # Paced to 80 % of the purchase median, over the same connections as the purchase rounds.
      rate=$(awk -v m="$(median ${RPS[purchase]})" 'BEGIN { printf "%d", m * 4 / 5 }')
      tokens=$(purchase_tokens "$seconds" "$rate" 12)
      line=$(run_paced "$seconds" "$CONNECTIONS" "$rate" "/api/products/$BIG/purchase" "$tokens")
      rm -f "$tokens"
      bad=$(unexpected "$line" 202)
      NOTE[purchase80]="paced to ~$rate/s (80 % of the purchase median)"
      ;;
    purchase)
      tokens=$(purchase_tokens "$seconds" "$PURCHASE_GUESS")
      line=$(run_wrk "$seconds" "$CONNECTIONS" POST "/api/products/$BIG/purchase" "$tokens" 0 0)
      rm -f "$tokens"
      bad=$(unexpected "$line" 202)
      [ "$(field "$line" reused)" -gt 0 ] && NOTE[purchase]="tokens ran out: some users bought twice (409)"
      rate=$(rps_of "$line"); PURCHASE_GUESS=$(( rate > PURCHASE_GUESS ? rate : PURCHASE_GUESS ))
      ;;
    settle)
      read -r rate p50 p99 note <<<"$(settle_round "$seconds")"
      RPS[settle]+="$rate "; P50[settle]+="$p50 "; P99[settle]+="$p99 "; NOTE[settle]=$note
      HEAP[settle]=$(printf '%s\n' "${HEAP[settle]:-0}" "$(heap_mb)" | sort -g | tail -1)
      return
      ;;
  esac
  read -r -a before <"$WORK/cpu.before"
  read -r -a after <"$WORK/cpu.after"
  CPU[$name]+="$(us_per_request $((after[0] - before[0])) "$(field "$line" requests)") "
  DEPS[$name]+="$(us_per_request $((after[1] - before[1])) "$(field "$line" requests)") "
  REDIS[$name]+="$(us_per_request $((after[2] - before[2])) "$(field "$line" requests)") "
  RPS[$name]+="$(rps_of "$line") "
  P50[$name]+="$(ms "$(field "$line" p50_us)") "
  P99[$name]+="$(ms "$(field "$line" p99_us)") "
  BAD[$name]=$(( ${BAD[$name]:-0} + bad ))
  HEAP[$name]=$(printf '%s\n' "${HEAP[$name]:-0}" "$(heap_mb)" | sort -g | tail -1)
}

say "warm-up: $WARMUP s of each scenario"
for name in ping purchase soldout; do
  # only the scenarios asked for (a purchase warm-up would leave a saga backlog in front of settle)
  if selected "$name"; then run_scenario "$name" "$WARMUP"; fi
done
if selected settle; then
  # a short settle round, not counted: the saga's code paths get compiled before the measured rounds
  settle_round "$WARMUP" >/dev/null
fi
unset RPS P50 P99 HEAP BAD NOTE CPU DEPS REDIS
declare -A RPS P50 P99 HEAP BAD NOTE CPU DEPS REDIS
for round in $(seq 1 "$ROUNDS"); do
  relogin
  for name in "${SCENARIOS[@]}"; do
    [ "$name" = burst ] && continue
    await_quiet
    say "round $round/$ROUNDS: $name ($SECONDS_PER_ROUND s)"
    run_scenario "$name" "$SECONDS_PER_ROUND"
  done
done
if selected purchase; then
  for round in $(seq 1 "$ROUNDS"); do
    await_quiet
    say "round $round/$ROUNDS: purchase paced to 80 % of its median rate ($SECONDS_PER_ROUND s)"
    run_scenario purchase80 "$SECONDS_PER_ROUND"
  done
fi

if selected burst; then
  await_quiet
  say "burst: $SECONDS_PER_ROUND s of purchases at full speed, then the wait until every order is terminal"
  read -r B_RPS B_WON B_DRAIN B_BOUND B_SETTLED B_CANCELLED <<<"$(burst_round "$SECONDS_PER_ROUND")"
fi
if [ -n "$JFR_DIR" ]; then
  mkdir -p "$JFR_DIR"
  JFR_DIR=$(cd "$JFR_DIR" && pwd)
  # The "profile" settings, sampling every 1 ms instead of 10: a round of a few seconds gets enough samples.
  java_home=$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")
  sed 's/<setting name="period" control="method-sampling-java-interval">10 ms</<setting name="period" control="method-sampling-java-interval">1 ms</' \
    "$java_home/lib/jfr/profile.jfc" > "$JFR_DIR/sampling.jfc"
  # settle: the saga settling while purchases come in.
  for name in ping purchase soldout settle; do
    selected "$name" || continue
    await_quiet
    say "profiling $name under JFR"
    saved=("${RPS[$name]:-}" "${P50[$name]:-}" "${P99[$name]:-}" "${CPU[$name]:-}" "${DEPS[$name]:-}" "${REDIS[$name]:-}" "${NOTE[$name]:-}")
    PROFILE=$name
    run_scenario "$name" "$SECONDS_PER_ROUND"
    PROFILE=""
    RPS[$name]=${saved[0]}; P50[$name]=${saved[1]}; P99[$name]=${saved[2]}; CPU[$name]=${saved[3]}; DEPS[$name]=${saved[4]}; REDIS[$name]=${saved[5]}
    NOTE[$name]=${saved[6]}
  done
  say "recordings in $JFR_DIR (jfr print --events jdk.ExecutionSample FILE; NAME.redis.txt: Redis time by command)"
fi

# --- table -------------------------------------------------------------------------------------------------
PING=$(median ${RPS[ping]:-0})
mode=$([ "$PIN" = 1 ] && echo "pinned: server+embedded servers on core 0, wrk on core 1" || echo "unpinned")
printf '\nAvalanche bench: %s rounds x %s s, %s connections, %s; %s cores, %s; load average %s at start, %s at end\n' \
  "$ROUNDS" "$SECONDS_PER_ROUND" "$CONNECTIONS" "$mode" "$(nproc)" \
  "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')" "$LOAD_AT_START" "$(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-10s %9s %9s %9s %9s %9s %11s %11s %12s %11s  %s\n' scenario "req/s" "p50 ms" "p99 ms" "x ping" "heap MB" \
  "cpu us/req" "deps us/req" "redis us/req" unexpected note
for name in ping purchase purchase80 soldout settle; do
  if [ "$name" = purchase80 ]; then selected purchase || continue; else selected "$name" || continue; fi
  if [ "$name" = settle ]; then
    if [[ "${RPS[settle]}" == n/a* ]]; then
      printf '%-10s %9s %9s %9s %9s %9s %11s %11s %12s %11s  %s\n' settle n/a n/a n/a n/a "${HEAP[settle]}" - - - - \
        "${NOTE[settle]//-/ }"
    else
      printf '%-10s %9s %9s %9s %9s %9s %11s %11s %12s %11s  %s\n' settle "$(median ${RPS[settle]})" "$(median ${P50[settle]})" \
        "$(median ${P99[settle]})" - "${HEAP[settle]}" - - - - \
        "orders/s and 202->terminal at ~$SETTLE_RATE/s offered over $SETTLE_CONNECTIONS connections (${NOTE[settle]})"
    fi
    continue
  fi
  rps=$(median ${RPS[$name]})
  printf '%-10s %9s %9s %9s %9s %9s %11s %11s %12s %11s  %s\n' "$name" "$rps" "$(median ${P50[$name]})" "$(median ${P99[$name]})" \
    "$(awk -v a="$rps" -v b="$PING" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')" "${HEAP[$name]}" \
    "$(median ${CPU[$name]})" "$(median ${DEPS[$name]})" "$(median ${REDIS[$name]})" "${BAD[$name]}" "${NOTE[$name]:-}"
done
printf 'rounds (req/s): ping %s| purchase %s| purchase80 %s| soldout %s| settle %s\n' "${RPS[ping]:-}" "${RPS[purchase]:-}" \
  "${RPS[purchase80]:-}" "${RPS[soldout]:-}" "${RPS[settle]:-}"
if selected settle; then
  printf 'settle rounds: p50 ms %s| p99 ms %s\n' "${P50[settle]:-}" "${P99[settle]:-}"
fi
if selected burst; then
  printf 'burst: %s s at %s req/s, %s orders won; the last became terminal %s s after the burst (target: within %s s); terminal %s, CANCELLED %s\n' \
    "$SECONDS_PER_ROUND" "${B_RPS:-n/a}" "${B_WON:-n/a}" "${B_DRAIN:-n/a}" "${B_BOUND:-n/a}" "${B_SETTLED:-n/a}" "${B_CANCELLED:-n/a}"
fi
printf 'heap after a full GC at the end: %s MB; blocked-thread warnings in the server log: %s\n' "$(heap_after_gc_mb)" "$(blocked_warnings)"
# Every order of the run (warm-ups included) by status, once the last rounds' sagas settled (at most 60 s): a saga
# that could not keep up shows as CANCELLED TIMEOUT, one still open as PENDING.
if [ -n "$PG_PORT" ]; then
  for _ in $(seq 1 60); do
    [ "$(psql "$PG_URL" -Atqc "SELECT count(*) FROM orders WHERE status = 'PENDING'" 2>/dev/null || echo 0)" = 0 ] && break
    sleep 1
  done
  printf 'orders at the end, by status: %s\n' "$(psql "$PG_URL" -Atqc "
    SELECT coalesce(string_agg(status || coalesce(' ' || failure_reason, '') || ' ' || n, ', ' ORDER BY status, failure_reason), 'none')
      FROM (SELECT status, failure_reason, count(*) AS n FROM orders GROUP BY 1, 2) counts" 2>/dev/null || echo n/a)"
fi
