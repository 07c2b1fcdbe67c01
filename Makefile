# Plain `make` lists the targets (make help). The two that matter most:
#   make test   — everything CI runs (.ci/run): lint, unit + store contract + integration tests (on
#                 moto, and the DynamoDB store suite on dynoxide too), Lambda end-to-end under the
#                 Runtime Interface Emulator, template checks, the README walkthrough, the browser
#                 check, API fuzzing; a table of each phase's time at the end.
#   make run    — the whole API on 127.0.0.1:3000 with embedded storage.
# Targets are documented by their `## target: description` line, which make help prints.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
GO ?= go
TOOLS := $(CURDIR)/.tools
VENV := $(TOOLS)/venv
STATICCHECK_VERSION := v0.8.2
# dynoxide: a DynamoDB emulator on SQLite (https://github.com/nubo-db/dynoxide, MIT or Apache-2.0),
# a static binary from npm. The version is in the path, so a new one is installed beside the old.
DYNOXIDE_VERSION := 1.2.1
DYNOXIDE_PACKAGE := @dynoxide/linux-x64
DYNOXIDE_PREFIX := $(TOOLS)/dynoxide/$(DYNOXIDE_VERSION)
DYNOXIDE := $(DYNOXIDE_PREFIX)/node_modules/$(DYNOXIDE_PACKAGE)/dynoxide
# Redocly CLI lints openapi.yaml (https://github.com/Redocly/redocly-cli, MIT), from npm, pinned,
# beside dynoxide in the same way; its configuration is redocly.yaml (and .redocly.lint-ignore.yaml).
REDOCLY_VERSION := 2.77.0
REDOCLY_PREFIX := $(TOOLS)/redocly/$(REDOCLY_VERSION)
REDOCLY := $(REDOCLY_PREFIX)/node_modules/.bin/redocly
export SAM_CLI_TELEMETRY := 0

# The version cmd/local reports (-version, /healthz): the tag when HEAD has one, else devel+<commit>.
VERSION := $(shell v=$$(git describe --tags --exact-match --dirty 2>/dev/null) || v=devel+$$(git rev-parse --short HEAD 2>/dev/null); echo $${v:-devel})
VERSION_LDFLAGS := -X github.com/flexportal-compat/customers-api/internal/version.Version=$(VERSION)

.DEFAULT_GOAL := help
.PHONY: help test run tools dynoxide redocly lint lint-spec unit test-go test-conflicts test-conflicts-smoke bench bench-compare bench-smoke readme-examples browser-check fuzz-api clean bench-scale bench-scale-smoke

# The phases of make test, in order; scripts/phases.sh times each and prints the table.
TEST_PHASES := tools lint lint-spec test-go test-conflicts-smoke build-arm64 check-size cfn-lint sam-validate checkov sam-build readme-examples browser-check fuzz-api bench-smoke bench-scale-smoke

## help: list the targets with what each does (what plain `make` runs)
help:
	@echo "Customers API: make TARGET (make test is what CI runs; go run ./cmd/local needs no make at all)"
	@echo
	@awk '/^## [A-Za-z0-9_.-]+: / { line = substr($$0, 4); i = index(line, ": "); \
		printf "  %-16s %s\n", substr(line, 1, i - 1), substr(line, i + 2) }' $(MAKEFILE_LIST)

## test: everything CI runs, phase by phase (20 minutes or more the first time), then each phase's time
test:
	@scripts/phases.sh $(MAKE) $(TEST_PHASES)

## run: the whole API on 127.0.0.1:3000 on the embedded store (ARGS="-seed" for sample data)
run:
	$(GO) run -ldflags "$(VERSION_LDFLAGS)" ./cmd/local $(ARGS)

# Python tools (moto, cfn-lint, SAM CLI, schemathesis) into an ignored venv; re-installed only when
# tools/requirements.txt changes. pip prints what it collects and installs.
$(VENV)/.installed: tools/requirements.txt
	@echo "tools: installing $$(grep -v '^#' $< | tr '\n' ' ')and their dependencies into .tools/venv with pip (a few minutes the first time)"
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install --disable-pip-version-check --progress-bar off -r tools/requirements.txt
	@echo "tools: .tools/venv is ready"
	touch $@

