# barge's front door. `make demo` and `make test` do all the set-up a fresh
# machine needs: they build the local cluster's binaries (cached under .cache/).

SHELL := /bin/bash
GO ?= go
BIN := bin/barge
CACHE := $(CURDIR)/.cache
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo v0.0.0-dev)
LDFLAGS := -X github.com/bargehq/barge/internal/version.version=$(VERSION)
GOTEST_TIMEOUT ?= 25m

export BARGE_TOOLS_BIN := $(CACHE)/bin

.PHONY: all build tools tools-cluster test unit e2e demo bench soak lint golden cluster-up cluster-down clean

all: build

build:
	@# fetch the modules first, silently: go build would print a line per module
	@$(GO) mod download
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/barge

## tools: everything the tests need (the cluster, Helm v3 and v4, the registry)
tools:
	hack/tools/build.sh all

## tools-cluster: only the local cluster's binaries (the demo needs no more)
tools-cluster:
	hack/tools/build.sh cluster

## test: every test, unit and end-to-end, on the local cluster (the one command CI runs)
test: tools build
	@$(GO) build -o bin/testprogress ./hack/testprogress
	@echo "running every test (each package as it starts and ends; a line a minute while they run)"
	set -o pipefail; $(GO) test -json -timeout $(GOTEST_TIMEOUT) -count=1 ./... | bin/testprogress

## unit: the tests that need no cluster
unit:
	BARGE_SKIP_CLUSTER=1 $(GO) test -short -count=1 ./...

## demo: barge's main job on the local cluster, where a person can see it
demo: tools-cluster build bin/barge-cluster
	hack/demo.sh

## bench: every benchmark side by side with its reference, with medians and ratios (BENCH="template render" picks sections)
bench: tools build
	hack/bench.sh $(BENCH)

SOAK_TRIALS ?= 500
SOAK_SEED ?=
SOAK_PARALLEL ?= 8

## soak: the fault-injection suite's long run (SOAK_TRIALS=500 trials, SOAK_PARALLEL=8 at once, SOAK_SEED= to replay), with its table of violations
soak: tools
	BARGE_SOAK_TRIALS=$(SOAK_TRIALS) BARGE_SOAK_SEED=$(SOAK_SEED) BARGE_SOAK_PARALLEL=$(SOAK_PARALLEL) BARGE_SOAK_OUT=$(CACHE)/soak-report.txt \
		$(GO) test -timeout 3h -count=1 -run 'TestSoak$$' -v ./internal/soak

lint: 
	hack/tools/build.sh lint
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(BARGE_TOOLS_BIN)/staticcheck-$$(. hack/tools/versions.env; echo $$STATICCHECK_VERSION) ./...

golden:
	$(GO) test ./... -run 'Golden|Conformance' -update

bin/barge-cluster: $(shell find hack/cluster internal/localcluster -name '*.go')
	$(GO) build -o $@ ./hack/cluster

## cluster-up: start a local cluster in the background; kubeconfig in .cache/cluster/kubeconfig
cluster-up: tools-cluster bin/barge-cluster
	bin/barge-cluster up --dir $(CACHE)/cluster

cluster-down: bin/barge-cluster
	bin/barge-cluster down --dir $(CACHE)/cluster

clean: cluster-down
	rm -rf bin $(CACHE)/cluster $(CACHE)/bench
	@# volume directories a local cluster left before it removed its own at stop
	-find /tmp/hostpath_pv -mindepth 1 -maxdepth 1 -type d -empty -delete 2>/dev/null
