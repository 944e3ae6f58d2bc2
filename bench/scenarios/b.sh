#!/usr/bin/env bash
# Scenario B, fan-out: one room of 5,000; 10 senders at 20 msgs/s in total (100,000 deliveries/s offered) for 60 s.
# Targets: the 5,000 join in < 30 s; every delivery arrives, p99 < 250 ms; server CPU <= 6 µs per delivery.
source "$(dirname "$0")/lib.sh"
build
start_server 5000 1 "$@"
run_load b-fanout --connections 5000 --room-size 5000 --senders 10 --ramp 500 --warmup 200 --phases 20:60 --drain 5 --max-seconds 400
