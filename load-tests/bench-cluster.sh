#!/usr/bin/env bash
# bench.sh --cluster: in one run, on this box, purchases on a hot product (stock 10^7, a distinct user per request)
#   A. one process (every role) on one Redis (embedded: the ordinary start), wrk against it;
#   B. three processes on a local Redis Cluster of 3 masters + 3 replicas (load-tests/redis-cluster.sh):
#      the first takes every role and starts the embedded PostgreSQL/Kafka/SMTP, the other two are `api` on the
#      same servers; three wrk processes (one per process, CONNECTIONS/3 connections each) at once.
# Reports req/s (sum), p99 (worst of the wrk runs) and the server CPU per request (all Avalanche JVMs, plus the
# redis-servers), each on a plain hot product and on one split over 6 buckets.
# Usage: load-tests/bench-cluster.sh [--seconds S] [--warmup S] [--connections C] [--jar PATH]
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
SECONDS_PER_RUN=10
WARMUP=10
CONNECTIONS=48
JAR="$ROOT/target/avalanche.jar"
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) SECONDS_PER_RUN="$2"; shift ;;
    --warmup) WARMUP="$2"; shift ;;
    --connections) CONNECTIONS="$2"; shift ;;
    --jar) JAR="$2"; shift ;;
    --cluster) ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    *) echo "bench-cluster: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
for n in "$SECONDS_PER_RUN" "$WARMUP" "$CONNECTIONS"; do
  [[ "$n" =~ ^[0-9]+$ ]] || { echo "bench-cluster: '$n' is not a whole number" >&2; exit 2; }
done
command -v redis-server >/dev/null && command -v redis-cli >/dev/null \
  || { apt-get install -y -qq redis-server redis-tools >/dev/null || { apt-get update -qq && apt-get install -y -qq redis-server redis-tools >/dev/null; }; }
for tool in wrk jq curl; do command -v "$tool" >/dev/null || apt-get install -y -qq "$tool" >/dev/null; done
[ -f "$JAR" ] || (cd "$ROOT" && mvn -q -B package -Dmaven.test.skip=true)

