#!/usr/bin/env bash
# readme-examples.sh: runs the README's "Try it" block, as written, twice against one fresh local
# server (on a free 127.0.0.1 port instead of 3000), as a reader who pastes it again would, and
# checks that every step of each run answered what the README says, in order.
set -euo pipefail
cd "$(dirname "$0")/.."

work=$(mktemp -d)
go build -o "$work/local" ./cmd/local
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
"$work/local" -addr "127.0.0.1:$port" -data "$work/data.db" >"$work/server.out" 2>"$work/server.log" &
pid=$!
cleanup() {
	kill "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT INT TERM
for _ in $(seq 1 100); do
	grep -q listening "$work/server.out" 2>/dev/null && break
	kill -0 "$pid" 2>/dev/null || break # exited: no point waiting
	sleep 0.1
done
if ! grep -q listening "$work/server.out" 2>/dev/null; then
	echo "readme-examples: the server did not print \"listening\" within 10 s" >&2
	cat "$work/server.out" "$work/server.log" >&2
	exit 1
fi

# The block between the markers, minus the fences, pointed at this server.
sed -n '/<!-- examples:start -->/,/<!-- examples:end -->/p' README.md |
	grep -v -e '^<!--' -e '^```' |
	sed "s|^API=http://127.0.0.1:3000$|API=http://127.0.0.1:$port|" >"$work/examples.sh"
grep -q "127.0.0.1:$port" "$work/examples.sh" || { echo "readme-examples: no API= line found" >&2; exit 1; }

# What each step of the block answers, one line each (blank lines left out), in order: each
# pattern must be in its line ("!pattern": must not be). A step that answers anything else fails.
expect=(
	'1 "message":"Order created"'
	'2 customer: cust_'
	'3 "firstName":"Augusta Ada"' '3 "customerType":"business"' '3 "phone":"+44 20 7946 0000"'
	'4 "message":"Customer updated"' '4 !"phone"'
	'5 "code":"VALIDATION_ERROR"' '5 {"path":"nickname","message":"Unrecognized key(s) in object: '"'nickname'"'","code":"unrecognized_keys"}' '5 "path":"version"'
	'6 "postalCode":"SW1Y 4JH"'
	'7 "customFields":{"plan":"gold","seats":25}'
	'8 "customFields":{"plan":"gold","renewal":true}'
	'9 etag: "'
	'10 "company":"Analytical Engines Ltd"'
	'11 "code":"PRECONDITION_FAILED"'
	'12 "code":"VALIDATION_ERROR"' '12 "message":"Invalid request body"'
	'12 {"path":"billingAddress.contactName","message":"Required","code":"invalid_type"}'
	'12 "path":"customerType","message":"Invalid enum value. Expected '"'individual' | 'business'"', received '"'robot'"'","code":"invalid_enum_value"'
	'12 {"path":"email","message":"Invalid email format","code":"invalid_string"}'
	'13 "company":"Analytical Engines Ltd"' '13 !Someone Else Ltd'
	'14 "customers":[{'
	'15 "code":"CUSTOMER_HAS_PENDING_ORDERS"'
	'16 "message":"Order cancelled"'
	'17 "message":"Customer deactivated"'
)
steps=17

# check RUN: runs the block once and checks its answers; prints its customer and order ids.
check() {
	local out="$work/out.$1.txt" fail=0
	if ! bash -eu -o pipefail "$work/examples.sh" >"$out" 2>&1; then
		cat "$out" >&2
		echo "readme-examples: run $1: the block failed" >&2
		return 1
	fi
	local lines=()
	mapfile -t lines < <(grep -v '^$' "$out")
	if [ "${#lines[@]}" -ne "$steps" ]; then
		echo "readme-examples: run $1: ${#lines[@]} answers, want $steps" >&2
		fail=1
	fi
	local e n pattern line
	for e in "${expect[@]}"; do
		n=${e%% *}
		pattern=${e#* }
		line=${lines[$((n - 1))]:-}
		if [ "${pattern:0:1}" = '!' ]; then
			if [[ "$line" == *"${pattern:1}"* ]]; then
				echo "readme-examples: run $1, step $n: answered $line; it must not hold ${pattern:1}" >&2
				fail=1
			fi
		elif [[ "$line" != *"$pattern"* ]]; then
			echo "readme-examples: run $1, step $n: answered $line; want $pattern in it" >&2
			fail=1
		fi
	done
	if [ "$fail" -ne 0 ]; then
		echo "readme-examples: run $1 answered:" >&2
		cat "$out" >&2
		return 1
	fi
	echo "$(grep -o 'cust_[0-9A-Z]\{26\}' <<<"${lines[1]}") $(grep -o 'ord_[0-9A-Z]\{26\}' <<<"${lines[0]}" | head -n 1)"
}

first=$(check 1)
second=$(check 2)
if [ "${first% *}" = "${second% *}" ] || [ "${first#* }" = "${second#* }" ]; then
	echo "readme-examples: both runs used customer and order $first / $second; want a new customer and order each time" >&2
	exit 1
fi
echo "readme-examples: the block ran twice on one server; $steps steps each answered as the README says"
