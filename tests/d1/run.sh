#!/usr/bin/env bash
# test.sh's D1 step, run inside deploy/cloudflare/local-d1.sh (a loopback-only network namespace with a local D1 at
# $CONFAB_D1_URL; tests that talk to it must run in there too): the C# suites marked Storage=D1, the phoenix client
# suites that exercise storage (tests/clients/storage-suites.txt) with Confab on D1, and the published build run the
# way the container image runs it.
#   deploy/cloudflare/local-d1.sh tests/d1/run.sh <results folder>
set -uo pipefail
results=${1:?usage: tests/d1/run.sh <results folder>}
root=$(cd "$(dirname "$0")/../.." && pwd)
status=0

dotnet test "$root/tests/Confab.Tests/Confab.Tests.csproj" -c Release --no-build -nologo --filter "Storage=D1" \
  --logger "trx;LogFileName=Confab.Tests.D1.trx" --logger "console;verbosity=minimal" --results-directory "$results" || status=1

cd "$root/tests/clients" || exit 1
node --test --test-concurrency=1 --test-reporter=spec --test-reporter-destination=stdout \
  --test-reporter=tap --test-reporter-destination="$results/clients-d1.tap" $(grep -v '^#' storage-suites.txt) isolated/*.test.mjs || status=1

exit "$status"
