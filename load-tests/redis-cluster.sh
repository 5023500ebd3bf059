#!/usr/bin/env bash
# Starts a local Redis Cluster of 3 masters + 3 replicas (redis-server 7 from the PATH) under DIR, on ports
# BASE..BASE+5, and forms it with redis-cli. Prints the seed list for AVALANCHE_REDIS_URL.
# Usage: redis-cluster.sh DIR BASE          stop: redis-cluster.sh --stop DIR
set -euo pipefail
if [[ "${1:-}" == "--stop" ]]; then
  for pid in "$2"/*/redis.pid; do [[ -f "$pid" ]] && kill "$(cat "$pid")" 2>/dev/null || true; done
  exit 0
fi
dir=$1 base=$2
nodes=()
for i in 0 1 2 3 4 5; do
  port=$((base + i))
  mkdir -p "$dir/$port"
  redis-server --port "$port" --bind 127.0.0.1 --cluster-enabled yes --cluster-config-file "$dir/$port/nodes.conf" \
    --cluster-node-timeout 2000 --cluster-require-full-coverage no --appendonly yes --appendfsync always --dir "$dir/$port" --save '' \
    --pidfile "$dir/$port/redis.pid" --logfile "$dir/$port/redis.log" --daemonize yes
  nodes+=("127.0.0.1:$port")
done
for n in "${nodes[@]}"; do
  until redis-cli -p "${n#*:}" ping >/dev/null 2>&1; do sleep 0.1; done
done
redis-cli --cluster create "${nodes[@]}" --cluster-replicas 1 --cluster-yes >"$dir/create.log"
until redis-cli -p "$base" cluster info | grep -q "cluster_state:ok" && [[ $(redis-cli -p "$base" cluster nodes | grep -c slave) == 3 ]]; do sleep 0.2; done
seeds=""
for n in "${nodes[@]:0:3}"; do seeds+="${seeds:+,}redis://$n"; done
echo "$seeds"
