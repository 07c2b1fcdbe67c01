#!/usr/bin/env bash
# test-conflicts.sh RUNS HOLD...: runs the store contract suite's concurrency tests RUNS times at
# each transaction hold time (a Go duration: 3ms, 10ms, 25ms) on dynoxide through the conflict
# model (internal/store/dynamo/conflictmodel), and prints per hold the runs, the failed runs (by
# test) and how many calls answered 503, e.g.
#
#	hold 10ms: 20 runs, 0 failed; 503s: 2 of 3480 calls (OrdersAndUpdates 2)
#
# It fails when any run failed. It needs DYNOXIDE_ENDPOINT (scripts/with-dynoxide.sh sets it);
# GOFLAGS=-race applies as usual.
set -euo pipefail
go="${GO:-go}"
[ $# -ge 2 ] || { echo "usage: $0 RUNS HOLD..." >&2; exit 2; }
runs=$1
shift
[ -n "${DYNOXIDE_ENDPOINT:-}" ] || { echo "test-conflicts: DYNOXIDE_ENDPOINT not set; run under scripts/with-dynoxide.sh" >&2; exit 2; }

dir=$(mktemp -d -t test-conflicts.XXXXXX)
trap 'rm -rf "$dir"' EXIT
"$go" test -c -o "$dir/conflictmodel.test" ./internal/store/dynamo/conflictmodel/

status=0
for hold in "$@"; do
	log="$dir/hold-$hold.log"
	set +e
	CONFLICT_MODEL_HOLD="$hold" "$dir/conflictmodel.test" -test.run '^TestStoreContractWithConflicts$/^Concurrency$' \
		-test.count "$runs" -test.v -test.timeout 20m >"$log" 2>&1
	rc=$?
	set -e
	# "=== RUN   TestStoreContractWithConflicts/Concurrency/SameIfMatch" names the test whose
	# "storetest: 1 of 10 calls answered 503" lines follow.
	awk -v hold="$hold" -v rc="$rc" '
		/^=== RUN / { n = split($3, part, "/"); test = part[n] }
		/storetest: [0-9]+ of [0-9]+ calls answered 503/ {
			for (i = 1; i <= NF; i++) if ($i == "storetest:") { busy += $(i + 1); calls += $(i + 3); per[test] += $(i + 1) }
		}
		/^--- (PASS|FAIL): TestStoreContractWithConflicts / { total++ }
		/^--- FAIL: TestStoreContractWithConflicts / { failed++ }
		/^ +--- FAIL: TestStoreContractWithConflicts\/Concurrency\// { split($3, part, "/"); fails[part[3]]++ }
		END {
			line = sprintf("hold %s: %d runs, %d failed", hold, total, failed)
			sep = " ("
			for (t in fails) { line = line sep t " " fails[t]; sep = ", " }
			if (sep == ", ") line = line ")"
			line = line sprintf("; 503s: %d of %d calls", busy, calls)
			sep = " ("
			for (t in per) if (per[t] > 0) { line = line sep t " " per[t]; sep = ", " }
			if (sep == ", ") line = line ")"
			print line
			if (total == 0 && rc != 0) print "  the test binary failed without running the suite"
		}' "$log"
	if [ "$rc" -ne 0 ]; then
		status=1
		# The failures themselves: every FAIL line and the messages of the failing tests, without
		# the per-test counts that every test logs.
		grep -E '^ *--- FAIL|^ +[a-z_]+\.go:[0-9]+: |^(FAIL|panic)' "$log" |
			grep -vE 'storetest: [0-9]+ of [0-9]+ calls answered 503|conflicts injected:|hold [0-9a-zµ.]+, lag' | head -n 60 || true
	fi
done
exit "$status"
