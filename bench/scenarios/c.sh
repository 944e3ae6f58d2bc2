#!/usr/bin/env bash
# Scenario C, many rooms: 10,000 sockets in 1,000 rooms of 10, every socket sends, 1,000 msgs/s in total for 60 s.
# Targets: push→reply p99 and delivery p99 < 15 ms; server CPU < 50%.
source "$(dirname "$0")/lib.sh"
build
start_server 10000 1000 "$@"
run_load c-rooms --connections 10000 --room-size 10 --ramp 1000 --warmup 200 --phases 1000:60 --max-seconds 400
