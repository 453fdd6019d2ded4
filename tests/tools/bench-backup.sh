#!/bin/bash
# bench-backup.sh [COUNT] - a backup of a store of COUNT (default 1,000,000)
# synthetic regtest headers with cs-backup, against `cp -a` of the same
# store: wall time, and how long the store's lock was held (cs-backup -v
# reports it; `flock DIR/lock cp -a` holds it for the whole copy). Also the
# copy to another file system (/dev/shm, when it is one) and the export
# (entries/s; `make bench` sets it beside the import's).
# Runs each three times; with caches dropped first when this is root and may.
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
PATH="$root/bin:$root/tests/tools/bin:$PATH"
count=${1:-1000000}
tmp=$(mktemp -d "${TMPDIR:-/var/tmp}/cs-bench-backup.XXXXXX")
other=
if [[ -d /dev/shm && -w /dev/shm && $(stat -c %d /dev/shm) != $(stat -c %d "$tmp") ]]; then
	other=$(mktemp -d /dev/shm/cs-bench-backup.XXXXXX)
fi
trap 'rm -rf "$tmp" ${other:+"$other"}' EXIT

cold() {
	sync
	if [[ -w /proc/sys/vm/drop_caches ]] && echo 3 > /proc/sys/vm/drop_caches 2>/dev/null; then
		echo cold
	else
		echo warm
	fi
}

# wall CMD...: runs CMD, prints its wall time in seconds
wall() {
	local t0 t1
	t0=$(date +%s%N)
	"$@"
	t1=$(date +%s%N)
	printf '%.3f' "$(echo "($t1 - $t0) / 1000000000" | bc -l)"
}

held() {
	sed -n 's/.*store held \([0-9.]*\) ms.*/\1/p' "$1"
}

cs-genchain -n "$count" -f raw > "$tmp/chain.bin"
cs-init -q -s "$tmp/s" --network regtest
printf 'import of %d headers: %s s\n' "$count" "$(wall cs-put -q -s "$tmp/s" -f raw "$tmp/chain.bin")"
rm -f "$tmp/chain.bin"
# one reopen, as any later command would do, so every run sees the same files
cs-tip -s "$tmp/s" -f hex > /dev/null
printf 'store: %s, %d database files\n' "$(du -sh "$tmp/s" | cut -f1)" "$(ls "$tmp/s/db" | wc -l)"

for run in 1 2 3; do
	rm -rf "$tmp/b" "$tmp/c" ${other:+"$other/b"}
	c=$(cold)
	w=$(wall cs-backup -v -s "$tmp/s" "$tmp/b" 2> "$tmp/log")
	printf 'run %d (%s): cs-backup, same file system:  wall %s s, store held %s ms\n' "$run" "$c" "$w" "$(held "$tmp/log")"
	if [[ -n $other ]]; then
		c=$(cold)
		w=$(wall cs-backup -v -s "$tmp/s" "$other/b" 2> "$tmp/log")
		printf 'run %d (%s): cs-backup, other file system: wall %s s, store held %s ms\n' "$run" "$c" "$w" \
			"$(held "$tmp/log")"
		rm -rf "$other/b"
	fi
	c=$(cold)
	w=$(wall flock "$tmp/s/lock" cp -a "$tmp/s" "$tmp/c")
	printf 'run %d (%s): flock + cp -a:                 wall %s s, store held %s s (all of it)\n' "$run" "$c" "$w" "$w"
	rm -rf "$tmp/c"
	c=$(cold)
	w=$(wall flock "$tmp/s/lock" sh -c 'cp -a "$1" "$2" && sync -f "$2"' _ "$tmp/s" "$tmp/c")
	printf 'run %d (%s): flock + cp -a + sync:          wall %s s, store held %s s (all of it)\n' "$run" "$c" "$w" "$w"
	rm -rf "$tmp/c"
	c=$(cold)
	w=$(wall sh -c 'cs-backup -v -s "$1" --export > /dev/null 2> "$2"' _ "$tmp/s" "$tmp/log")
	printf 'run %d (%s): cs-backup --export (cbor):    wall %s s, store held %s ms, %s entries/s\n' "$run" "$c" \
		"$w" "$(held "$tmp/log")" "$(echo "$(sed -n 's/.*exported \([0-9]*\) entries.*/\1/p' "$tmp/log") / $w" | bc)"
done
