#!/bin/sh
# install-deps.sh - install the Debian packages that building and testing
# chainstore need, when some are missing. Quiet when nothing is missing.
#
# Usage: sh tests/tools/install-deps.sh [bench | fuzz]
# With "bench", installs only what `make bench` needs besides (SQLite,
# gnuplot, GNU time): `make check` and CI never need them.
# With "fuzz", also what make fuzz needs: clang and its libFuzzer and
# sanitizer runtimes (Debian bookworm's clang is 14; libFuzzer is in
# libclang-rt-14-dev).
# Runs apt-get as root, through sudo when not root and sudo exists; else it
# prints what to install and exits 1.

set -eu

PACKAGES="libleveldb-dev libsnappy-dev g++ libcbor-dev libjansson-dev libssl-dev pkg-config
bats bats-assert bats-support mandoc python3-cbor2 python3-prometheus-client python3-bitcoinlib
bash-completion zsh xxd jq valgrind zstd parallel"
if [ "${1:-}" = bench ]; then
	PACKAGES="libsqlite3-dev sqlite3 gnuplot-nox time"
elif [ "${1:-}" = fuzz ]; then
	PACKAGES="$PACKAGES clang libclang-rt-14-dev"
fi

missing=
for pkg in $PACKAGES; do
	status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
	case $status in
	*" installed") ;;
	*) missing="$missing $pkg" ;;
	esac
done

[ -z "$missing" ] && exit 0

echo "install-deps: missing:$missing" >&2

if [ "$(id -u)" -eq 0 ]; then
	as_root=
elif command -v sudo >/dev/null 2>&1; then
	as_root=sudo
else
	echo "install-deps: not root and no sudo; as root, run:" >&2
	echo "  apt-get update && apt-get install -y --no-install-recommends$missing" >&2
	exit 1
fi

export DEBIAN_FRONTEND=noninteractive
# shellcheck disable=SC2086 # word splitting of the lists is wanted
$as_root apt-get update
# shellcheck disable=SC2086
$as_root apt-get install -y --no-install-recommends $missing
