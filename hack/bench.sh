#!/usr/bin/env bash
# bench.sh builds bin/slipway and runs the API benchmark (bench/apilist):
# GET /container-infra/v1/clusters with 1 000 clusters stored, against a
# real `slipway serve` on loopback, first on SQLite, then on PostgreSQL when
# one can be had. It prints the figures as Markdown on stdout; progress goes
# to stderr. docs/benchmarks.md records them, with this command.
#
#   hack/bench.sh                        # SQLite and PostgreSQL, 10 s per run
#   hack/bench.sh -duration 3s -conns 4  # extra arguments go to bench/apilist
#   BENCH_BACKENDS=sqlite hack/bench.sh  # one backend only
#
# PostgreSQL comes from $SLIPWAY_TEST_POSTGRES when it is set, else, as
# root, from hack/postgres-test.sh (which installs and starts a local test
# cluster). wrk, when installed (as root it is), measures alongside the Go
# client of bench/apilist.
#
# Each run first waits for the machine to be quiet (see -quiet and
# -quiet-wait): other work on the CPUs makes the figures meaningless, and
# the report's "others" column shows how much of it there still was.
set -euo pipefail
cd "$(dirname "$0")/.."
. hack/lib.sh
need_go

backends=${BENCH_BACKENDS:-sqlite postgres}

if ! command -v wrk >/dev/null 2>&1; then
	if [[ $(id -u) -eq 0 ]]; then
		apt_install wrk
	else
		log "wrk is not installed (apt-get install wrk): measuring with the Go client only"
	fi
fi

log "building bin/slipway and bin/apilist"
go build -o bin/slipway ./cmd/slipway
go build -o bin/slipway-node ./cmd/slipway-node
go build -o bin/apilist ./bench/apilist

for backend in $backends; do
	case $backend in
	sqlite)
		log "benchmarking SQLite"
		bin/apilist -bin bin/slipway "$@"
		;;
	postgres)
		dsn=${SLIPWAY_TEST_POSTGRES:-}
		if [[ -z $dsn && $(id -u) -eq 0 ]]; then
			dsn=$(hack/postgres-test.sh) || dsn=""
		fi
		if [[ -z $dsn ]]; then
			log "no PostgreSQL (set SLIPWAY_TEST_POSTGRES, or run as root): skipping it"
			continue
		fi
		log "benchmarking PostgreSQL"
		bin/apilist -bin bin/slipway -db "$dsn" "$@"
		;;
	*)
		echo "$0: unknown backend $backend in BENCH_BACKENDS (sqlite, postgres)" >&2
		exit 2
		;;
	esac
done