$(TOOLS)/bin/staticcheck:
	@echo "tools: installing staticcheck $(STATICCHECK_VERSION) into .tools/bin with go install"
	GOBIN=$(TOOLS)/bin $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)

## dynoxide: install the dynoxide DynamoDB emulator (npm, pinned) into .tools/dynoxide
dynoxide: $(DYNOXIDE)
$(DYNOXIDE):
	@echo "tools: installing dynoxide $(DYNOXIDE_VERSION) ($(DYNOXIDE_PACKAGE)) into .tools/dynoxide with npm"
	npm install --prefix $(DYNOXIDE_PREFIX) --no-save --no-audit --no-fund $(DYNOXIDE_PACKAGE)@$(DYNOXIDE_VERSION)
	$@ --version

## redocly: install Redocly CLI (npm, pinned), the linter of openapi.yaml, into .tools/redocly
redocly: $(REDOCLY)
$(REDOCLY):
	@echo "tools: installing Redocly CLI $(REDOCLY_VERSION) (@redocly/cli) into .tools/redocly with npm"
	npm install --prefix $(REDOCLY_PREFIX) --no-save --no-audit --no-fund @redocly/cli@$(REDOCLY_VERSION)
	$@ --version

## tools: install what the tests use into .tools/ (Python venvs, staticcheck, the Lambda emulator, dynoxide, Redocly CLI)
tools: $(VENV)/.installed $(TOOLS)/bin/staticcheck rie dynoxide redocly checkov-venv
	@echo "tools: everything is in .tools/"

## lint: gofmt, go vet and staticcheck, of the default build and of cmd/local with -tags dynamodb
lint: $(TOOLS)/bin/staticcheck
	@echo "lint: gofmt"
	@unformatted=$$(gofmt -l $$(git ls-files '*.go')); \
	if [ -n "$$unformatted" ]; then echo "gofmt needed: $$unformatted"; exit 1; fi
	@echo "lint: go vet and staticcheck (a minute on a cold build cache)"
	$(GO) vet ./...
	$(GO) vet -tags dynamodb ./cmd/local/
	$(TOOLS)/bin/staticcheck ./...
	$(TOOLS)/bin/staticcheck -tags dynamodb ./cmd/local/

## lint-spec: Redocly CLI on openapi.yaml (any finding fails), and the generated Go client is current
lint-spec: $(REDOCLY)
	@echo "lint-spec: redocly lint openapi.yaml (recommended-strict: every finding is an error; redocly.yaml, .redocly.lint-ignore.yaml)"
	REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true $(REDOCLY) lint --max-problems=1000 openapi.yaml
	@echo "lint-spec: the Go client generated from openapi.yaml (internal/apiclient) is up to date"
	$(GO) test -count=1 -run TestGeneratedClientIsCurrent ./internal/apiclient/

## unit: the Go tests that need no servers (the others skip, saying why)
unit:
	$(GO) test ./...

# All Go tests with the race detector, with a moto server (the DynamoDB store suite, the
# integration tests, the Lambda end-to-end tests, cmd/local built with -tags dynamodb) and a
# dynoxide server (the store suite again); scripts/test-go.sh prints how long the store suite took
# on each.
## test-go: every Go test with -race, on moto and dynoxide started for the run (the longest phase)
test-go: $(VENV)/.installed rie $(DYNOXIDE)
	@echo "test-go: every Go test with the race detector, moto and dynoxide running (several minutes; go test prints each package as it ends)"
	AWS_LAMBDA_RIE=$(TOOLS)/bin/aws-lambda-rie DYNOXIDE=$(DYNOXIDE) GO=$(GO) \
		scripts/with-moto.sh scripts/with-dynoxide.sh scripts/test-go.sh -race -count=1
	@echo "test-go: cmd/local built with -tags dynamodb, on moto"
	scripts/with-moto.sh $(GO) test -race -count=1 -tags dynamodb -run DynamoDB ./cmd/local/

