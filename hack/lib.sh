# Shared helpers for hack/ scripts. Source it; do not run it.

log() { echo "==> $*" >&2; }

# need_root fails unless the script runs as root, which installing packages
# and (later) making machines require.
need_root() {
	if [[ $(id -u) -ne 0 ]]; then
		echo "$0: run this as root (it installs Debian packages)" >&2
		exit 1
	fi
}

# need_go fails with a clear message when the Go toolchain is missing or old.
need_go() {
	if ! command -v go >/dev/null 2>&1 && [[ -x /usr/local/go/bin/go ]]; then
		export PATH=$PATH:/usr/local/go/bin
	fi
	if ! command -v go >/dev/null 2>&1; then
		echo "$0: Go 1.26 or later is needed (https://go.dev/dl); Debian's golang package is too old" >&2
		exit 1
	fi
}

# apt_install installs the Debian packages that are missing, updating the
# package lists once first.
apt_install() {
	local missing=()
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
	done
	if ((${#missing[@]})); then
		log "installing ${missing[*]}"
		export DEBIAN_FRONTEND=noninteractive
		apt-get update -qq
		apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
	fi
}
