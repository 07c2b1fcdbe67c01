# make test   — everything CI runs: lint, unit + store contract + integration tests (on moto, and
#               the DynamoDB store suite on dynoxide too, also under modelled transaction conflicts),
#               Lambda end-to-end under the Runtime Interface Emulator, template checks, API fuzzing.
# make run    — the whole API on 127.0.0.1:3000 with embedded storage.
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
export SAM_CLI_TELEMETRY := 0

.PHONY: test run tools dynoxide lint unit test-go test-conflicts test-conflicts-smoke bench bench-compare bench-smoke readme-examples fuzz-api clean

test: tools lint test-go test-conflicts-smoke build-arm64 check-size cfn-lint sam-validate checkov sam-build readme-examples fuzz-api bench-smoke

run:
	$(GO) run ./cmd/local

# Python tools (moto, cfn-lint, SAM CLI, schemathesis) into an ignored venv; re-installed only when
# tools/requirements.txt changes.
$(VENV)/.installed: tools/requirements.txt
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r tools/requirements.txt
	touch $@

$(TOOLS)/bin/staticcheck:
	GOBIN=$(TOOLS)/bin $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)

dynoxide: $(DYNOXIDE)
$(DYNOXIDE):
	npm install --prefix $(DYNOXIDE_PREFIX) --no-save --no-audit --no-fund $(DYNOXIDE_PACKAGE)@$(DYNOXIDE_VERSION)
	$@ --version

tools: $(VENV)/.installed $(TOOLS)/bin/staticcheck rie dynoxide checkov-venv

lint: $(TOOLS)/bin/staticcheck
	@unformatted=$$(gofmt -l $$(git ls-files '*.go')); \
	if [ -n "$$unformatted" ]; then echo "gofmt needed: $$unformatted"; exit 1; fi
	$(GO) vet ./...
	$(TOOLS)/bin/staticcheck ./...

# Unit tests only: no servers needed (integration tests skip with a reason).
unit:
	$(GO) test ./...

# All Go tests with the race detector, with a moto server (the DynamoDB store suite, the
# integration tests, the Lambda end-to-end tests) and a dynoxide server (the store suite again);
# scripts/test-go.sh prints how long the store suite took on each.
test-go: $(VENV)/.installed rie $(DYNOXIDE)
	AWS_LAMBDA_RIE=$(TOOLS)/bin/aws-lambda-rie DYNOXIDE=$(DYNOXIDE) GO=$(GO) \
		scripts/with-moto.sh scripts/with-dynoxide.sh scripts/test-go.sh -race -count=1

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
bench: rie
	$(GO) test -run='^$$' -bench=. -benchmem ./...

# The same benchmarks before (REV, default HEAD~1) and
# after a change, alternately in one run, compared by benchstat: make bench-compare REV=abc123
bench-compare: rie
	scripts/bench-compare.sh $(or $(REV),HEAD~1) $(or $(COUNT),6)

# A short run of the same benchmarks in CI, so their numbers are in every CI log and the code
# behind them keeps working. Timing is not asserted: these machines are shared and noisy.
bench-smoke: rie
	$(GO) test -run='^$$' -bench='UpdateHandler|BareAdapter' -benchmem -benchtime=2000x ./internal/lambdafn/
	$(GO) test -run='^$$' -bench=Init -benchtime=5x ./internal/e2e/

# The README's curl examples, verbatim, against a fresh local server.
readme-examples:
	scripts/readme-examples.sh

# Fuzz the running local server from openapi.yaml with schemathesis.
fuzz-api: $(VENV)/.installed
	scripts/fuzz-api.sh

clean:
	rm -rf bin build .aws-sam

-include mk/lambda.mk
