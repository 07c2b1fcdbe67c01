#!/usr/bin/env bash
# cold-run.sh [GO RUN FLAGS...]: how long a newcomer waits for `go run ./cmd/local` on a fresh
# machine. It runs `go run [FLAGS] ./cmd/local` with an empty module cache and an empty build cache
# (both in a temporary directory, so nothing of this machine's caches is used or changed), polls the
# server until GET /v1/customers with the demo key answers 200, prints the seconds that took, and
# stops the server.
#
#	scripts/cold-run.sh                 # the embedded store
#	scripts/cold-run.sh -tags dynamodb  # the build that can also serve on DynamoDB
#
# Downloads come from the Go module proxy (GOPROXY); the numbers in docs/local.md came from here.
set -euo pipefail
cd "$(dirname "$0")/.."

tmp=$(mktemp -d -t cold-run.XXXXXX)
pid=""
cleanup() {
	if [ -n "$pid" ]; then
		# go run and the server it started share a process group of their own (setsid below).
		kill -TERM -- "-$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	fi
	# The module cache is read-only by design.
	chmod -R u+w "$tmp" 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
url="http://127.0.0.1:$port/v1/customers"
echo "cold-run: go run $* ./cmd/local with empty module and build caches (in $tmp)" >&2

start=$(date +%s.%N)
GOMODCACHE="$tmp/mod" GOCACHE="$tmp/cache" GOFLAGS=-mod=mod \
	setsid go run "$@" ./cmd/local -addr "127.0.0.1:$port" -data "$tmp/data.db" >"$tmp/out" 2>&1 &
pid=$!
while :; do
	status=$(curl -s -o /dev/null -w '%{http_code}' -H 'Authorization: Bearer local-demo-key' -H 'Tenant-ID: demo' "$url" || true)
	[ "$status" = 200 ] && break
	if ! kill -0 "$pid" 2>/dev/null; then
		echo "cold-run: go run exited before the server answered:" >&2
		cat "$tmp/out" >&2
		exit 1
	fi
	sleep 0.2
done
end=$(date +%s.%N)
awk -v s="$start" -v e="$end" -v f="${*:+$* }" 'BEGIN { printf "cold-run: first 200 after %.1f s (go run %s./cmd/local)\n", e - s, f }'
