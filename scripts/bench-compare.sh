#!/usr/bin/env bash
# bench-compare.sh REV [COUNT]: the update-handler and init-duration benchmarks of REV (say, the
# commit before a change) and of the work tree, run alternately in one run so that both see the
# same machine, then compared by benchstat. Timing on shared machines is noisy: read the ratios,
# not the absolute numbers, and trust allocs/op (which noise does not move).
set -euo pipefail
rev=${1:?usage: bench-compare.sh REV [COUNT]}
count=${2:-6}
tools="$PWD/.tools"
go=${GO:-go}

[ -x "$tools/bin/benchstat" ] || { echo "bench-compare: installing benchstat into .tools/bin" >&2;
	GOBIN="$tools/bin" "$go" install golang.org/x/perf/cmd/benchstat@v0.0.0-20260908200009-22c9c6c9d4da; }

base=$(mktemp -d -t bench-base.XXXXXX)
out=$(mktemp -d -t bench-out.XXXXXX)
cleanup() { git worktree remove --force "$base" >/dev/null 2>&1 || rm -rf "$base"; rm -rf "$out"; }
trap cleanup EXIT
git worktree add --detach -q "$base" "$rev"
ln -s "$tools" "$base/.tools"

run() { # run DIR FILE
	(cd "$1" && "$go" test -run='^$' -bench='UpdateHandler|BareAdapter' -benchmem -count=1 ./internal/lambdafn/ &&
		AWS_LAMBDA_RIE="$tools/bin/aws-lambda-rie" "$go" test -run='^$' -bench=Init -benchtime=5x -count=1 ./internal/e2e/) >>"$2"
}
for i in $(seq 1 "$count"); do
	echo "bench-compare: round $i of $count (before: $rev, after: work tree)" >&2
	run "$base" "$out/before.txt"
	run "$PWD" "$out/after.txt"
done
"$tools/bin/benchstat" before="$out/before.txt" after="$out/after.txt"
