#!/usr/bin/env bash
# Waiting-room benchmark against a running server: joins/s (each a new ticket), polls/s of tickets in line, and
# GET /health (same tokens) as the ceiling to compare with, measured with wrk in one run; then Redis's CPU per
# script call during the polls (INFO commandstats, cmdstat_evalsha usec_per_call; reset just before).
#
#   BASE=http://127.0.0.1:8080 AVALANCHE_ADMIN_PASSWORD=... REDIS_PORT=6379 load-tests/bench-room.sh [users] [seconds]
#
# users (20000) are provisioned and join one room (admitting 1/s, drop open): the line is as long as the crowd.
# Polls cycle through every ticket, so each is polled every few seconds and none expires.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
BASE=${BASE:-http://127.0.0.1:8080}
USERS=${1:-20000}
SECONDS_PER_RUN=${2:-10}
CONNECTIONS=${CONNECTIONS:-32}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

api() { # method path [body]
  curl -sf -X "$1" "$BASE$2" -H "Authorization: Bearer $ADMIN" -H 'Content-Type: application/json' ${3:+-d "$3"}
}
ADMIN=$(curl -sf "$BASE/api/auth/login" -H 'Content-Type: application/json' \
  -d "{\"email\":\"${AVALANCHE_ADMIN_EMAIL:-admin@avalanche.local}\",\"password\":\"$AVALANCHE_ADMIN_PASSWORD\",\"clientId\":\"bench-room\"}" | jq -r .accessToken)
ROOM=$(api POST /api/admin/products '{"name":"bench room","price":1,"stock":10000000,"grade":"COMMON","waitingRoom":{"admitPerSecond":1}}' | jq -r .productId)
: > "$WORK/users.tsv"
left=$USERS
while [ "$left" -gt 0 ]; do
  n=$(( left > 10000 ? 10000 : left ))
  api POST /api/admin/loadtest/users "{\"count\":$n,\"points\":0}" | jq -r '.users[] | "\(.userId) \(.accessToken)"' >> "$WORK/users.tsv"
  left=$(( left - n ))
done
awk -v p="/api/products/$ROOM/queue" '{print $2, p}' "$WORK/users.tsv" > "$WORK/join.txt"
awk -v p="/health" '{print $2, p}' "$WORK/users.tsv" > "$WORK/ping.txt"

run() { # name method lines-file
  BENCH_METHOD=$2 BENCH_LINES=$3 wrk -t1 -c"$CONNECTIONS" -d"${SECONDS_PER_RUN}s" -s "$HERE/bench-room.lua" "$BASE" | grep '^BENCH' \
    | awk -v name="$1" -v s="$SECONDS_PER_RUN" '{split($2,r,"="); split($3,d,"="); printf "%-6s %8.0f req/s  %s %s %s %s\n", name, r[2]/(d[2]/1e6), $4, $5, $7, $8}'
}
run ping GET "$WORK/ping.txt"
run join POST "$WORK/join.txt"
# Everyone joins (those the timed run did not reach too), then each user's own ticket is polled.
BENCH_METHOD=POST BENCH_LINES="$WORK/join.txt" wrk -t1 -c"$CONNECTIONS" -d30s -s "$HERE/bench-room.lua" "$BASE" > /dev/null 2>&1 || true
redis-cli -p "${REDIS_PORT:-6379}" hgetall "{p:$ROOM}:q:users" | paste - - > "$WORK/tickets.tsv"
join <(sort "$WORK/users.tsv") <(sort "$WORK/tickets.tsv") | awk -v p="/api/products/$ROOM/queue/" '{print $2, p $3}' > "$WORK/poll.txt"
echo "line: $(redis-cli -p "${REDIS_PORT:-6379}" zcard "{p:$ROOM}:q:line") tickets in line, $(wc -l < "$WORK/poll.txt") polled"
redis-cli -p "${REDIS_PORT:-6379}" config resetstat > /dev/null
run poll GET "$WORK/poll.txt"
redis-cli -p "${REDIS_PORT:-6379}" info commandstats | grep -E 'cmdstat_(evalsha|hmget|hgetall)' | tr -d '\r'
run ping GET "$WORK/ping.txt"
