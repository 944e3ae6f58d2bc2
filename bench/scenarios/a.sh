#!/usr/bin/env bash
# Scenario A, capacity: 19,600 sockets joined in rooms of 100 (presence on) at 250 joins/s, held idle, then all
# leave; twice against the same server, so a leak across runs shows. Then, on a fresh server, the same at
# 2,000 joins/s (no join may fail). Targets: RSS at 19,900 <= 500 MiB (under 25 KiB a socket), join p99 < 20 ms at
# 250/s, memory back within 10% of idle after everyone left. 19,600, not 19,900: a process may open 20,000 files
# here, and the .NET server keeps about 320 open of its own (two per loaded assembly), so it holds 19,650 sockets.
source "$(dirname "$0")/lib.sh"
build
start_server 19600 196 "$@"
run_load a-capacity --connections 19600 --room-size 100 --ramp 250 --warmup 200 --hold 20 --cycles 2 --leave-wait 20 --max-seconds 600
stop_server
start_server 19600 196 "$@"
run_load a-ramp2000 --connections 19600 --room-size 100 --ramp 2000 --warmup 200 --hold 5 --leave-wait 10 --max-seconds 300
