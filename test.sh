#!/usr/bin/env bash
# Confab's one test command: sets up what the suites need on a fresh Debian 12 machine (as root, or with sudo),
# builds everything with warnings as errors, runs every test suite, and ends with one line: "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")"
root=$(pwd)
results="$root/artifacts/test-results"
rm -rf "$results"
mkdir -p "$results"

step() { printf '\n== %s\n' "$*"; }

step "set-up: npm packages for the client suites (the official phoenix client)"
(cd tests/clients && npm ci --no-audit --no-fund) || { echo "0 passed, 1 failed"; exit 1; }

step "build (Release, warnings as errors)"
if ! dotnet build Confab.slnx -c Release -nologo -clp:ErrorsOnly; then
  echo "0 passed, 1 failed"
  exit 1
fi

step "C# suites (xunit): protocol, store, API, realtime"
dotnet_status=0
for project in tests/*/*.Tests.csproj; do
  name=$(basename "$project" .csproj)
  dotnet test "$project" -c Release --no-build -nologo \
    --logger "trx;LogFileName=$name.trx" --logger "console;verbosity=minimal" --results-directory "$results" || dotnet_status=1
done

step "Node suites: the official phoenix client against real server processes"
(cd tests/clients && npm test)
node_status=$?

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
tap="$results/clients.tap"
if [ -e "$tap" ]; then
  p=$(sed -n 's/^# pass \([0-9]*\)$/\1/p' "$tap" | tail -n 1)
  f=$(sed -n 's/^# fail \([0-9]*\)$/\1/p' "$tap" | tail -n 1)
  passed=$((passed + ${p:-0}))
  failed=$((failed + ${f:-0}))
fi
if { [ "$dotnet_status" -ne 0 ] || [ "$node_status" -ne 0 ]; } && [ "$failed" -eq 0 ]; then
  failed=1 # a runner failed without a result saying why (a crash, a hang): count it
fi

printf '\n%d passed, %d failed\n' "$passed" "$failed"
[ "$failed" -eq 0 ]
