#!/usr/bin/env bash
# postgres-test.sh makes sure a local PostgreSQL cluster is running and
# reachable over its Unix socket without a password, then prints an admin DSN
# for the tests:
#
#   export SLIPWAY_TEST_POSTGRES="$(hack/postgres-test.sh)"
#   go test ./internal/store/...
#
# The cluster is for tests only: the script turns off fsync and synchronous
# commit in it, which makes creating a database per test several times
# faster and a crash of the machine able to lose data.
#
# It is meant for development machines and CI, runs as root, and uses the
# Debian postgresql-common tools (pg_lsclusters, pg_createcluster,
# pg_ctlcluster). It installs PostgreSQL with apt-get when it is missing.
# Everything it says goes to stderr; stdout carries only the DSN.
set -euo pipefail

PG_VERSION="${PG_VERSION:-15}"
PG_CLUSTER="${PG_CLUSTER:-main}"
SOCKET_DIR=/var/run/postgresql

log() { echo "postgres-test: $*" >&2; }

if [[ $(id -u) -ne 0 ]]; then
	log "must run as root"
	exit 1
fi

if [[ ! -x /usr/lib/postgresql/${PG_VERSION}/bin/postgres ]]; then
	log "installing postgresql-${PG_VERSION}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq >&2
	apt-get install -y -qq "postgresql-${PG_VERSION}" >&2
fi

if ! pg_lsclusters -h | awk -v v="$PG_VERSION" -v c="$PG_CLUSTER" '$1 == v && $2 == c { found = 1 } END { exit !found }'; then
	log "creating cluster ${PG_VERSION}/${PG_CLUSTER}"
	pg_createcluster "$PG_VERSION" "$PG_CLUSTER" >&2
fi

# Trust local socket connections: the tests connect as the postgres superuser
# over the socket, which only root and postgres can reach on this machine.
hba=/etc/postgresql/${PG_VERSION}/${PG_CLUSTER}/pg_hba.conf
trust_line='local   all             all                                     trust'
reload=0
if ! head -n 1 "$hba" | grep -qx "$trust_line"; then
	log "allowing trust auth on the socket in $hba"
	{ echo "$trust_line"; grep -vx "$trust_line" "$hba"; } >"$hba.new"
	chown --reference="$hba" "$hba.new"
	chmod --reference="$hba" "$hba.new"
	mv "$hba.new" "$hba"
	reload=1
fi

# Tests create and drop a database each; durability only slows them down.
conf=/etc/postgresql/${PG_VERSION}/${PG_CLUSTER}/conf.d/slipway-test.conf
want_conf=$'fsync = off\nsynchronous_commit = off\nfull_page_writes = off'
if [[ ! -f $conf || $(<"$conf") != "$want_conf" ]]; then
	log "turning off fsync in $conf"
	mkdir -p "$(dirname "$conf")"
	printf '%s\n' "$want_conf" >"$conf"
	reload=1
fi

status=$(pg_lsclusters -h | awk -v v="$PG_VERSION" -v c="$PG_CLUSTER" '$1 == v && $2 == c { print $4 }')
if [[ $status != online* ]]; then
	log "starting cluster ${PG_VERSION}/${PG_CLUSTER}"
	pg_ctlcluster "$PG_VERSION" "$PG_CLUSTER" start >&2
elif [[ $reload -eq 1 ]]; then
	pg_ctlcluster "$PG_VERSION" "$PG_CLUSTER" reload >&2
fi

port=$(pg_lsclusters -h | awk -v v="$PG_VERSION" -v c="$PG_CLUSTER" '$1 == v && $2 == c { print $3 }')
for _ in $(seq 1 60); do
	if pg_isready -q -h "$SOCKET_DIR" -p "$port"; then
		echo "postgres://postgres@/postgres?host=${SOCKET_DIR}&port=${port}&sslmode=disable"
		exit 0
	fi
	sleep 0.5
done
log "cluster ${PG_VERSION}/${PG_CLUSTER} did not become ready"
exit 1
