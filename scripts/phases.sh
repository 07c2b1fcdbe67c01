#!/usr/bin/env bash
# phases.sh MAKE PHASE...: runs `MAKE PHASE` for each phase in turn, as `make test` does, stopping
# at the first that fails, and ends with a table of each phase's time (also when one failed, so
# a slow or failing phase shows without reading the whole log). Its exit status is the failed
# phase's, or 0.
set -uo pipefail
make=$1
shift
phases=("$@")
names=()
times=()
results=()
status=0
started=$SECONDS

summary() {
	echo
	echo "make test: phases"
	printf '  %-18s %8s  %s\n' phase time result
	local i
	for i in "${!names[@]}"; do
		printf '  %-18s %7ss  %s\n' "${names[$i]}" "${times[$i]}" "${results[$i]}"
	done
	for ((i = ${#names[@]}; i < ${#phases[@]}; i++)); do
		printf '  %-18s %8s  %s\n' "${phases[$i]}" - "not run"
	done
	printf '  %-18s %7ss  %s\n' total $((SECONDS - started)) "$([ "$status" -eq 0 ] && echo ok || echo FAILED)"
}
trap summary EXIT

for phase in "${phases[@]}"; do
	echo
	echo "==> make $phase"
	t0=$SECONDS
	"$make" --no-print-directory "$phase"
	rc=$?
	names+=("$phase")
	times+=($((SECONDS - t0)))
	if [ "$rc" -ne 0 ]; then
		results+=("FAILED (exit $rc)")
		status=$rc
		exit "$rc"
	fi
	results+=(ok)
done
