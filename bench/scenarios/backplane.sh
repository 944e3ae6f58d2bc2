#!/usr/bin/env bash
# The backplane's cost per room event, on PostgreSQL: 100 sockets in 10 rooms of 10 on node A, RATE msgs/s (default
# 2,000) for SECONDS_SENDING s (default 30), three runs on one fresh database each:
#   1. node A alone, no Redis (one node);
#   2. node A with Redis, and node B on the same database and Redis with no sockets: B's CPU per event it received is
#      the receiving side's whole cost (read from Redis, sequence, derive the counts, hand to no subscriber, sweep);
#   3. run 1 again (A's CPU per message drifts between runs; the publishing side's cost is run 2 against 1 and 3).
# Runs inside tests/postgres/local-postgres.sh:
#   POSTGRES_DURABLE=1 tests/postgres/local-postgres.sh env SKIP_BUILD=1 bash bench/scenarios/backplane.sh
STORAGE=postgres
source "$(dirname "$0")/lib.sh"
build
rate=${RATE:-2000}
sending=${SECONDS_SENDING:-30}
redis_port=$((port + 50))
redis_pid=""
node_b=""
b_dir=$(mktemp -d /tmp/confab-b.XXXXXX)

cleanup() {
  [ -n "$node_b" ] && kill -9 "$node_b" 2>/dev/null
  [ -n "$redis_pid" ] && kill -9 "$redis_pid" 2>/dev/null
  stop_server
  rm -rf "$b_dir"
}

cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

received() {
  curl -fs "http://127.0.0.1:$1/metrics" | awk '/^confab_cluster_events_total\{.*kind="room_event".*outcome="received"/ { n += $NF } END { print n + 0 }'
}

run() {
  local name=$1 with_redis=$2
  if [ "$with_redis" = 1 ]; then
    redis-server --bind 127.0.0.1 --port "$redis_port" --save "" --appendonly no >"$b_dir/redis.log" 2>&1 &
    redis_pid=$!
    sleep 0.5
    start_server 100 10 Redis__Configuration="127.0.0.1:$redis_port" Confab__Cluster__NodeId=node-a
    trap cleanup EXIT
    (
      cd "$server_dir"
      export ASPNETCORE_ENVIRONMENT=Production SECRET_KEY_BASE="$secret" Storage__Provider=Postgres "ConnectionStrings__Postgres=$db" \
        Redis__Configuration="127.0.0.1:$redis_port" Confab__Cluster__NodeId=node-b Logging__LogLevel__Default=Warning
      exec dotnet Confab.dll --urls "http://127.0.0.1:$((port + 1))" >"$b_dir/node-b.log" 2>&1
    ) &
    node_b=$!
    for _ in $(seq 1 300); do curl -fs "http://127.0.0.1:$((port + 1))/readyz" >/dev/null 2>&1 && break; sleep 0.1; done
    local before_ticks before_received
    before_ticks=$(cpu_ticks "$node_b")
    before_received=$(received $((port + 1)))
  else
    start_server 100 10
    trap cleanup EXIT
  fi
  run_load "$name" --connections 100 --room-size 10 --ramp 100 --warmup 100 --phases "$rate:$sending" --drain 3 --max-seconds 300
  if [ "$with_redis" = 1 ]; then
    local ticks events
    ticks=$(($(cpu_ticks "$node_b") - before_ticks))
    events=$(($(received $((port + 1))) - before_received))
    echo "node B (no sockets): $events room events received, CPU $((ticks * 10)) ms: $(awk "BEGIN { printf \"%.1f\", $ticks * 10000 / ($events > 0 ? $events : 1) }") µs per event"
    kill "$node_b"; wait "$node_b" 2>/dev/null || true; node_b=""
    kill -9 "$redis_pid"; redis_pid=""
  fi
  stop_server
}

run backplane-alone 0
run backplane-with-redis 1
run backplane-alone-again 0
