#!/usr/bin/env bash
# Scenario D, durable ingest: 100 senders in 10 rooms of 10, every message committed before its reply; 25,000
# msgs/s offered for 30 s. Targets: >= 25,000 msgs/s acknowledged, none lost (every ack in the database and
# delivered to every member), push→reply p99 < 50 ms. RATE=15000 offers another rate (to compare builds below saturation);
# SECONDS_SENDING=5 sends for 5 s instead of 30 (to try the script).
# On SQLite (the default), a fresh file:   bash bench/scenarios/d.sh
# On PostgreSQL, a fresh database in a throwaway cluster (lib.sh: STORAGE=postgres creates one in $CONFAB_POSTGRES's):
#   POSTGRES_DURABLE=1 tests/postgres/local-postgres.sh env STORAGE=postgres bash bench/scenarios/d.sh
# POSTGRES_DURABLE=1 keeps fsync on (every commit waits for the disk, as SQLite's synchronous=FULL does); without it
# the throwaway cluster runs as the tests run it, with fsync off.
source "$(dirname "$0")/lib.sh"
build
start_server 100 10 "$@"
run_load d-ingest --connections 100 --room-size 10 --ramp 100 --warmup 100 --phases "${RATE:-25000}:${SECONDS_SENDING:-30}" --drain 5 --max-seconds 300
