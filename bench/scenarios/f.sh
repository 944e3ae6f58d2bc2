#!/usr/bin/env bash
# Scenario F, several nodes: three Confab nodes on one PostgreSQL and one Redis, and three load generators on this
# machine, one per node; 3 x PER_NODE sockets (default 15,000 each: 45,000) in rooms of 10 that span the nodes (every
# generator deals its sockets over the same rooms), 1,000 msgs/s in total for 60 s. Targets: nothing lost (the
# deliveries the three generators got, summed, against the members every acknowledged message had), delivery p99
# within 5 ms of one node's (scenario C on PostgreSQL, same session), each node's memory per socket as one node's.
# Runs inside tests/postgres/local-postgres.sh (a throwaway PostgreSQL; redis-server is started here):
#   POSTGRES_DURABLE=1 tests/postgres/local-postgres.sh env SKIP_BUILD=1 bash bench/scenarios/f.sh
# PER_NODE=2000 SECONDS_SENDING=10 tries the script small; NODES=1 is the same load on one node (the figure to compare);
# NODE_ENV="NAME=VALUE ..." adds to every node's environment (e.g. DOTNET_gcServer=0).
STORAGE=postgres
source "$(dirname "$0")/lib.sh"
build
per_node=${PER_NODE:-15000}
nodes=${NODES:-3}
rooms=$((per_node * nodes / 10))
rate=${RATE:-1000}
sending=${SECONDS_SENDING:-60}
# A first phase at the same rate warms every node's send path (its JIT tiers, its database connections and their
# prepared statements) and is not counted; WARM_SECONDS=0 measures from the first message.
warm=${WARM_SECONDS:-15}
per_generator=$(awk "BEGIN { print $rate / $nodes }")
phases="$per_generator:$sending"
[ "$warm" -gt 0 ] && phases="$per_generator:$warm,$phases"
work=$(mktemp -d /tmp/confab-f.XXXXXX)
secret=$(head -c 48 /dev/urandom | base64 -w0)
pids=()
redis_pid=""
pg_database=confab_f_$$_$RANDOM

finish() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  done
  [ -n "$redis_pid" ] && kill -9 "$redis_pid" 2>/dev/null
  psql -q "$(pg_conninfo "$CONFAB_POSTGRES")" -c "DROP DATABASE IF EXISTS $pg_database WITH (FORCE)" || true
  [ "${KEEP_WORK:-0}" = 1 ] || rm -rf "$work"
}
trap finish EXIT

redis_port=$((port + 50))
redis-server --bind 127.0.0.1 --port "$redis_port" --save "" --appendonly no >"$work/redis.log" 2>&1 &
redis_pid=$!
psql -q -v ON_ERROR_STOP=1 "$(pg_conninfo "$CONFAB_POSTGRES")" -c "CREATE DATABASE $pg_database"
db=$(pg_with_database "$CONFAB_POSTGRES" "$pg_database")
dotnet "$bench_dll" load-setup --postgres "$db" --users $((per_node * nodes)) --rooms "$rooms"

server_pids=()
for i in $(seq 0 $((nodes - 1))); do
  (
    cd "$server_dir"
    export ASPNETCORE_ENVIRONMENT=Production SECRET_KEY_BASE="$secret" Storage__Provider=Postgres "ConnectionStrings__Postgres=$db" \
      Redis__Configuration="127.0.0.1:$redis_port" Confab__Cluster__NodeId="node-$i" \
      Confab__Messages__RateLimitCount=1000000 Logging__LogLevel__Default=Warning \
      Confab__Realtime__MaxSocketsPerUser=1000000 Confab__Realtime__MaxSocketsPerAddress=1000000 ${NODE_ENV:-}
    exec dotnet Confab.dll --urls "http://127.0.0.1:$((port + i))" >"$work/node-$i.log" 2>&1
  ) &
  pids+=($!)
  server_pids+=($!)
done
for i in $(seq 0 $((nodes - 1))); do
  ready=0
  for _ in $(seq 1 300); do
    curl -fs "http://127.0.0.1:$((port + i))/readyz" >/dev/null 2>&1 && { ready=1; break; }
    sleep 0.1
  done
  [ "$ready" = 1 ] || { cat "$work/node-$i.log"; echo "node $i was not ready in 30 s"; exit 1; }
done
echo "three nodes ready on ports $port-$((port + 2)), Redis on $redis_port, database $pg_database"

mkdir -p "$results"
stamp=$(date -u +%Y%m%dT%H%M%SZ)
generators=()
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
for i in $(seq 0 $((nodes - 1))); do
  SECRET_KEY_BASE="$secret" dotnet "$bench_dll" load --name "f-node-$i" --url "http://127.0.0.1:$((port + i))" --postgres "$db" \
    --server-pid "${server_pids[$i]}" --out "$results/f-cluster-node-$i-$stamp.json" \
    --connections "$per_node" --user-offset $((per_node * i)) --rooms "$rooms" --room-size 10 --generator "$i" --generators "$nodes" \
    --sources 8 --ramp $((500 / nodes)) --warmup 100 --settle 120 --phases "$phases" \
    --drain 5 --barrier "$work/barrier" --max-seconds 900 >"$work/generator-$i.log" 2>&1 &
  generators+=($!)
done
status=0
for pid in "${generators[@]}"; do wait "$pid" || status=1; done
for i in $(seq 0 $((nodes - 1))); do
  echo "--- generator $i"; grep -v '^$' "$work/generator-$i.log" | tail -12
  curl -fs "http://127.0.0.1:$((port + i))/metrics" >"$results/f-cluster-node-$i-$stamp.metrics.txt" || true
  grep -E '"(Error|Critical)"' "$work/node-$i.log" | head -3 || true
done
[ "$status" = 0 ] || { echo "a generator failed"; exit 1; }

# Summed over the generators: every acknowledged message's members, against the deliveries they got.
python3 - "$results" "$stamp" "$nodes" <<'PY'
import json, sys
results, stamp, nodes = sys.argv[1], sys.argv[2], int(sys.argv[3])
reports = [json.load(open(f"{results}/f-cluster-node-{i}-{stamp}.json")) for i in range(nodes)]
expected = delivered = repeated = acked = 0
for i, r in enumerate(reports):
    cycle = r["cycles"][0]
    phase, join, memory = cycle["phases"][-1], cycle["join"], cycle["memory"]
    expected += phase["expected_deliveries"]
    delivered += phase["delivered"]
    repeated += phase["out_of_order_or_repeated"]
    acked += phase["replies_ok"]
    joined, idle, rss = join["joined"], memory["idle_mi_b"], join["server_rss_mi_b"]
    print(f"node {i}: {joined} sockets joined; RSS idle {idle:.0f} MiB, joined {rss:.0f} MiB: {(rss - idle) * 1024 / max(joined, 1):.1f} KiB per socket; "
          f"push->reply {json.dumps(phase['push_to_reply'])}; delivery {json.dumps(phase['delivery'])}")
print(f"cluster: {acked} acknowledged; deliveries {delivered} of {expected} expected ({expected - delivered} missing), {repeated} out of order or repeated")
PY
