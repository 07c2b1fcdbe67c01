#!/usr/bin/env bash
# browser-check.sh: the browser tests of cmd/local (TestBrowser*) in headless Chromium: the docs
# page renders every operation with no network, and a page of another origin calls the API
# through -cors-origin. Installs Debian's chromium with apt-get when there is none; where that
# is impossible it says SKIPPED and why (never a silent pass).
set -euo pipefail
cd "$(dirname "$0")/.."
go="${GO:-go}"

browser="${CHROMIUM:-$(command -v chromium || command -v chromium-browser || true)}"
if [ -z "$browser" ]; then
	if ! command -v apt-get >/dev/null; then
		echo "browser-check: SKIPPED: no chromium here and no apt-get to install it;" \
			"install Chromium and set CHROMIUM=/path/to/chromium to run the browser tests"
		exit 0
	fi
	sudo=()
	if [ "$(id -u)" -ne 0 ]; then
		if ! sudo -n true 2>/dev/null; then
			echo "browser-check: SKIPPED: no chromium here, and installing it needs root (apt-get)" \
				"or password-less sudo; install chromium and run make browser-check again"
			exit 0
		fi
		sudo=(sudo -n)
	fi
	echo "browser-check: no chromium here; installing Debian's chromium: apt-get update, then apt-get install chromium"
	"${sudo[@]}" apt-get update
	DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y --no-install-recommends chromium
	browser=$(command -v chromium)
	echo "browser-check: installed $browser"
fi
echo "browser-check: $("$browser" --version 2>/dev/null || echo "$browser")"
CHROMIUM="$browser" BROWSER_CHECK=required "$go" test -race -count=1 -run '^TestBrowser' -v ./cmd/local/