say() { printf '%s bench-cluster: %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
OUT="$HERE/target/bench"
mkdir -p "$OUT"
WORK=$(mktemp -d /tmp/avalanche-bench-cluster.XXXXXX)
PIDS=()
REDIS_DIR=""
cleanup() {
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do
    for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
    kill -KILL "$pid" 2>/dev/null || true
  done
  PIDS=()
  [ -n "$REDIS_DIR" ] && "$HERE/redis-cluster.sh" --stop "$REDIS_DIR"
  REDIS_DIR=""
}
trap 'cleanup; rm -rf "$WORK"' EXIT
trap 'exit 130' INT TERM

free_port() {
  for _ in $(seq 1 100); do
    local port=$((20000 + RANDOM % 30000))
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || { echo "$port"; return 0; }
  done
  return 1
}
SECRET=$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')
PII=$(head -c 32 /dev/urandom | base64)
ADMIN_PASSWORD="bench-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"

start() { # name port extra-env... -> starts a process, waits for /ready
  local name=$1 port=$2; shift 2
  env AVALANCHE_HTTP_PORT="$port" AVALANCHE_HTTP_HOST=127.0.0.1 AVALANCHE_ADMIN_PASSWORD="$ADMIN_PASSWORD" \
    AVALANCHE_LOADTEST=true AVALANCHE_JWT_SECRET="$SECRET" AVALANCHE_PII_KEY="$PII" "$@" \
    java -Xmx1g -Djava.io.tmpdir="$WORK" -jar "$JAR" >"$OUT/cluster-$name.log" 2>&1 &
  PIDS+=($!)
  for _ in $(seq 1 300); do
    curl -sf -o /dev/null "http://127.0.0.1:$port/ready" && return 0
    kill -0 "${PIDS[-1]}" 2>/dev/null || { tail -20 "$OUT/cluster-$name.log" >&2; exit 1; }
    sleep 1
  done
  echo "bench-cluster: $name not ready in 300 s" >&2; exit 1
}
token() { # port
  curl -sf -X POST "http://127.0.0.1:$1/api/auth/login" -H 'Content-Type: application/json' \
    -d "{\"email\":\"admin@avalanche.local\",\"password\":\"$ADMIN_PASSWORD\",\"clientId\":\"bench\"}" | jq -r .accessToken
}
tokens() { # port admin count file
  local left=$3
  while [ "$left" -gt 0 ]; do
    local chunk=$((left < 10000 ? left : 10000))
    curl -sf -X POST "http://127.0.0.1:$1/api/admin/loadtest/users" -H "Authorization: Bearer $2" \
      -H 'Content-Type: application/json' -d "{\"count\":$chunk,\"points\":1000000}" | jq -r '.users[].accessToken' >>"$4"
    left=$((left - chunk))
  done
}
field() { local v; v=$(sed -n "s/.* $2=\([^ ]*\).*/\1/p" <<<"$1"); echo "${v:-0}"; }
cpu_ticks() { # pids... -> utime+stime (+ children) of the given processes and their descendants
  local total=0 pid
  for pid in "$@" $(for p in "$@"; do pgrep -P "$p" || true; done); do
    total=$((total + $(awk '{ print $14 + $15 }' "/proc/$pid/stat" 2>/dev/null || echo 0)))
  done
  echo "$total"
}
redis_pids() { [ -n "$REDIS_DIR" ] && cat "$REDIS_DIR"/*/redis.pid 2>/dev/null || true; }

# measure label product ports... -> one table row. Each port gets CONNECTIONS/n connections and its own tokens.
measure() {
  local label=$1 product=$2; shift 2
  local ports=("$@") n=$# admin files=() wrks=() i per=$((CONNECTIONS / $#)) before after requests=0 dur=0 p99=0 codes=""
  admin=$(token "${ports[0]}")
  for i in "${!ports[@]}"; do
    files[$i]="$WORK/tokens-$i.txt"; : >"${files[$i]}"
    tokens "${ports[0]}" "$admin" $(( (SECONDS_PER_RUN + WARMUP) * 2500 / n + 2000 )) "${files[$i]}"
  done
  say "$label: warm-up ${WARMUP}s"
  for i in "${!ports[@]}"; do
    BENCH_METHOD=POST BENCH_PATH="/api/products/$product/purchase" BENCH_TOKENS="${files[$i]}" BENCH_OFFSET=0 BENCH_DELAY_MS=0 \
      wrk -t1 -c"$per" -d"${WARMUP}s" --timeout 10s -s "$HERE/bench.lua" "http://127.0.0.1:${ports[$i]}" >"$WORK/warm-$i.txt" &
    wrks+=($!)
  done
  wait "${wrks[@]}"; wrks=()
  before=$(cpu_ticks "${PIDS[@]}" $(redis_pids))
  say "$label: measuring ${SECONDS_PER_RUN}s"
  for i in "${!ports[@]}"; do
    offset=$(field "$(grep '^BENCH ' "$WORK/warm-$i.txt" || echo x)" requests)
    BENCH_METHOD=POST BENCH_PATH="/api/products/$product/purchase" BENCH_TOKENS="${files[$i]}" BENCH_OFFSET=$((offset + per)) BENCH_DELAY_MS=0 \
      wrk -t1 -c"$per" -d"${SECONDS_PER_RUN}s" --timeout 10s -s "$HERE/bench.lua" "http://127.0.0.1:${ports[$i]}" >"$WORK/run-$i.txt" &
    wrks+=($!)
  done
  wait "${wrks[@]}"; wrks=()
  after=$(cpu_ticks "${PIDS[@]}" $(redis_pids))
  for i in "${!ports[@]}"; do
    line=$(grep '^BENCH ' "$WORK/run-$i.txt" || echo "BENCH requests=0")
    requests=$((requests + $(field "$line" requests)))
    dur=$(awk -v a="$dur" -v b="$(field "$line" duration_us)" 'BEGIN { print (b > a ? b : a) }')
    p99=$(awk -v a="$p99" -v b="$(field "$line" p99_us)" 'BEGIN { print (b > a ? b : a) }')
    codes="$codes${codes:+ }$(field "$line" codes)"
  done
  awk -v l="$label" -v r="$requests" -v d="$dur" -v p="$p99" -v t="$((after - before))" -v hz="$(getconf CLK_TCK)" -v c="$codes" \
    'BEGIN { printf "| %s | %.0f | %.1f | %.0f | %s |\n", l, (d > 0 ? r * 1e6 / d : 0), p / 1000, (r > 0 ? t * 1e6 / hz / r : 0), c }'
}

echo "| setup | purchases/s | p99 ms | CPU µs/request (JVMs + Redis) | answers |" >"$OUT/cluster.md"
echo "|---|---|---|---|---|" >>"$OUT/cluster.md"

# A. one process, one Redis
PORT=$(free_port)
say "A: one process on one (embedded) Redis, port $PORT"
start single "$PORT"
ADMIN=$(token "$PORT")
P=$(curl -sf -X POST "http://127.0.0.1:$PORT/api/admin/products" -H "Authorization: Bearer $ADMIN" -H 'Content-Type: application/json' \
  -d '{"name":"bench-hot","price":1,"stock":10000000,"grade":"COMMON"}' | jq -r .productId)
measure "1 process, 1 Redis, plain hot product" "$P" "$PORT" >>"$OUT/cluster.md"
ADMIN=$(token "$PORT") # measure logged in again with the same client id, which ended this session
P=$(curl -sf -X POST "http://127.0.0.1:$PORT/api/admin/products" -H "Authorization: Bearer $ADMIN" -H 'Content-Type: application/json' \
  -d '{"name":"bench-hot-bucketed","price":1,"stock":10000000,"grade":"COMMON","buckets":6}' | jq -r .productId)
measure "1 process, 1 Redis, hot product in 6 buckets" "$P" "$PORT" >>"$OUT/cluster.md"
cleanup

# B. three processes, Redis Cluster
REDIS_DIR="$WORK/redis-cluster"
SEEDS=$("$HERE/redis-cluster.sh" "$REDIS_DIR" "$(( 30000 + RANDOM % 20000 ))")
say "B: Redis Cluster $SEEDS"
P1=$(free_port)
start first "$P1" AVALANCHE_REDIS_CLUSTER=true AVALANCHE_REDIS_URL="$SEEDS"
PG=$(sed -n 's/.*postgresql \(127\.0\.0\.1:[0-9]*\).*/\1/p' "$OUT/cluster-first.log" | head -1)
KAFKA=$(sed -n 's/.*kafka \(127\.0\.0\.1:[0-9]*\).*/\1/p' "$OUT/cluster-first.log" | head -1)
SMTP=$(sed -n 's/.*smtp 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$OUT/cluster-first.log" | head -1)
P2=$(free_port); P3=$(free_port)
for pair in "second $P2" "third $P3"; do
  set -- $pair
  start "$1" "$2" AVALANCHE_ROLES=api AVALANCHE_REDIS_CLUSTER=true AVALANCHE_REDIS_URL="$SEEDS" \
    AVALANCHE_PG_URL="postgresql://postgres:postgres@$PG/avalanche" AVALANCHE_KAFKA_BOOTSTRAP="$KAFKA" \
    AVALANCHE_SMTP_HOST=127.0.0.1 AVALANCHE_SMTP_PORT="$SMTP"
done
ADMIN=$(token "$P1")
P=$(curl -sf -X POST "http://127.0.0.1:$P1/api/admin/products" -H "Authorization: Bearer $ADMIN" -H 'Content-Type: application/json' \
  -d '{"name":"bench-hot","price":1,"stock":10000000,"grade":"COMMON"}' | jq -r .productId)
measure "3 processes, Redis Cluster 3+3, plain hot product" "$P" "$P1" "$P2" "$P3" >>"$OUT/cluster.md"
ADMIN=$(token "$P1")
P=$(curl -sf -X POST "http://127.0.0.1:$P1/api/admin/products" -H "Authorization: Bearer $ADMIN" -H 'Content-Type: application/json' \
  -d '{"name":"bench-hot-bucketed","price":1,"stock":10000000,"grade":"COMMON","buckets":6}' | jq -r .productId)
measure "3 processes, Redis Cluster 3+3, hot product in 6 buckets (2 per master)" "$P" "$P1" "$P2" "$P3" >>"$OUT/cluster.md"
cleanup
say "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"
cat "$OUT/cluster.md"
