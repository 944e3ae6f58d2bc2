#!/usr/bin/env bash
# Waits (at most MAX_WAIT seconds, default 1800) until the machine is quiet enough to measure: the 1-minute load
# average below 0.5 and no other dotnet, node, chromium or workerd process using CPU. Exits 1 if it never gets quiet.
max=${MAX_WAIT:-1800}
start=$(date +%s)
while true; do
  load=$(cut -d' ' -f1 /proc/loadavg)
  # CPU over the last 3 seconds (the second of two top samples), not since each process started.
  busy=$(top -b -n 2 -d 3 -w 200 | awk '/^top -/ {n++} n == 2 && $1 ~ /^[0-9]+$/ && $9 + 0 > 5 && $12 ~ /dotnet|node|chromium|workerd|csc|MainThread/ {print $1 ":" $12 ":" $9}' | tr '\n' ' ')
  if awk -v l="$load" 'BEGIN { exit !(l < 0.5) }' && [ -z "$busy" ]; then
    echo "quiet: load $load"
    exit 0
  fi
  if [ $(( $(date +%s) - start )) -ge "$max" ]; then
    echo "not quiet after ${max}s: load $load; busy: $busy"
    exit 1
  fi
  sleep 10
done
