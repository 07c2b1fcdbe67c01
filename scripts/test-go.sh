#!/usr/bin/env bash
# test-go.sh [GO TEST FLAGS...]: every Go test, then how long the DynamoDB store tests took on each
# backend ("dynamo store tests: moto 70.9s, dynoxide 7.4s", the times of TestStore/<backend>).
# go test shows a passing package's sub-test times only with -v, so internal/store/dynamo runs on
# its own, after the other packages, with -v; its lines for started and passed tests are left out.
set -euo pipefail
go="${GO:-go}"
store=./internal/store/dynamo/
store_pkg=$("$go" list "$store")

others=$("$go" list ./... | grep -vxF "$store_pkg")
# shellcheck disable=SC2086 # one word per package
"$go" test "$@" $others || status=$?
status=${status:-0}

log=$(mktemp -t store-tests.XXXXXX.log)
trap 'rm -f "$log"' EXIT
set +e
"$go" test "$@" -v "$store" 2>&1 | tee "$log" | awk '!/^ *(=== (RUN|PAUSE|CONT|NAME) |--- PASS: )/'
store_status=${PIPESTATUS[0]}
set -e
[ "$status" -ne 0 ] || status=$store_status

# "    --- PASS: TestStore/moto (41.20s)" → "moto 41.2s"; a skipped backend says so.
sed -nE 's#^ *--- (PASS|FAIL|SKIP): TestStore/([a-z0-9]+) \(([0-9.]+)s\)$#\2 \3 \1#p' "$log" | awk '
	{ printf "%s%s ", NR == 1 ? "dynamo store tests: " : ", ", $1 }
	$3 == "SKIP" { printf "skipped"; next }
	{ printf "%.1fs%s", $2, $3 == "FAIL" ? " (failed)" : "" }
	END { if (NR == 0) printf "dynamo store tests: none ran"; print "" }
'
exit "$status"
