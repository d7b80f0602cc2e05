#!/usr/bin/env bash
# test.sh runs the whole test suite as CI does: it installs the real clients
# the compatibility tests drive (the openstack CLI with the Magnum plugin),
# starts PostgreSQL for the store conformance suite, checks formatting and
# vet, and runs every Go test with the race detector.
set -euo pipefail
cd "$(dirname "$0")/.."
. hack/lib.sh
need_root
need_go
apt_install python3-openstackclient python3-magnumclient python3-heatclient postgresql curl busybox-static haproxy runc containernetworking-plugins skopeo

log "starting PostgreSQL"
SLIPWAY_TEST_POSTGRES="$(hack/postgres-test.sh)"
export SLIPWAY_TEST_POSTGRES

log "checking formatting and vet"
unformatted=$(gofmt -l $(git ls-files '*.go'))
if [[ -n $unformatted ]]; then
	echo "gofmt would change:" >&2
	echo "$unformatted" >&2
	exit 1
fi
go vet ./...

log "building bin/slipway"
go build -o bin/slipway ./cmd/slipway
go build -o bin/slipway-node ./cmd/slipway-node
export SLIPWAY_BIN="$PWD/bin/slipway"

# Kubernetes and its companions are built from source into the shared cache
# (/var/cache/slipway); with the cache and Go's build cache warm this takes
# well under a second, cold about 20 minutes of CPU.
log "building the Kubernetes artifacts (cached)"
bin/slipway artifacts build --kube-tag v1.37.2 --kube-tag v1.36.3

log "running tests"
go test -race -count=1 -timeout 30m ./... "$@"
