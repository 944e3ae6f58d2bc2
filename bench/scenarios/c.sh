#!/usr/bin/env bash
# Scenario C, many rooms: 10,000 sockets in 1,000 rooms of 10, every socket sends, 1,000 msgs/s in total for 60 s.
# Targets: push→reply p99 and delivery p99 < 15 ms; server CPU < 50%. USER_CHANNEL=1: every socket also joins its user
# channel, user:<id>, as the web UI's sidebar does (issue 18: at most 10% more server CPU).
source "$(dirname "$0")/lib.sh"
build
start_server 10000 1000 "$@"
run_load "c-rooms${USER_CHANNEL:+-user-channel}" ${USER_CHANNEL:+--user-channel 1} --connections 10000 --room-size 10 --ramp 1000 --warmup 200 --phases 1000:60 --max-seconds 400
