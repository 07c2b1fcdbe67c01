# Lambda packaging targets, included by the top-level Makefile.
#
# `sam build` (BuildMethod: makefile) calls `make build-<LogicalId>` with ARTIFACTS_DIR set; every
# other target is for humans and CI. The function list is internal/httpapi.Routes plus not-found
# and the event-driven functions (crm-sync, change-events, rental-events); internal/lambdafn's template test
# checks that template.yaml and this file agree with it.

GO ?= go
LAMBDA_TOOLS := $(CURDIR)/.tools
LAMBDA_VENV := $(LAMBDA_TOOLS)/venv/bin

# logical id in template.yaml : folder under functions/
LAMBDA_FUNCTIONS := \
	ListCustomersFunction:list-customers \
	GetCustomerFunction:get-customer \
	UpdateCustomerFunction:update-customer \
	DeleteCustomerFunction:delete-customer \
	CreateOrderFunction:create-order \
	ListOrdersFunction:list-orders \
	GetOrderFunction:get-order \
	CancelOrderFunction:cancel-order \
	UpdateOrderNotesFunction:update-order-notes \
	EraseCustomerFunction:erase-customer \
	ExportCustomerFunction:export-customer \
	NotFoundFunction:not-found \
	CrmSyncFunction:crm-sync \
	ChangeEventsFunction:change-events \
	RentalEventsFunction:rental-events

LAMBDA_NAMES := $(foreach f,$(LAMBDA_FUNCTIONS),$(word 2,$(subst :, ,$(f))))

# The smallest, fastest-starting binaries: no RPC mode, no HTTP/2 (nethttpomithttp2: every
# endpoint a function calls speaks HTTP/1.1, and a function serves one request at a time, so
# there is nothing to multiplex; it saves about 330 KB a binary), no paths or symbols.
# internal/e2e builds with the same tags (lambdaTags).
LAMBDA_TAGS := lambda.norpc,nethttpomithttp2
LAMBDA_GOFLAGS := -tags $(LAMBDA_TAGS) -trimpath -ldflags="-s -w"
LAMBDA_ARM64_ENV := GOOS=linux GOARCH=arm64 CGO_ENABLED=0
LAMBDA_MAX_BYTES := 10000000

RIE_VERSION := v0.0.0-20261030222936-bef5c4ba774d
RIE := $(LAMBDA_TOOLS)/bin/aws-lambda-rie

.PHONY: build-functions build-arm64 check-size rie e2e cfn-lint sam-validate checkov checkov-venv sam-build

## build-functions: build every function for the host into bin/<name>/bootstrap
build-functions:
	@echo "build-functions: building $(words $(LAMBDA_NAMES)) functions for this machine into bin/"
	@set -e; for f in $(LAMBDA_NAMES); do \
		$(GO) build -tags $(LAMBDA_TAGS) -o bin/$$f/bootstrap ./functions/$$f; \
	done

## build-arm64: cross-compile every function as Lambda runs it, into build/arm64/<name>/bootstrap
build-arm64:
	@echo "build-arm64: cross-compiling $(words $(LAMBDA_NAMES)) functions for linux/arm64 into build/arm64/ (a minute or two on a cold build cache)"
	@set -e; for f in $(LAMBDA_NAMES); do \
		echo "  $$f"; \
		$(LAMBDA_ARM64_ENV) $(GO) build $(LAMBDA_GOFLAGS) -o build/arm64/$$f/bootstrap ./functions/$$f; \
	done

## check-size: fail when any arm64 function binary is over 10 MB
check-size: build-arm64
	@fail=0; for f in $(LAMBDA_NAMES); do \
		size=$$(wc -c < build/arm64/$$f/bootstrap); \
		if [ $$size -gt $(LAMBDA_MAX_BYTES) ]; then \
			echo "check-size: $$f is $$size bytes, over $(LAMBDA_MAX_BYTES)"; fail=1; \
		else \
			echo "check-size: $$f $$size bytes"; \
		fi; \
	done; exit $$fail

# build-<LogicalId>: what `sam build` runs for each function.
define LAMBDA_SAM_TARGET
.PHONY: build-$(1)
build-$(1):
	$$(LAMBDA_ARM64_ENV) $$(GO) build $$(LAMBDA_GOFLAGS) -o $$(ARTIFACTS_DIR)/bootstrap ./functions/$(2)
endef
$(foreach f,$(LAMBDA_FUNCTIONS),$(eval $(call LAMBDA_SAM_TARGET,$(word 1,$(subst :, ,$(f))),$(word 2,$(subst :, ,$(f))))))

## rie: install the AWS Lambda Runtime Interface Emulator into .tools/bin
rie: $(RIE)
$(RIE):
	@echo "tools: installing the AWS Lambda Runtime Interface Emulator into .tools/bin with go install"
	GOBIN=$(LAMBDA_TOOLS)/bin $(GO) install github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie@$(RIE_VERSION)

## e2e: run every function under the RIE against DynamoDB on a moto server started for the run
e2e: rie
	AWS_LAMBDA_RIE=$(RIE) scripts/with-moto.sh $(GO) test -count=1 -v ./internal/e2e/

## cfn-lint: lint template.yaml
cfn-lint:
	@echo "cfn-lint: linting template.yaml against the CloudFormation resource specs"
	$(LAMBDA_VENV)/cfn-lint template.yaml

## sam-validate: check that the SAM transform accepts template.yaml, then lint it with sam's cfn-lint
# The region only completes the SAM CLI's session; nothing is sent to AWS.
sam-validate:
	@echo "sam-validate: translating template.yaml with the SAM transform (sam validate)"
	SAM_CLI_TELEMETRY=0 $(LAMBDA_VENV)/sam validate --region us-east-1 --template-file template.yaml
	@echo "sam-validate: linting the template (sam validate --lint)"
	SAM_CLI_TELEMETRY=0 $(LAMBDA_VENV)/sam validate --lint --region us-east-1 --template-file template.yaml

# checkov pins boto3 1.35.x, the SAM CLI 1.43.x: it has a venv of its own, installed when
# tools/checkov-requirements.txt changes.
CHECKOV_VENV := $(LAMBDA_TOOLS)/checkov-venv

## checkov-venv: install checkov into .tools/checkov-venv
checkov-venv: $(CHECKOV_VENV)/.installed
$(CHECKOV_VENV)/.installed: tools/checkov-requirements.txt
	@echo "checkov-venv: installing $$(grep -v '^#' $< | tr '\n' ' ')and about 70 dependencies into .tools/checkov-venv (a minute or two)"
	python3 -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/pip install --quiet --disable-pip-version-check -r $<
	$(CHECKOV_VENV)/bin/checkov --version
	touch $@

## checkov: scan template.yaml for security and best-practice findings (skips, with reasons: .checkov.yaml)
checkov: $(CHECKOV_VENV)/.installed
	@echo "checkov: scanning template.yaml (CloudFormation and SAM checks; skipped ids and why in .checkov.yaml)"
	$(CHECKOV_VENV)/bin/checkov --config-file .checkov.yaml

## sam-build: build the SAM application as `sam deploy` would (no Docker needed)
sam-build:
	@echo "sam-build: sam build --build-in-source (runs make build-<Function> for each function)"
	SAM_CLI_TELEMETRY=0 $(LAMBDA_VENV)/sam build --build-in-source
