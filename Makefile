# Slipway developer entry points. `make help` lists them.
GO        ?= go
BIN       ?= bin/slipway
PKGS      ?= ./...

.PHONY: help build run test test-unit lint fmt tidy-check bench

help: ## list targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

build: ## build bin/slipway and the machine agent bin/slipway-node
	$(GO) build -o $(BIN) ./cmd/slipway
	$(GO) build -o $(dir $(BIN))slipway-node ./cmd/slipway-node

run: ## install what Slipway needs and run `slipway serve` with embedded defaults
	hack/run.sh

test: ## install test dependencies, start PostgreSQL, run every test (what CI runs)
	hack/test.sh

test-unit: ## run the Go tests only, against whatever is already installed
	$(GO) test -race -count=1 $(PKGS)

lint: ## gofmt, go vet and golangci-lint
	hack/lint.sh

fmt: ## format the code
	gofmt -w $$(git ls-files '*.go')

bench: ## run the benchmarks in bench/ and print their figures
	hack/bench.sh
