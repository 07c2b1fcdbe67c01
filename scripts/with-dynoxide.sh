#!/usr/bin/env bash
# with-dynoxide.sh CMD [ARGS...]: runs CMD with DYNOXIDE_ENDPOINT pointing at a dynoxide server (a
# DynamoDB emulator on SQLite, installed by 'make dynoxide') started in memory on a free 127.0.0.1
# port, and stops the server however CMD ends. DYNAMODB_ENDPOINT is left alone: it names moto,
# which the integration tests also need for SQS, EventBridge and Streams.
set -euo pipefail

dynoxide="${DYNOXIDE:-$(ls -d .tools/dynoxide/*/node_modules/@dynoxide/linux-x64/dynoxide 2>/dev/null | sort -V | tail -n 1)}"
[ -n "$dynoxide" ] && [ -x "$dynoxide" ] || { echo "with-dynoxide: dynoxide not found; run 'make dynoxide'" >&2; exit 1; }

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
log=$(mktemp -t dynoxide.XXXXXX.log)
# No --db-path: the database is in memory and goes with the process. No --mcp: only the DynamoDB
# API listens.
"$dynoxide" serve --host 127.0.0.1 --port "$port" >"$log" 2>&1 &
pid=$!
cleanup() {
	kill "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	rm -f "$log"
}
trap cleanup EXIT INT TERM

ready=
for _ in $(seq 1 100); do
	# GET / answers "healthy" once the server accepts requests.
	if curl -fsS -o /dev/null "http://127.0.0.1:$port/" 2>/dev/null; then
		ready=1
		break
	fi
	if ! kill -0 "$pid" 2>/dev/null; then
		echo "with-dynoxide: dynoxide exited:" >&2
		cat "$log" >&2
		exit 1
	fi
	sleep 0.1
done
[ -n "$ready" ] || { echo "with-dynoxide: dynoxide did not answer on 127.0.0.1:$port" >&2; cat "$log" >&2; exit 1; }

export DYNOXIDE_ENDPOINT="http://127.0.0.1:$port"
export AWS_ACCESS_KEY_ID="${AWS_ACCESS_KEY_ID:-test}" AWS_SECRET_ACCESS_KEY="${AWS_SECRET_ACCESS_KEY:-test}"
export AWS_REGION="${AWS_REGION:-us-east-1}"
echo "with-dynoxide: $("$dynoxide" --version) on $DYNOXIDE_ENDPOINT" >&2
"$@"
