#!/usr/bin/env bash
# GET /api/rooms for a user who belongs to 200 rooms (issue 18: under 20 ms), each with 100 messages of history, the
# user's read marker halfway (50 unread per room) and every fifth unread message mentioning them; 1,000 users in 1,000
# rooms around them (ALL_ROOMS=N: N rooms, the rest public, which the list shows too). ROOMS=N changes the 200,
# REQUESTS=N the 500 sequential requests measured (after 50 to warm up).
source "$(dirname "$0")/lib.sh"
build
HISTORY=${HISTORY:-100} FIRST_USER_IN=${ROOMS:-200} start_server 1000 "${ALL_ROOMS:-1000}" "$@"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
SECRET_KEY_BASE="$secret" dotnet "$bench_dll" rooms-list --url "http://127.0.0.1:$port" "${db_args[@]}" --requests "${REQUESTS:-500}"
