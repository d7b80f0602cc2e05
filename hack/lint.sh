#!/usr/bin/env bash
# lint.sh runs gofmt, go vet and golangci-lint (installed into GOBIN at the
# pinned version when missing). depguard in .golangci.yml keeps
# internal/model free of dependencies and the CLI on pkg/client.
set -euo pipefail
cd "$(dirname "$0")/.."
. hack/lib.sh
need_go
GOLANGCI_VERSION=v2.15.0
bin="$(go env GOPATH)/bin/golangci-lint"
if ! "$bin" version 2>/dev/null | grep -q "${GOLANGCI_VERSION#v}"; then
	log "installing golangci-lint $GOLANGCI_VERSION"
	go install "github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$GOLANGCI_VERSION"
fi
unformatted=$(gofmt -l $(git ls-files '*.go'))
if [[ -n $unformatted ]]; then
	echo "gofmt would change:" >&2
	echo "$unformatted" >&2
	exit 1
fi
go vet ./...
"$bin" run ./...
