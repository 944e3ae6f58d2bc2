#!/usr/bin/env bash
# Shared by the scenario scripts: publish the server and build the generator (once), start the published server
# on a fresh database with its users and rooms, run the load generator against it, stop the server (by its PID).
# Everything stays on 127.0.0.0/8 and every run is bounded (the generator's --max-seconds, and a kill here).
#
# STORAGE=postgres: the server runs on PostgreSQL instead of a SQLite file, in a fresh database that start_server creates
# in the PostgreSQL reached by $CONFAB_POSTGRES (an Npgsql connection string to an existing database as a user who may
# create databases) and stop_server drops; tests/postgres/local-postgres.sh starts a throwaway one and exports it:
#   tests/postgres/local-postgres.sh env STORAGE=postgres SKIP_BUILD=1 bash bench/scenarios/d.sh
# Reports are then named NAME-postgres-<time>.json. Without STORAGE (or STORAGE=sqlite) the server runs on SQLite.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
port=${PORT_BASE:-4200}
results=${RESULTS_DIR:-$repo/artifacts/bench}
bench_dll=$repo/bench/Confab.Bench/bin/Release/net10.0/Confab.Bench.dll
server_dir=${SERVER_DIR:-$repo/artifacts/confab} # another published build, e.g. the one before a change
server_pid=""
storage=${STORAGE:-sqlite}
case "$storage" in
  sqlite) ;;
  postgres)
    if [ -z "${CONFAB_POSTGRES:-}" ]; then
      echo "STORAGE=postgres needs CONFAB_POSTGRES, an Npgsql connection string (tests/postgres/local-postgres.sh sets it)" >&2
      exit 2
    fi
    ;;
  *) echo "STORAGE must be sqlite or postgres" >&2; exit 2 ;;
esac
pg_database="" # the PostgreSQL database of the running server, dropped by stop_server

build() {
  if [ "${SKIP_BUILD:-0}" != 1 ]; then
    dotnet publish "$repo/src/Confab" -c Release -nologo -o "$repo/artifacts/confab" >/dev/null
    dotnet build "$repo/bench/Confab.Bench" -c Release -nologo -clp:ErrorsOnly >/dev/null
  fi
}

# start_server USERS ROOMS [NAME=VALUE...]: a fresh database with USERS users and ROOMS rooms (and HISTORY messages in
# each room, default none), then the server. The load generator opens up to 19,900 sockets from a few loopback addresses,
# as few users: the per-user and per-address socket caps are lifted. Sets db_args, the generator's option naming the
# database (--db FILE, or --postgres CONNECTION_STRING with STORAGE=postgres).
start_server() {
  local users=$1 rooms=$2 server_storage
  shift 2
  work=$(mktemp -d /tmp/confab-load.XXXXXX)
  secret=$(head -c 48 /dev/urandom | base64 -w0)
  trap stop_server EXIT
  if [ "$storage" = postgres ]; then
    pg_database=confab_load_$$_$RANDOM
    psql -q -v ON_ERROR_STOP=1 "$(pg_conninfo "$CONFAB_POSTGRES")" -c "CREATE DATABASE $pg_database"
    db=$(pg_with_database "$CONFAB_POSTGRES" "$pg_database")
    db_args=(--postgres "$db")
    server_storage=(Storage__Provider=Postgres "ConnectionStrings__Postgres=$db")
  else
    db=$work/confab.db
    db_args=(--db "$db")
    server_storage=(DATABASE_PATH="$db")
  fi
  dotnet "$bench_dll" load-setup "${db_args[@]}" --users "$users" --rooms "$rooms" --history "${HISTORY:-0}" --first-user-in "${FIRST_USER_IN:-0}"
  (
    cd "$server_dir"
    export ASPNETCORE_ENVIRONMENT=Production SECRET_KEY_BASE="$secret" "${server_storage[@]}" \
      Confab__Messages__RateLimitCount=1000000 Logging__LogLevel__Default=Warning \
      Confab__Realtime__MaxSocketsPerUser=1000000 Confab__Realtime__MaxSocketsPerAddress=1000000 "$@"
    exec dotnet Confab.dll --urls "http://127.0.0.1:$port" >"$work/server.log" 2>&1
  ) &
  server_pid=$!
  for _ in $(seq 1 300); do
    curl -fs "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && { echo "server pid $server_pid ready, database ${pg_database:-$db}"; return 0; }
    kill -0 "$server_pid" 2>/dev/null || { cat "$work/server.log"; echo "the server exited"; return 1; }
    sleep 0.1
  done
  echo "the server was not ready in 30 s"; return 1
}

stop_server() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill "$server_pid"
    for _ in $(seq 1 100); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$server_pid" 2>/dev/null || true
  fi
  server_pid=""
  if [ -n "$pg_database" ]; then
    psql -q "$(pg_conninfo "$CONFAB_POSTGRES")" -c "DROP DATABASE IF EXISTS $pg_database WITH (FORCE)" || true
    pg_database=""
  fi
  [ -n "${work:-}" ] && [ "${KEEP_WORK:-0}" != 1 ] && rm -rf "$work"
  return 0
}

# pg_conninfo NPGSQL_CONNECTION_STRING: the same as libpq's conninfo, for psql (host, port, user, password, database).
pg_conninfo() {
  local part key value conninfo="" parts
  IFS=';' read -ra parts <<<"$1"
  for part in "${parts[@]}"; do
    key=$(tr -d ' ' <<<"${part%%=*}" | tr '[:upper:]' '[:lower:]')
    value=${part#*=}
    value=${value//\\/\\\\}
    value=${value//\'/\\\'}
    case "$key" in
      host | server) conninfo+=" host='$value'" ;;
      port) conninfo+=" port='$value'" ;;
      username | userid | user) conninfo+=" user='$value'" ;;
      password | pwd) conninfo+=" password='$value'" ;;
      database | db) conninfo+=" dbname='$value'" ;;
    esac
  done
  echo "$conninfo"
}

# pg_with_database NPGSQL_CONNECTION_STRING NAME: the connection string with its database replaced by NAME.
pg_with_database() {
  local part key with="" parts
  IFS=';' read -ra parts <<<"$1"
  for part in "${parts[@]}"; do
    key=$(tr -d ' ' <<<"${part%%=*}" | tr '[:upper:]' '[:lower:]')
    case "$key" in
      database | db | "") ;;
      *) with+="$part;" ;;
    esac
  done
  echo "${with}Database=$2"
}

# run_load NAME [generator options...]: runs the generator against the server, report in $results/NAME-<time>.json
# (NAME-postgres-<time>.json with STORAGE=postgres).
run_load() {
  local name=$1
  [ "$storage" = postgres ] && name+=-postgres
  run_generator load "$name" "${db_args[@]}" "${@:2}"
}

# run_web NAME [generator options...]: runs the web driver (browser sessions) against the server, report in $results/NAME-<time>.json.
run_web() { run_generator web "$@"; }

run_generator() {
  local command=$1 name=$2
  shift 2
  mkdir -p "$results"
  local out=$results/$name-$(date -u +%Y%m%dT%H%M%SZ).json
  echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
  SECRET_KEY_BASE="$secret" dotnet "$bench_dll" "$command" --name "$name" --url "http://127.0.0.1:$port" \
    --server-pid "$server_pid" --out "$out" "$@"
  # The server's own view (commit durations, batch sizes, deliveries) beside the generator's.
  curl -fs "http://127.0.0.1:$port/metrics" >"${out%.json}.metrics.txt" || true
  grep -E '"(Error|Critical)"|fail' "$work/server.log" | head -5 || true
}
