#!/usr/bin/env bash
# Runs a command beside a real PostgreSQL: a throwaway cluster (initdb into a temp folder) listening on 127.0.0.1 on a
# free port, stopped and deleted when the command ends. The command finds it at $CONFAB_POSTGRES, an Npgsql connection
# string to its `postgres` database as the superuser `postgres` (trust authentication, loopback only); tests create a
# database of their own in it for each server or store they open.
#
#   tests/postgres/local-postgres.sh <command> [args...]      e.g.  tests/postgres/local-postgres.sh env | grep POSTGRES
#
# Needs PostgreSQL's server binaries (Debian: the postgresql package, /usr/lib/postgresql/<version>/bin). PostgreSQL
# refuses to run as root, so as root the server runs as the postgres user (runuser); the command runs as the caller.
# fsync is off: the cluster is deleted afterwards, and tests gain nothing from waiting for the disk. Benchmarks of
# durable commits set POSTGRES_DURABLE=1 (fsync and full-page writes on, PostgreSQL's defaults).
# POSTGRES_OPTIONS adds server settings, e.g. "-c shared_preload_libraries=pg_stat_statements" to see where the time goes.
set -uo pipefail

bin=${POSTGRES_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)}
if [ ! -x "$bin/postgres" ]; then
  echo "local-postgres: no PostgreSQL server binaries (apt-get install postgresql, or set POSTGRES_BIN)" >&2
  exit 1
fi

state=$(mktemp -d "${TMPDIR:-/tmp}/confab-postgres.XXXXXX")
as_server=()
if [ "$(id -u)" -eq 0 ]; then
  chown postgres "$state"
  as_server=(runuser -u postgres --)
fi

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
if ! "${as_server[@]}" "$bin/initdb" -D "$state/data" -U postgres -A trust --no-sync -E UTF8 --locale C.UTF-8 >"$state/initdb.log" 2>&1; then
  cat "$state/initdb.log" >&2
  echo "local-postgres: initdb failed" >&2
  rm -rf "$state"
  exit 1
fi

durability="-c fsync=off -c full_page_writes=off"
[ "${POSTGRES_DURABLE:-0}" = 1 ] && durability="-c fsync=on -c full_page_writes=on"

stop() {
  "${as_server[@]}" "$bin/pg_ctl" -D "$state/data" -m immediate stop >/dev/null 2>&1
  rm -rf "$state"
}
trap stop EXIT

if ! "${as_server[@]}" "$bin/pg_ctl" -D "$state/data" -l "$state/postgres.log" -w -t 60 start \
  -o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$state $durability -c max_connections=400 ${POSTGRES_OPTIONS:-}" >/dev/null; then
  cat "$state/postgres.log" >&2
  echo "local-postgres: PostgreSQL did not start" >&2
  exit 1
fi

export CONFAB_POSTGRES="Host=127.0.0.1;Port=$port;Username=postgres;Database=postgres"
echo "local-postgres: PostgreSQL ready at 127.0.0.1:$port" >&2
"$@"
