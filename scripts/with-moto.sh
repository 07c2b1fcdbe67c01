#!/usr/bin/env bash
# with-moto.sh CMD [ARGS...]: runs CMD with DYNAMODB_ENDPOINT pointing at a moto server started on a
# free 127.0.0.1 port, and stops the server however CMD ends.
set -euo pipefail

moto="${MOTO_SERVER:-.tools/venv/bin/moto_server}"
[ -x "$moto" ] || { echo "with-moto: $moto not found; run 'make tools'" >&2; exit 1; }

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
log=$(mktemp -t moto.XXXXXX.log)
"$moto" -H 127.0.0.1 -p "$port" >"$log" 2>&1 &
pid=$!
cleanup() {
	kill "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	rm -f "$log"
}
trap cleanup EXIT INT TERM

for _ in $(seq 1 100); do
	if curl -fsS -o /dev/null "http://127.0.0.1:$port/moto-api/" 2>/dev/null; then
		break
	fi
	if ! kill -0 "$pid" 2>/dev/null; then
		echo "with-moto: moto_server exited:" >&2
		cat "$log" >&2
		exit 1
	fi
	sleep 0.2
done

export DYNAMODB_ENDPOINT="http://127.0.0.1:$port"
export AWS_ACCESS_KEY_ID="${AWS_ACCESS_KEY_ID:-test}" AWS_SECRET_ACCESS_KEY="${AWS_SECRET_ACCESS_KEY:-test}"
export AWS_REGION="${AWS_REGION:-us-east-1}"
echo "with-moto: moto on $DYNAMODB_ENDPOINT" >&2
"$@"
