#!/usr/bin/env bash
# Scenario G, browser sessions (issue 17): 5,000 Blazor Server sessions (the web driver's circuits, each its own user
# signed in through /login) in 100 rooms of 50 with 50 messages of history each, opened at RAMP sessions/s (default 16:
# the server at about 30% CPU while they open),
# then 100 msgs/s spread over the rooms for 60 s, each typed and submitted through the page's own events. Reports server
# RSS idle and with every session open (memory per session), the managed heap from /metrics, delivery p50/p99/p99.9
# from send to the render batch reaching a session, circuits lost and server CPU.
# MIXED=1: the same 5,000 sessions plus 10,000 Phoenix sockets (the `load` generator, a second process: one process
# may hold 19,900 sockets here) joined to the same rooms once the sessions are open, both sending 100 msgs/s.
# SESSIONS, RATE, RAMP and SECONDS_SENDING change the run (a smaller one to try the script); PHASES=R:S,R:S sends in
# several phases one after another (the sessions' side only).
# PAGE=webassembly: the room page in WebAssembly mode (the server with Confab__Web__RoomRenderMode=WebAssembly, the
# driver with --page webassembly): each session signs in and loads the prerendered page as before, then does what the
# page does in the browser, on the Phoenix socket (joins with the prerendered last_seq, heartbeats, typing and
# new_message). With MIXED=1 too. PAGE=server (the default) is the Blazor Server circuit.
PORT_BASE=${PORT_BASE:-4300}
source "$(dirname "$0")/lib.sh"
sessions=${SESSIONS:-5000}
rate=${RATE:-100}
seconds=${SECONDS_SENDING:-60}
ramp=${RAMP:-16}
rooms=$(( (sessions + 49) / 50 ))
page=${PAGE:-server}
page_env=()
case "$page" in
  server) ;;
  webassembly) page_env=(Confab__Web__RoomRenderMode=WebAssembly) ;;
  *) echo "PAGE must be server or webassembly" >&2; exit 2 ;;
esac
sockets=0
[ "${MIXED:-0}" = 1 ] && sockets=10000
build
# Every session logs in from 127.0.0.1: the per-IP log-in limit would stop the run, not an attacker.
HISTORY=50 start_server $((sockets + sessions)) "$rooms" Confab__RateLimits__LogInsPerIp=1000000 "${page_env[@]}" "$@"
web_args=(--sessions "$sessions" --room-size 50 --first-user "$sockets" --phases "${PHASES:-$rate:$seconds}" --ramp "$ramp"
  --opening 32 --warmup 10 --settle 15 --drain 10 --max-seconds 1800 --page "$page")
if [ "$sockets" = 0 ]; then
  run_web g-browser "${web_args[@]}"
  exit 0
fi

# Mixed: the sockets join once every session is open (and its memory sampled), then both send for the same minute.
ready=$work/web-ready
run_web g-mixed-browser "${web_args[@]}" --ready-file "$ready" --send-delay 45 &
web_pid=$!
for _ in $(seq 1 1200); do [ -f "$ready" ] && break; kill -0 "$web_pid" 2>/dev/null || break; sleep 1; done
if [ -f "$ready" ]; then
  run_load g-mixed-sockets --connections "$sockets" --room-size 100 --ramp 500 --settle 20 --phases "$rate:$seconds" \
    --drain 10 --leave-wait 5 --max-seconds 400
fi
wait "$web_pid"
