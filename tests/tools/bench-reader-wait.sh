#!/bin/bash
# bench-reader-wait.sh [COUNT] - how long a cs-tip typed by hand waits while
# cs-put imports COUNT (default 1,000,000) synthetic regtest headers: runs
# cs-tip every 0.2 s during the import and prints the worst and median waits.
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
PATH="$root/bin:$root/tests/tools/bin:$PATH"
count=${1:-1000000}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

cs-genchain -n "$count" > "$tmp/chain.bin"
cs-init -q -s "$tmp/s" --network regtest
start=$(date +%s.%N)
cs-put -q -s "$tmp/s" -f raw "$tmp/chain.bin" &
writer=$!
: > "$tmp/waits"
while kill -0 "$writer" 2>/dev/null; do
	t0=$(date +%s.%N)
	if cs-tip -s "$tmp/s" -f hex -w 30 > /dev/null; then
		t1=$(date +%s.%N)
		echo "$t1 - $t0" | bc >> "$tmp/waits"
	fi
	sleep 0.2
done
wait "$writer"
end=$(date +%s.%N)
n=$(wc -l < "$tmp/waits")
sort -n "$tmp/waits" > "$tmp/sorted"
printf 'import of %d headers: %.2f s, %d cs-tip runs during it\n' "$count" "$(echo "$end - $start" | bc)" "$n"
printf 'cs-tip wait: median %.3f s, worst %.3f s\n' "$(sed -n "$(( (n + 1) / 2 ))p" "$tmp/sorted")" "$(tail -n 1 "$tmp/sorted")"