# The store's concurrency tests under DynamoDB's transaction conflicts (the conflict model on
# dynoxide), RUNS times at each transaction hold time of HOLDS, printing per hold the runs, the
# failures and how many calls answered 503: make test-conflicts RUNS=20 HOLDS="3ms 10ms 25ms".
RUNS ?= 20
HOLDS ?= 3ms 10ms 25ms
test-conflicts: $(DYNOXIDE)
	DYNOXIDE=$(DYNOXIDE) GO=$(GO) scripts/with-dynoxide.sh scripts/test-conflicts.sh $(RUNS) $(HOLDS)

# The same in CI, three runs at each hold (test-go runs the whole contract suite under the model
# once, at 10 ms).
test-conflicts-smoke: $(DYNOXIDE)
	DYNOXIDE=$(DYNOXIDE) GO=$(GO) scripts/with-dynoxide.sh scripts/test-conflicts.sh 3 $(HOLDS)

# Benchmarks: the update handler against a bare adapter round trip (target: within 2x), and the
# init duration of functions under the emulator against a hello-world function (target: 1.5x).
## bench: the update-handler and init-duration benchmarks
bench: rie
	$(GO) test -run='^$$' -bench=. -benchmem ./...

# The same benchmarks before (REV, default HEAD~1) and
# after a change, alternately in one run, compared by benchstat: make bench-compare REV=abc123
## bench-compare: the benchmarks of REV (default HEAD~1) and of the work tree, compared by benchstat
bench-compare: rie
	scripts/bench-compare.sh $(or $(REV),HEAD~1) $(or $(COUNT),6)

# A short run of the same benchmarks in CI, so their numbers are in every CI log and the code
# behind them keeps working. Timing is not asserted: these machines are shared and noisy.
## bench-smoke: a short run of the benchmarks, so their numbers are in every CI log
bench-smoke: rie
	@echo "bench-smoke: a short run of the update-handler and init benchmarks (timings not asserted)"
	$(GO) test -run='^$$' -bench='UpdateHandler|BareAdapter' -benchmem -benchtime=2000x ./internal/lambdafn/
	$(GO) test -run='^$$' -bench=Init -benchtime=5x ./internal/e2e/

# Issue 9's scale benchmark (internal/scale): every list, get, update and order creation at 1,000
# and 50,000 customers in one tenant and at 10 and 10,000 orders on one customer, on the embedded
# store and on dynoxide; prints each operation's time at both sizes and the ratio, and fails unless
# each operation sends the same DynamoDB requests and reads the same items at both sizes. Seeding is
# through the store API and dynoxide slows as its table grows: hours at full size. Other sizes:
# make bench-scale SCALE_ARGS="-scale.customers=1000,20000 -scale.orders=10,2000".
SCALE_ARGS ?=
bench-scale: $(DYNOXIDE)
	DYNOXIDE=$(DYNOXIDE) scripts/with-dynoxide.sh $(GO) test -count=1 -timeout=0 -v -run='^TestScale$$' ./internal/scale/ -args -scale=full $(SCALE_ARGS)

# The same at smaller sizes in CI (500 → 2,000 customers, 10 → 200 orders): about two minutes.
bench-scale-smoke: $(DYNOXIDE)
	DYNOXIDE=$(DYNOXIDE) scripts/with-dynoxide.sh $(GO) test -count=1 -timeout=20m -v -run='^TestScale$$' ./internal/scale/ -args -scale=smoke

## readme-examples: the README's curl walkthrough, verbatim, twice against one fresh local server
readme-examples:
	@echo "readme-examples: building cmd/local and running the README's Try it block twice"
	scripts/readme-examples.sh

## browser-check: headless Chromium renders the docs page offline and calls the API from another origin (installs chromium with apt-get if needed)
browser-check:
	scripts/browser-check.sh

## fuzz-api: fuzz the local server from openapi.yaml with schemathesis
fuzz-api: $(VENV)/.installed
	@echo "fuzz-api: schemathesis against cmd/local, every operation of openapi.yaml (a few minutes)"
	scripts/fuzz-api.sh

## clean: remove the build outputs (bin, build, .aws-sam); .tools/ stays
clean:
	rm -rf bin build .aws-sam

-include mk/lambda.mk
