#!/usr/bin/env bash
# test.sh's PostgreSQL step, run inside tests/postgres/local-postgres.sh (a throwaway PostgreSQL at $CONFAB_POSTGRES):
# the C# suites marked Storage=Postgres (the store conformance suite, the whole server, three processes on one
# database), the phoenix client suites that exercise storage (tests/clients/storage-suites.txt), with each server on a
# new database of its own, and the cluster suites (tests/clients/cluster: three nodes on one database and a redis-server of their own).
#   tests/postgres/local-postgres.sh tests/postgres/run.sh <results folder>
set -uo pipefail
results=${1:?usage: tests/postgres/run.sh <results folder>}
root=$(cd "$(dirname "$0")/../.." && pwd)
status=0

dotnet test "$root/tests/Confab.Tests/Confab.Tests.csproj" -c Release --no-build -nologo --filter "Storage=Postgres" \
  --logger "trx;LogFileName=Confab.Tests.Postgres.trx" --logger "console;verbosity=minimal" --results-directory "$results" || status=1

cd "$root/tests/clients" || exit 1
node --test --test-concurrency=1 --test-reporter=spec --test-reporter-destination=stdout \
  --test-reporter=tap --test-reporter-destination="$results/clients-postgres.tap" \
  $(grep -v '^#' storage-suites.txt) cluster/*.test.mjs || status=1

exit "$status"
