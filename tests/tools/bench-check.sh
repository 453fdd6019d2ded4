#!/bin/bash
# bench-check.sh [COUNT] - time and memory of cs-check, cs-check --repair
# and cs-stat on a store of COUNT (default 1,000,000) synthetic regtest
# headers. Peak RSS is /usr/bin/time's (it counts the pages of LevelDB's
# table files that the process maps); anonymous memory, the heap and
# LevelDB's cache, is sampled from /proc/PID/status.
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
PATH="$root/bin:$root/tests/tools/bin:$PATH"
count=${1:-1000000}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# measure NAME STATUS CMD...: runs CMD, which must exit STATUS, and prints
# one line: wall and CPU time, peak RSS, peak anonymous RSS.
measure() {
	local name=$1 want=$2 pid child anon=0 a wall user sys rss status
	shift 2
	/usr/bin/time -o "$tmp/time" -f '%e %U %S %M %x' "$@" >/dev/null 2>"$tmp/err" &
	pid=$!
	while kill -0 "$pid" 2>/dev/null; do
		for child in $(pgrep -P "$pid"); do
			a=$(awk '/^RssAnon/ { print $2 }' "/proc/$child/status" 2>/dev/null) || a=0
			if ((${a:-0} > anon)); then anon=$a; fi
		done
		sleep 0.02
	done
	wait "$pid" || true
	read -r wall user sys rss status < <(tail -n 1 "$tmp/time")
	if [ "$status" -ne "$want" ]; then
		cat "$tmp/err" >&2
		echo "$name: exit status $status, not $want" >&2
		return 1
	fi
	printf '%-34s %6.2f s (cpu %5.2f s)  peak RSS %7d kB  anonymous %7d kB\n' "$name" "$wall" \
		"$(echo "$user + $sys" | bc)" "$rss" "$anon"
}

cs-init -q -s "$tmp/s" --network regtest
start=$(date +%s.%N)
cs-genchain -n "$count" -f raw | cs-put -q -s "$tmp/s" -f raw
printf 'import of %d headers: %.1f s, store %s\n' "$count" "$(echo "$(date +%s.%N) - $start" | bc)" \
	"$(du -sh "$tmp/s" | cut -f1)"

# the first open turns cs-put's last log into a table: not part of a check
cs-tip -s "$tmp/s" >/dev/null
measure "cs-check" 0 cs-check -s "$tmp/s"
measure "cs-stat -f prometheus" 0 cs-stat -s "$tmp/s" -f prometheus
measure "cs-stat -f json" 0 cs-stat -s "$tmp/s" -f json

# one entry's chainwork damaged near the genesis: found, then repaired
key=45$(cs-get -s "$tmp/s" -n 10 -f json | jq -r .hash | fold -w2 | tac | tr -d '\n')
value=$(cs-poke -s "$tmp/s" get "$key")
cs-poke -s "$tmp/s" put "$key" "${value:0:10}$(printf '%064x' 1)${value:74}"
measure "cs-check (one entry damaged)" 74 cs-check -s "$tmp/s"
measure "cs-check --repair (one entry)" 0 cs-check -q -s "$tmp/s" --repair
# LevelDB's files: a lost CURRENT, recovered by LevelDB's repair
echo garbage >"$tmp/s/db/CURRENT"
measure "cs-check --repair (CURRENT lost)" 0 cs-check -q -s "$tmp/s" --repair
measure "cs-check (after the repairs)" 0 cs-check -s "$tmp/s"
