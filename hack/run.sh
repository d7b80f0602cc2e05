#!/usr/bin/env bash
# run.sh builds Slipway and runs `slipway serve` with embedded defaults:
# SQLite and the local provider in /var/lib/slipway (as root), the APIs on
# 127.0.0.1:9511. Extra arguments go to `slipway serve`.
set -euo pipefail
cd "$(dirname "$0")/.."
. hack/lib.sh
need_go
log "building bin/slipway"
go build -o bin/slipway ./cmd/slipway
go build -o bin/slipway-node ./cmd/slipway-node
exec bin/slipway serve "$@"
