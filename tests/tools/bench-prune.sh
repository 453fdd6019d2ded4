#!/bin/bash
# bench-prune.sh [COUNT] - what cs-prune costs and gives back:
#   1. the bytes on disk before and after pruning mainnet blocks 1..255
#      (tests/data/blocks) to the last 10 bodies;
#   2. the same for a synthetic opaque chain of 20,000 entries with 10 kB
#      bodies and two forks, archiving what goes;
#   3. the time to prune the forks of a regtest chain of COUNT (default
#      1,000,000) headers from cs-genchain with four forks, and how long a
#      cs-tip typed by hand waits during the prune of (2).
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
PATH="$root/bin:$root/tests/tools/bin:$PATH"
count=${1:-1000000}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

cs-init -q -s "$tmp/blocks"
cs-put -q -s "$tmp/blocks" -f blk "$root/tests/data/blocks/btcd_blocks_1-255.dat"
echo "mainnet blocks 1..255, --keep-bodies 10 --force:"
cs-prune -s "$tmp/blocks" -v --keep-bodies 10 --force

/usr/bin/python3 - "$tmp/opaque.jsonl" <<'EOF'
import hashlib, json, sys
def h(*p): return hashlib.sha256("|".join(map(str, p)).encode()).digest()
def body(x):
    out = bytearray(); i = 0
    while len(out) < 10000:
        out += hashlib.sha256(x + i.to_bytes(4, "little")).digest(); i += 1
    return bytes(out[:10000])
with open(sys.argv[1], "w") as f:
    def emit(hsh, prev, b, height):
        e = {"hash": hsh[::-1].hex(), "prev": prev[::-1].hex(), "header": h("header", b, height).hex()}
        if height: e["body"] = body(hsh).hex()
        f.write(json.dumps(e) + "\n")
    main = [h(0, 0)]; emit(main[0], bytes(32), 0, 0)
    for i in range(1, 20001):
        main.append(h(0, i)); emit(main[i], main[i - 1], 0, i)
    for b, (at, ln) in enumerate([(15000, 50), (19990, 5)], 1):
        prev = main[at]
        for j in range(at + 1, at + ln + 1):
            cur = h(b, j); emit(cur, prev, b, j); prev = cur
EOF
head -n 1 "$tmp/opaque.jsonl" | cs-init -q -s "$tmp/opaque" --opaque -f json
tail -n +2 "$tmp/opaque.jsonl" | cs-put -q -s "$tmp/opaque" -f json
cs-tip -s "$tmp/opaque" >/dev/null # let LevelDB settle the import
echo "opaque chain of 20,000 entries with 10 kB bodies, --keep-bodies 1000 --forks 100 --archive:"
start=$(date +%s.%N)
cs-prune -s "$tmp/opaque" -v --keep-bodies 1000 --forks 100 --archive "$tmp/archive.cbor" &
pruner=$!
: >"$tmp/waits"
while kill -0 "$pruner" 2>/dev/null; do
	t0=$(date +%s.%N)
	cs-tip -s "$tmp/opaque" -f hex -w 30 >/dev/null
	t1=$(date +%s.%N)
	echo "$t1 - $t0" | bc >>"$tmp/waits"
	sleep 0.2
done
wait "$pruner"
end=$(date +%s.%N)
printf 'prune: %.2f s, archive %d bytes; cs-tip during it: %d runs, median wait %.3f s, worst %.3f s\n' \
	"$(echo "$end - $start" | bc)" "$(stat -c %s "$tmp/archive.cbor")" "$(wc -l <"$tmp/waits")" \
	"$(sort -n "$tmp/waits" | sed -n "$(( ($(wc -l <"$tmp/waits") + 1) / 2 ))p")" "$(sort -n "$tmp/waits" | tail -n 1)"

cs-init -q -s "$tmp/regtest" --network regtest
cs-genchain -n "$count" --fork-at $((count / 10)) --fork-len 1000 --fork-at $((count / 2)) --fork-len 200 \
	--fork-at $((count - 10000)) --fork-len 5000 --fork-at $((count - 1000)) --fork-len 100 |
	cs-put -q -s "$tmp/regtest" -f raw
cs-tip -s "$tmp/regtest" >/dev/null
echo "regtest chain of $count headers with 6,300 fork entries, --forks 100:"
start=$(date +%s.%N)
cs-prune -s "$tmp/regtest" -v --forks 100
end=$(date +%s.%N)
printf 'prune: %.2f s\n' "$(echo "$end - $start" | bc)"
