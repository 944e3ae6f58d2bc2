#!/usr/bin/env bash
# Scenario G's check of the web driver against real browsers (issue 17): the same workload twice on a fresh server each
# time, once with 50 driver sessions and once with 50 Chromium pages (one browser, a context per user; Debian's
# /usr/bin/chromium through Playwright): one room of 50 with 50 messages of history, 1 msg/s (G's rate per room) for
# 60 s. Memory per session and delivery latency of the two should agree within 20%. ROUNDS=2 runs the pair twice;
# RATE and SECONDS_SENDING change the sending (50 pages applying every batch can be what limits a small machine).
PORT_BASE=${PORT_BASE:-4310}
source "$(dirname "$0")/lib.sh"
build
for round in $(seq 1 "${ROUNDS:-1}"); do
  for mode in driver chromium; do
    flag=()
    [ "$mode" = chromium ] && flag=(--chromium)
    HISTORY=50 start_server 50 1 Confab__RateLimits__LogInsPerIp=1000000 "$@"
    run_web "g-validate-$mode" "${flag[@]}" --sessions 50 --room-size 50 --rate "${RATE:-1}" --seconds "${SECONDS_SENDING:-60}" --ramp 2 --opening 4 \
      --warmup 10 --settle 15 --drain 10 --max-seconds 900
    stop_server
  done
done
