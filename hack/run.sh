#!/usr/bin/env bash
# run.sh installs the Debian packages the local provider uses (as root),
# builds Slipway and runs `slipway serve` with embedded defaults:
# SQLite and the local provider in /var/lib/slipway (as root), the APIs on
# 127.0.0.1:9511. Extra arguments go to `slipway serve`.
set -euo pipefail
cd "$(dirname "$0")/.."
. hack/lib.sh
need_go
if [[ $(id -u) == 0 ]]; then
	# What local machines and Kubernetes nodes use from the host: HAProxy
	# for load balancers, runc and the CNI plugins for containers, busybox
	# and curl in machines' scripts.
	apt_install curl busybox-static haproxy runc containernetworking-plugins
fi
log "building bin/slipway"
go build -o bin/slipway ./cmd/slipway
go build -o bin/slipway-node ./cmd/slipway-node
exec bin/slipway serve "$@"
