#!/usr/bin/env bats
# cs-prune: drop old bodies and stale forks, archive them first, compact.
# Real data: mainnet blocks 1..255 (btcd) and the btcd reorg blocks; the
# transactions and their positions are computed here from the block files
# with Python, and the first payment's is the published one.

load test_helper

setup_file() {
	# built here once, copied by the tests that need it; a failure shows
	# in those tests
	local cache=$BATS_FILE_TMPDIR/blocks
	rm -rf "$cache"
	cs-init -q -s "$cache" && cs-put -q -s "$cache" -f blk "$BTCD_BLOCKS" && touch "$cache.done" || true
}

setup() {
	common_setup
}

teardown() {
	if [[ -n ${holder:-} ]]; then
		kill "$holder" 2>/dev/null || true
		wait "$holder" 2>/dev/null || true
	fi
	if [[ -n ${pruner:-} ]]; then
		kill -9 "$pruner" 2>/dev/null || true
		wait "$pruner" 2>/dev/null || true
	fi
}

# Published: the first payment (Satoshi to Hal Finney), in block 170 at
# position 1, and the coinbase of block 9 it spends.
TX_FIRST_PAYMENT=f4184fc596403b9d638783cf57adfe4c75c605f6356fbc91338530e9831e9e16
TX_COINBASE_9=0437cd7f8525ceed2324359c2d0ba26006d92d856a9c20fa0241106ee5a597c9
HASH_170=00000000d1145790a8694403d4063f323d499e655c83426834d4ce2f8dd4a2ee

# blocks_store: $CS_STORE holds mainnet 0..255, blocks 1..255 with bodies.
blocks_store() {
	[[ -e $BATS_FILE_TMPDIR/blocks.done ]] || return 1
	cp -a "$BATS_FILE_TMPDIR/blocks" "$CS_STORE"
}

# reorg_store: the btcd reorg blocks, 0..4 then 3A 4A 5A: tip 5A, 3 and 4
# a fork off 2, every block with its body.
reorg_store() {
	cs-init -q &&
		cs-put -q -f blk "$REORG/blk_0_to_4.dat" "$REORG/blk_3A.dat" "$REORG/blk_4A.dat" "$REORG/blk_5A.dat"
}

# blk_txids FILE: for each block of a btcd-framed file, one line per
# transaction: "N BLOCKHASH TXID INDEX" (N counts blocks from 1; hashes in
# display hex), parsed here independently of the code under test.
blk_txids() {
	"$PY" -c '
import hashlib, struct, sys
def dsha(b): return hashlib.sha256(hashlib.sha256(b).digest()).digest()
def varint(d, i):
    n = d[i]
    if n < 0xfd: return n, i + 1
    w = {0xfd: 2, 0xfe: 4, 0xff: 8}[n]
    return int.from_bytes(d[i + 1:i + 1 + w], "little"), i + 1 + w
def tx(d, i):
    start = i; i += 4
    segwit = d[i] == 0 and d[i + 1] == 1
    if segwit: i += 2
    body = i
    n, i = varint(d, i)
    for _ in range(n):
        i += 36; s, i = varint(d, i); i += s + 4
    n, i = varint(d, i)
    for _ in range(n):
        i += 8; s, i = varint(d, i); i += s
    outs_end = i
    if segwit:
        for _ in range(d[body] if d[body] < 0xfd else 0):
            pass
        # witnesses: one stack per input
        nin, j = varint(d, body)
        for _ in range(nin):
            items, i = varint(d, i)
            for _ in range(items):
                s, i = varint(d, i); i += s
    i += 4
    legacy = d[start:start + 4] + d[body:outs_end] + d[i - 4:i]
    return (dsha(legacy) if segwit else dsha(d[start:i])), i
d = open(sys.argv[1], "rb").read()
i = n = 0
while i < len(d):
    size = struct.unpack("<I", d[i + 4:i + 8])[0]
    block = d[i + 8:i + 8 + size]; n += 1
    h = dsha(block[:80])[::-1].hex()
    count, j = varint(block, 80)
    for k in range(count):
        t, j = tx(block, j)
        print(n, h, t[::-1].hex(), k)
    i += 8 + size
' "$1"
}

# opaque_chain N BODY_BYTES [AT,LEN[,PARENT]]...: an opaque chain as JSON
# Lines, genesis first: main entries 1..N, then each branch of LEN entries
# whose parent is the entry at height AT of branch PARENT (0, the default,
# is the main chain; branches count from 1). Every entry but the genesis
# carries a body of BODY_BYTES bytes (none when 0). Hashes derive from
# (branch, height), so the same arguments give the same chain.
opaque_chain() {
	"$PY" -c '
import hashlib, json, sys
n, size = int(sys.argv[1]), int(sys.argv[2])
def h(*p): return hashlib.sha256("|".join(map(str, p)).encode()).digest()
def body(x):
    out, i = b"", 0
    while len(out) < size:
        out += hashlib.sha256(x + bytes([i % 256])).digest(); i += 1
    return out[:size]
def emit(hsh, prev, branch, height):
    e = {"hash": hsh[::-1].hex(), "prev": prev[::-1].hex(), "header": h("header", branch, height).hex()}
    if height > 0 and size > 0: e["body"] = body(hsh).hex()
    print(json.dumps(e))
branches = {0: {0: h(0, 0)}}
emit(branches[0][0], bytes(32), 0, 0)
for i in range(1, n + 1):
    branches[0][i] = h(0, i); emit(branches[0][i], branches[0][i - 1], 0, i)
for b, spec in enumerate(sys.argv[3:], 1):
    at, ln, parent = (list(map(int, spec.split(","))) + [0])[:3]
    prev = branches[parent][at]; branches[b] = {}
    for j in range(at + 1, at + ln + 1):
        branches[b][j] = h(b, j); emit(branches[b][j], prev, b, j); prev = branches[b][j]
' "$@"
}

# opaque_store N BODY_BYTES [specs...]: $CS_STORE made from opaque_chain.
opaque_store() {
	opaque_chain "$@" >chain.jsonl &&
		head -n 1 chain.jsonl | cs-init -q --opaque -f json &&
		tail -n +2 chain.jsonl | cs-put -q -f json
}

@test "cs-prune: usage errors exit 64 and change nothing" {
	blocks_store
	before=$(cs-get --range 1.. --body -f hex | md5sum)
	run -64 --separate-stderr cs-prune
	assert_err_contains 'cs-prune: nothing to prune: give --keep-bodies or --forks'
	assert_err_contains 'usage: cs-prune'
	run -64 --separate-stderr cs-prune --keep-bodies 287
	assert_output ''
	assert_err_contains "cs-prune: --keep-bodies 287 is below 288 (Bitcoin Core's MIN_BLOCKS_TO_KEEP): add --force to go below"
	run -64 --separate-stderr cs-prune --keep-bodies 0 --dry-run
	assert_err_contains 'below 288'
	run -64 --separate-stderr cs-prune --keep-bodies ten --force
	assert_err_contains "cs-prune: bad --keep-bodies 'ten'"
	run -64 --separate-stderr cs-prune --keep-bodies -1 --force
	run -64 --separate-stderr cs-prune --forks 4294967296
	assert_err_contains "cs-prune: bad --forks '4294967296'"
	run -64 --separate-stderr cs-prune --forks 1 extra
	assert_err_contains "unexpected argument 'extra'"
	run -64 --separate-stderr cs-prune --forks 1 -f blk
	run -64 --separate-stderr cs-prune --forks 1 --archive ''
	run -64 --separate-stderr cs-prune --bogus
	assert_equal "$(cs-get --range 1.. --body -f hex | md5sum)" "$before"
}

@test "cs-prune -h, -V" {
	run -0 --separate-stderr cs-prune -h
	assert_line --index 0 'usage: cs-prune [-qv] [-s DIR] [-w SECONDS] [-f FORMAT] [--keep-bodies N [--force]] [--forks N] [--archive FILE] [--dry-run]'
	assert_output --partial '--keep-bodies N'
	assert_err_empty
	run -0 cs-prune -V
	assert_output --regexp '^cs-prune [0-9]+\.[0-9]+\.[0-9]+$'
}

@test "cs-prune: missing store: 66, nothing created" {
	run -66 --separate-stderr cs-prune --forks 0 --archive a.cbor
	assert_output ''
	assert_err_contains "$CS_STORE"
	[[ ! -e $CS_STORE && ! -e a.cbor ]]
}

@test "cs-prune --keep-bodies 10 --force: bodies below tip-10 go, silently; headers stay" {
	blocks_store
	run -0 cs-get --tx -f json "$TX_FIRST_PAYMENT"
	run -0 --separate-stderr cs-prune --keep-bodies 10 --force
	assert_output ''
	assert_err_empty
	# tip 255: heights below 245 lost their bodies, 245..255 kept theirs
	run -1 --separate-stderr cs-get -n 244 --body -f json
	assert_err_equal "cs-get: '$(cs-get -n 244 -f json | jq -r .hash)': body pruned"
	assert_json 'has("body")' false
	run -0 --separate-stderr cs-get -n 245 --body -f json
	assert_err_empty
	run -0 cs-get --range 245..255 --body -f json
	assert_json '[.body != null] | all' "$(printf 'true\n%.0s' {245..255} | head -c -1)"
	run -1 --separate-stderr cs-get --body -f json "$HASH_170"
	assert_err_equal "cs-get: '$HASH_170': body pruned"
	# their transactions are no longer indexed: published txids not found
	run -1 --separate-stderr cs-get --tx -f json "$TX_FIRST_PAYMENT" "$TX_COINBASE_9"
	assert_err_contains "cs-get: '$TX_FIRST_PAYMENT': not found"
	assert_err_contains "cs-get: '$TX_COINBASE_9': not found"
	# a transaction of a kept body still is (computed from the file)
	read -r _ block txid index < <(blk_txids "$BTCD_BLOCKS" | awk '$1 == 250' | head -n 1)
	run -0 cs-get --tx -f json "$txid"
	assert_json '[.block, .height, .index] | join(" ")' "$block 250 $index"
	# every main-chain header is still there, as published
	cs-get --range 0.. -f raw >back.bin
	headers "$MAINNET" 0 255 >want.bin
	cmp back.bin want.bin
	run -0 cs-tip -f json
	assert_json .height 255
	assert_json .chainwork "$(printf '%064x' $((256 * 0x100010001)))"
	run -0 cs-invariants
}

@test "cs-prune -v: what went, counted independently, and the bytes on disk before and after" {
	blocks_store
	# blocks 1..244 hold this many transactions (the file parsed in Python)
	txs=$(blk_txids "$BTCD_BLOCKS" | awk '$1 <= 244' | wc -l)
	run -0 --separate-stderr cs-prune -v --keep-bodies 10 --force
	assert_output ''
	assert_err_regex "^cs-prune: dropped 244 bodies and 0 fork entries \(0 with a body\), unindexed $txs transactions; ([0-9]+) bytes on disk before, ([0-9]+) after\$"
	before=${BASH_REMATCH[1]} after=${BASH_REMATCH[2]}
	# at least the bodies' own bytes go (blocks 1..244 are the file's
	# first 244 records; a body is a block after its 80-byte header)
	bodies=$("$PY" -c 'import struct, sys
d = open(sys.argv[1], "rb").read()
i, n, total = 0, 0, 0
while i < len(d) and n < 244:
    size = struct.unpack("<I", d[i + 4:i + 8])[0]
    total += size - 80; i += 8 + size; n += 1
print(total)' "$BTCD_BLOCKS")
	((before - after >= bodies)) || fail "$before bytes before, $after after, $bodies of bodies"
	# a second run finds nothing to drop
	run -0 --separate-stderr cs-prune -v --keep-bodies 10 --force
	assert_err_regex '^cs-prune: dropped 0 bodies and 0 fork entries \(0 with a body\), unindexed 0 transactions; '
	# -q wins over -v
	run -0 --separate-stderr cs-prune -q -v --keep-bodies 10 --force
	assert_err_empty
}

@test "cs-prune --keep-bodies 288: a store shorter than 288 keeps everything" {
	blocks_store
	before=$(cs-get --range 1.. --body -f hex | md5sum)
	run -0 --separate-stderr cs-prune -v --keep-bodies 288 --forks 288
	assert_err_regex '^cs-prune: dropped 0 bodies and 0 fork entries'
	assert_equal "$(cs-get --range 1.. --body -f hex | md5sum)" "$before"
	run -0 cs-get --tx -f json "$TX_FIRST_PAYMENT"
	assert_json '[.height, .index] | join(" ")' "170 1"
}

@test "cs-prune --dry-run: prints what would go (cbor when piped), changes nothing" {
	blocks_store
	before=$(cs-get --range 1.. --body -f hex | md5sum)
	cs-prune --keep-bodies 10 --force --dry-run --archive a.cbor >plan.cbor
	run -0 cbor2json plan.cbor
	assert_equal "${#lines[@]}" 244
	assert_json '[.height] | join(" ")' "$(seq 1 244)"
	assert_json '.status' "$(printf 'main\n%.0s' {1..244} | head -c -1)"
	run -0 cbor_keys plan.cbor
	assert_line --index 0 'chainwork hash header height status'
	refute_output --partial body
	[[ ! -e a.cbor ]]
	assert_equal "$(cs-get --range 1.. --body -f hex | md5sum)" "$before"
	# an entry's line each, its decoded header under it (cs(7))
	run -0 bash -c "cs-prune --keep-bodies 10 --force --dry-run -f text | grep -v '^  [a-zA-Z]'"
	assert_equal "${#lines[@]}" 244
	assert_line --index 169 --regexp "^ +170  $HASH_170  main  [0-9a-f]+\$"
	run -0 --separate-stderr cs-prune --keep-bodies 10 --force --dry-run -f json -v
	assert_err_regex '^cs-prune: dry run: would drop 244 bodies and 0 fork entries; [0-9]+ bytes on disk$'
	# a closed pipe downstream is quiet
	run -0 --separate-stderr bash -c 'set -o pipefail; cs-prune --keep-bodies 10 --force --dry-run -f hex | head -n 1'
	assert_err_empty
	assert_output "$(header_hex "$MAINNET" 1)"
}

@test "cs-prune --archive: the bodies, synced first; cs-put brings them and their index back" {
	blocks_store
	cs-get --range 1.. --body -f hex >before.hex
	run -0 cs-prune --keep-bodies 10 --force --archive a.cbor
	# the archive: entries 1..244 by height, each with its body, as in the file
	run -0 cbor2json a.cbor
	assert_equal "${#lines[@]}" 244
	assert_json '[.height] | join(" ")' "$(seq 1 244)"
	run -0 cbor_keys a.cbor
	assert_line --index 0 'body chainwork hash header height status'
	"$PY" -c '
import io, struct, sys, cbor2
d = open(sys.argv[1], "rb").read()
blocks, i = [], 0
while i < len(d):
    n = struct.unpack("<I", d[i + 4:i + 8])[0]; blocks.append(d[i + 8:i + 8 + n]); i += 8 + n
a = open(sys.argv[2], "rb").read(); f = io.BytesIO(a)
while f.tell() < len(a):
    e = cbor2.load(f)
    assert e["header"] + e["body"] == blocks[e["height"] - 1], e["height"]
' "$BTCD_BLOCKS" a.cbor
	run -1 cs-get --tx -f json "$TX_FIRST_PAYMENT"
	run -0 --separate-stderr cs-put a.cbor
	assert_err_contains '244 read, 0 added, 244 bodies'
	cs-get --range 1.. --body -f hex >after.hex
	cmp before.hex after.hex
	run -0 cs-get --tx -f json "$TX_FIRST_PAYMENT"
	assert_json '[.block, .height, .index] | join(" ")' "$HASH_170 170 1"
	run -0 cs-get --tx -f json "$TX_COINBASE_9"
	assert_json '[.height, .index] | join(" ")' "9 0"
	run -0 cs-invariants
}

@test "cs-prune --archive: appended to an existing file, which keeps what it held" {
	blocks_store
	printf 'keep me' >a.cbor
	run -0 cs-prune --keep-bodies 250 --force --archive a.cbor
	run -0 cs-prune --keep-bodies 10 --force --archive a.cbor
	[ "$(head -c 7 a.cbor)" = 'keep me' ]
	tail -c +8 a.cbor >runs.cbor
	run -0 cbor2json runs.cbor
	# first run: 1..4; second: 5..244
	assert_json '[.height] | join(" ")' "$(seq 1 244)"
}

@test "cs-prune --archive: a record left torn by a killed run is cut before appending, and the archive replays" {
	blocks_store
	cs-get --range 1.. --body -f hex >before.hex
	run -0 cs-prune --keep-bodies 250 --force --archive a.cbor
	# a run killed while writing: half of an entry after the whole ones
	size=$(stat -c %s a.cbor)
	head -c 100 a.cbor >>a.cbor
	run -0 --separate-stderr cs-prune --keep-bodies 10 --force --archive a.cbor
	assert_err_equal "cs-prune: archive 'a.cbor': cut 100 bytes of a record left torn at byte $size"
	run -0 --separate-stderr cs-put a.cbor
	assert_err_contains '244 read, 0 added, 244 bodies'
	cs-get --range 1.. --body -f hex >after.hex
	cmp before.hex after.hex
}

@test "cs-prune --archive: cannot create it: 73, nothing deleted" {
	blocks_store
	before=$(cs-get --range 1.. --body -f hex | md5sum)
	run -73 --separate-stderr cs-prune --keep-bodies 10 --force --archive no/such/dir/a.cbor
	assert_err_equal "cs-prune: cannot create archive 'no/such/dir/a.cbor': No such file or directory"
	mkdir adir
	run -73 --separate-stderr cs-prune --keep-bodies 10 --force --archive adir
	assert_err_contains "cs-prune: cannot create archive 'adir'"
	run -73 --separate-stderr cs-prune --keep-bodies 10 --force --archive /dev/full
	assert_err_equal "cs-prune: cannot create archive '/dev/full': not a regular file"
	assert_equal "$(cs-get --range 1.. --body -f hex | md5sum)" "$before"
	run -0 cs-get --tx -f json "$TX_FIRST_PAYMENT"
}

@test "cs-prune --forks: btcd reorg: the old branch 3, 4 (fork point 2) goes when 2 < 5 - N" {
	reorg_store
	run -0 --separate-stderr cs-prune --forks 3
	assert_err_empty
	run -0 cs-tip --all -f json
	assert_equal "${#lines[@]}" 2
	run -0 --separate-stderr cs-prune --forks 2
	assert_output ''
	assert_err_empty
	run -0 cs-tip --all -f json
	assert_equal "${#lines[@]}" 1
	assert_json '[.hash, .branchlen] | join(" ")' "$REORG_HASH_5A 0"
	run -1 --separate-stderr cs-get -f json "$REORG_HASH_3" "$REORG_HASH_4" "$REORG_HASH_2"
	assert_err_contains "cs-get: '$REORG_HASH_3': not found"
	assert_err_contains "cs-get: '$REORG_HASH_4': not found"
	assert_json .hash "$REORG_HASH_2"
	# the fork's transactions went with it; the main chain's stay
	read -r _ _ txid4 _ < <(blk_txids "$REORG/blk_0_to_4.dat" | awk '$1 == 5')
	run -1 cs-get --tx -f json "$txid4"
	read -r _ _ txid5a _ < <(blk_txids "$REORG/blk_5A.dat")
	run -0 cs-get --tx -f json "$txid5a"
	assert_json .height 5
	run -0 cs-get --range 0.. -f json
	assert_json .hash "$GENESIS_MAINNET
$(grep '^blk_0_to_4.dat,1,' "$REORG/headers.csv" | cut -d, -f3)
$REORG_HASH_2
$REORG_HASH_3A
$REORG_HASH_4A
$REORG_HASH_5A"
	run -0 cs-invariants
}

@test "cs-prune --forks --archive: cs-put brings the branch back, a fork again, with its bodies" {
	reorg_store
	cs-tip --all -f json >tips.before
	run -0 --separate-stderr cs-prune --forks 0 -v --archive f.cbor
	assert_err_regex '^cs-prune: dropped 0 bodies and 2 fork entries \(2 with a body\), unindexed ([0-9]+) transactions;'
	[ "${BASH_REMATCH[1]}" -eq "$(blk_txids "$REORG/blk_0_to_4.dat" | awk '$1 >= 4' | wc -l)" ]
	run -0 cbor2json f.cbor
	assert_json '[.height, .status] | join(" ")' "3 fork
4 fork"
	assert_json .hash "$(reverse_hex "$REORG_HASH_3")
$(reverse_hex "$REORG_HASH_4")"
	run -0 cs-put f.cbor
	cs-tip --all -f json >tips.after
	cmp tips.before tips.after
	run -0 cs-get --body -f hex "$REORG_HASH_4"
	[ "$output" = "$("$PY" -c '
import struct, sys
d = open(sys.argv[1], "rb").read(); i = 0; blocks = []
while i < len(d):
    n = struct.unpack("<I", d[i + 4:i + 8])[0]; blocks.append(d[i + 8:i + 8 + n]); i += 8 + n
print(blocks[4].hex())' "$REORG/blk_0_to_4.dat")" ]
	read -r _ _ txid4 _ < <(blk_txids "$REORG/blk_0_to_4.dat" | awk '$1 == 5')
	run -0 cs-get --tx -f json "$txid4"
	assert_json '[.block, .height, .index] | join(" ")' "$REORG_HASH_4 4 0"
	run -0 cs-invariants
}

@test "cs-prune: locators and --headers answers are the same after a prune" {
	reorg_store
	cs-locator -f hex >loc.before
	cs-locator --from "$REORG_HASH_4" -f cbor >peer.cbor
	cs-locator --headers -f hex <peer.cbor >headers.before
	echo "$GENESIS_MAINNET" | cs-locator --headers -f hex >from0.before
	run -0 cs-prune --keep-bodies 0 --force --forks 0
	run -0 cs-tip --all -f json
	assert_equal "${#lines[@]}" 1
	cs-locator -f hex >loc.after
	cmp loc.before loc.after
	# the peer's fork hashes are not stored any more: skipped, as forks were
	cs-locator --headers -f hex <peer.cbor >headers.after
	cmp headers.before headers.after
	echo "$GENESIS_MAINNET" | cs-locator --headers -f hex >from0.after
	cmp from0.before from0.after
	run -0 cs-invariants
}

@test "cs-prune: a long regtest chain with forks: locators unchanged, tips and branch lengths right" {
	has_genchain || skip "tests/tools/bin/cs-genchain not built"
	run -0 cs-init -q --network regtest
	cs-genchain -n 3000 --fork-at 100 --fork-len 40 --fork-at 2000 --fork-len 7 --fork-at 2990 --fork-len 5 \
		>chain.bin
	run -0 cs-put -q -f raw chain.bin
	run -0 cs-tip --all -f json
	assert_equal "${#lines[@]}" 4
	fork2000=$(jq -r 'select(.height == 2007) | .hash' <<<"$output")
	cs-locator -f cbor >loc.before
	cs-locator --from "$fork2000" -f cbor >peer.cbor
	cs-locator --headers --max 5000 -f hex <peer.cbor >headers.before
	cs-get --range 0.. -f raw >main.before
	# fork points 100 and 2000 are more than 1500 below 3000; only 100 goes
	run -0 cs-prune --forks 1500 --dry-run -f json
	assert_json '[.height] | join(" ")' "$(seq 101 140)"
	run -0 --separate-stderr cs-prune --forks 1500 -v
	assert_err_regex '^cs-prune: dropped 0 bodies and 40 fork entries '
	run -0 cs-tip --all -f json
	assert_json '[.height, .branchlen] | join(" ")' "3000 0
2995 5
2007 7"
	# 2990 is exactly 10 below the tip: not more than 10, it stays
	run -0 cs-prune --forks 10
	run -0 cs-tip --all -f json
	assert_json '[.height, .branchlen] | join(" ")' "3000 0
2995 5"
	cs-locator -f cbor >loc.after
	cmp loc.before loc.after
	cs-locator --headers --max 5000 -f hex <peer.cbor >headers.after
	cmp headers.before headers.after
	cs-get --range 0.. -f raw >main.after
	cmp main.before main.after
	run -0 cs-invariants
}

@test "cs-prune: opaque store: bodies and nested forks go; no transaction index; the archive round-trips" {
	# main 0..400; branch 1 off main 100 (20 long); branch 2 off branch 1's
	# entry at 110 (5 long); branch 3 off main 390 (3 long)
	opaque_store 400 64 100,20 110,5,1 390,3
	run -0 cs-tip --all -f json
	assert_equal "${#lines[@]}" 4
	cs-tip --all -f json >tips.before
	cs-get --range 1.. --body -f json >main.before
	run -0 --separate-stderr cs-prune -v --keep-bodies 300 --forks 100 --archive o.cbor
	# heights 1..99 (below 400 - 300) lost their bodies; branches 1 and 2
	# (fork point 100 < 300) went, branch 3 (fork point 390) stayed
	assert_err_regex '^cs-prune: dropped 99 bodies and 25 fork entries \(25 with a body\), unindexed 0 transactions; '
	run -0 cs-tip --all -f json
	assert_json '[.height, .status, .branchlen] | join(" ")' "400 active 0
393 valid-fork 3"
	run -1 --separate-stderr cs-get -n 99 --body -f json
	assert_err_contains 'body pruned'
	run -0 cs-get -n 100 --body -f json
	run -0 cs-invariants
	# the archive carries prev and work, parents before children
	run -0 cbor_keys o.cbor
	assert_line --index 0 'body chainwork hash header height prev status work'
	run -0 cs-put o.cbor
	cs-tip --all -f json >tips.after
	cmp tips.before tips.after
	cs-get --range 1.. --body -f json >main.after
	cmp main.before main.after
	run -0 cs-invariants
}

@test "cs-prune: opaque: a fork whose parent is the tip itself always stays" {
	opaque_store 10 0
	tip=$(tip_field hash)
	# work 0: the same chainwork as the tip, which was seen first and stays
	fork=$(printf 'ab%.0s' {1..32})
	jq -nc --arg prev "$tip" --arg hash "$fork" '{hash: $hash, prev: $prev, header: "00", work: 0}' |
		cs-put -q -f json
	run -0 cs-get -f json "$fork"
	assert_json '[.height, .status] | join(" ")' "11 fork"
	# both are chain tips for cs-tip --all, the active one too (as
	# getchaintips always lists the active tip)
	run -0 cs-tip --all -f json
	assert_line --index 0 --partial "\"hash\":\"$fork\""
	assert_line --index 1 --partial "\"hash\":\"$tip\""
	assert_equal "${#lines[@]}" 2
	run -0 cs-prune --forks 0
	run -0 cs-get -f json "$fork" "$tip"
	assert_json '[.height, .status] | join(" ")' "11 fork
10 main"
	run -0 cs-invariants
}

@test "cs-prune: busy store: 75 after --wait, nothing changed" {
	blocks_store
	before=$(cs-get --range 1.. --body -f hex | md5sum)
	flock "$CS_STORE/lock" sleep 5 3>&- &
	holder=$!
	wait_locked "$CS_STORE/lock"
	run -75 --separate-stderr cs-prune -w 0.3 --keep-bodies 10 --force --archive a.cbor
	assert_err_contains 'cs-prune: store busy'
	[[ ! -e a.cbor ]]
	kill "$holder"
	wait "$holder" || true
	holder=
	assert_equal "$(cs-get --range 1.. --body -f hex | md5sum)" "$before"
}

@test "cs-prune: killed at any moment (kill -9), the store stays consistent; a rerun finishes" {
	# 12,000 bodies: several commits of bodies, then a nested fork tree
	opaque_store 12000 32 100,3000 500,200,1 11000,10
	# Each run is killed a little later than the last, and goes on from
	# where the last stopped, until one finishes by itself (or 25 runs).
	local ms=0
	for i in $(seq 1 25); do
		ms=$((ms + 30))
		cs-prune --keep-bodies 300 --forks 1500 --archive a.cbor 2>/dev/null &
		pruner=$!
		sleep "$((ms / 1000)).$(printf %03d $((ms % 1000)))"
		if ! kill -9 "$pruner" 2>/dev/null; then
			wait "$pruner"
			pruner=
			break
		fi
		wait "$pruner" 2>/dev/null || true
		pruner=
		run -0 cs-invariants
	done
	run -0 cs-prune --keep-bodies 300 --forks 1500 --archive a.cbor
	run -0 cs-invariants
	run -0 cs-tip --all -f json
	assert_json '[.height, .branchlen] | join(" ")' "12000 0
11010 10"
	run -1 cs-get -n 11699 --body -f json
	run -0 cs-get -n 11700 --body -f json
	# the archive, whatever runs wrote it, brings everything back
	run -0 cs-put -q a.cbor
	run -0 cs-get --range 1.. --body -f json
	assert_equal "${#lines[@]}" 12000
	assert_json '[.body != null] | all' "$(printf 'true\n%.0s' $(seq 1 12000) | head -c -1)"
	run -0 cs-tip --all -f json
	assert_equal "${#lines[@]}" 4
	run -0 cs-invariants
}

@test "cs-prune: a cs-tip during a long prune answers; a cs-put adding to a dropped branch meanwhile is safe" {
	opaque_store 12000 512 100,400
	opaque_chain 12000 512 100,420 | tail -n 20 >more.jsonl
	cs-prune --keep-bodies 300 --forks 300 --archive a.cbor &
	pruner=$!
	run -0 cs-tip -w 60 -f json
	# its new entries land before the branch goes (they go with it), or
	# after (their parent is gone: 65); never half
	cs-put -q -w 60 -f json more.jsonl 2>put.err || grep -q 'unknown parent' put.err
	wait "$pruner"
	pruner=
	run -0 cs-invariants
	run -0 cs-tip --all -f json
	assert_equal "${#lines[@]}" 1
	run -0 cs-get -n 11700 --body -f json
}

# core_height_for TIME: the height Bitcoin Core's pruneblockchain prunes up
# to for a timestamp: FindEarliestAtLeast(TIME - 7200), the first block
# whose time, or an earlier block's, is at least TIME - 7200, worked out
# here from the mainnet headers file (blocks 0..255); "none" if no block is.
core_height_for() {
	"$PY" -c 'import struct, sys
d = open(sys.argv[1], "rb").read(); goal = int(sys.argv[2]) - 7200; most = 0
for h in range(256):
    most = max(most, struct.unpack_from("<I", d, 80 * h + 68)[0])
    if most >= goal:
        print(h); break
else:
    print("none")' "$MAINNET" "$1"
}

@test "cs-prune --keep-bodies-above H --force: bodies at H and below go, as Core's pruneblockchain H; pruneheight H + 1" {
	blocks_store
	txs=$(blk_txids "$BTCD_BLOCKS" | awk '$1 <= 100' | wc -l)
	run -0 --separate-stderr cs-prune -v --keep-bodies-above 100 --force
	assert_output ''
	assert_err_regex "^cs-prune: dropped 100 bodies and 0 fork entries \\(0 with a body\\), unindexed $txs transactions; [0-9]+ bytes on disk before, [0-9]+ after\$"
	run -1 --separate-stderr cs-get -n 100 --body -f json
	assert_err_equal "cs-get: '$(cs-get -n 100 -f json | jq -r .hash)': body pruned"
	run -0 cs-get --range 101..255 --body -f json
	assert_json '[.body != null] | all' "$(printf 'true\n%.0s' {101..255} | head -c -1)"
	run -0 cs-stat -f json
	assert_json '[.pruneheight, .bodies, .pruned_bodies] | join(" ")' "101 155 100"
	# the first payment (block 170) is still indexed, block 9's coinbase not
	run -0 cs-get --tx -f json "$TX_FIRST_PAYMENT"
	assert_json '[.height, .index] | join(" ")' "170 1"
	run -1 cs-get --tx -f json "$TX_COINBASE_9"
	# the tip's body always stays, --force or not
	run -0 --separate-stderr cs-prune -v --keep-bodies-above 255 --force
	assert_err_regex '^cs-prune: dropped 154 bodies '
	run -0 cs-stat -f json
	assert_json '[.pruneheight, .bodies] | join(" ")' "255 1"
	run -0 cs-invariants
}

@test "cs-prune --keep-bodies-above: within 288 of the tip only with --force; above the tip: 1, nothing changed" {
	blocks_store
	before=$(cs-get --range 1.. --body -f hex | md5sum)
	# tip 255: every height is within 288 of it (Core's MIN_BLOCKS_TO_KEEP)
	run -0 --separate-stderr cs-prune -v --keep-bodies-above 100
	assert_err_regex '^cs-prune: dropped 0 bodies and 0 fork entries '
	run -0 cs-prune --keep-bodies-above 100 --dry-run -f json
	assert_output ''
	run -1 --separate-stderr cs-prune --keep-bodies-above 256 --force
	assert_output ''
	assert_err_equal 'cs-prune: --keep-bodies-above 256: the tip is at height 255'
	run -1 --separate-stderr cs-prune --keep-bodies-above 256 --force --archive a.cbor
	[[ ! -s a.cbor ]]
	assert_equal "$(cs-get --range 1.. --body -f hex | md5sum)" "$before"
	run -0 cs-stat -f json
	assert_json .pruneheight 1
}

@test "cs-prune --keep-bodies-since: a date, a date and time, a unix time: the height Core's pruneblockchain finds" {
	blocks_store
	# 2009-01-11T00:00:00Z; the same instant three ways
	t=1231632000
	h=$(core_height_for $t)
	[[ $h =~ ^[0-9]+$ ]] && ((h > 1 && h < 255))
	for when in 2009-01-11 2009-01-11T00:00:00Z 2009-01-11T00:00 $t; do
		run -0 cs-prune --keep-bodies-since "$when" --force --dry-run -f json
		assert_json '[.height] | join(" ")' "$(seq 1 "$h")"
	done
	run -0 --separate-stderr cs-prune -v --keep-bodies-since 2009-01-11 --force --archive a.cbor
	assert_err_regex "^cs-prune: dropped $h bodies "
	run -0 cbor2json a.cbor
	assert_json '[.height] | join(" ")' "$(seq 1 "$h")"
	run -0 cs-stat -f json
	assert_json .pruneheight $((h + 1))
	# block h's time, or an earlier one's, is at least two hours before
	# the date; h - 1's and every earlier one's are not
	run -0 cs-get --range 0..$h -f json
	"$PY" -c 'import json, sys
hs = [json.loads(l) for l in sys.stdin]
import struct
d = open(sys.argv[1], "rb").read()
times = [struct.unpack_from("<I", d, 80 * e["height"] + 68)[0] for e in hs]
assert max(times[:-1]) < int(sys.argv[2]) - 7200 <= max(times)' "$MAINNET" $t <<<"$output"
	run -0 cs-invariants
}

@test "cs-prune --keep-bodies-since: no block that recent: 1; bad dates: 64; an opaque store: 64" {
	blocks_store
	before=$(cs-get --range 1.. --body -f hex | md5sum)
	[[ $(core_height_for 1262304000) == none ]]
	run -1 --separate-stderr cs-prune --keep-bodies-since 2010-01-01 --force
	assert_err_equal 'cs-prune: --keep-bodies-since 2010-01-01T00:00:00Z: no main-chain block has a time of two hours before it or later'
	for bad in 2009-02-30 2009-1-11 '2009-01-11 00:00' 2009-01-11T00:00+01:00 yesterday -5 4294967296; do
		run -64 --separate-stderr cs-prune --keep-bodies-since "$bad" --force
		assert_err_contains "cs-prune: bad --keep-bodies-since '$bad': expected a unix time or a UTC date, YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS][Z]"
	done
	run -64 --separate-stderr cs-prune --keep-bodies-above x
	assert_err_contains "cs-prune: bad --keep-bodies-above 'x': expected a height"
	run -64 --separate-stderr cs-prune --keep-bodies 300 --keep-bodies-above 10
	assert_err_contains 'cs-prune: --keep-bodies, --keep-bodies-above and --keep-bodies-since exclude each other'
	run -64 --separate-stderr cs-prune --keep-bodies-above 10 --keep-bodies-since 2009-01-11
	assert_err_contains 'exclude each other'
	assert_equal "$(cs-get --range 1.. --body -f hex | md5sum)" "$before"
	rm -rf "$CS_STORE"
	opaque_store 10 8
	run -64 --separate-stderr cs-prune --keep-bodies-since 2009-01-11 --force
	assert_err_equal "cs-prune: '$CS_STORE' is an opaque store: its headers carry no time for --keep-bodies-since"
	run -0 --separate-stderr cs-prune -v --keep-bodies-above 4 --force
	assert_err_regex '^cs-prune: dropped 4 bodies '
	run -0 cs-stat -f json
	assert_json .pruneheight 5
}

@test "cs-prune -v and cs-stat count the same bytes on disk, python's sum of the files under db/" {
	blocks_store
	sum_db() {
		"$PY" -c 'import os, sys
print(sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(sys.argv[1]) for f in fs))' "$CS_STORE/db"
	}
	# the first opens of a copied store rewrite LevelDB's log and
	# manifest; after that the files stay as they are
	run -0 cs-stat -f json
	run -0 cs-stat -f json
	run -0 --separate-stderr cs-prune -v --keep-bodies 10 --force --dry-run -f json
	assert_err_regex '; ([0-9]+) bytes on disk$'
	pruned=${BASH_REMATCH[1]}
	assert_equal "$pruned" "$(sum_db)"
	run -0 cs-stat -f json
	assert_json .bytes_on_disk "$pruned"
	run -0 --separate-stderr cs-prune -v --keep-bodies 10 --force
	assert_err_regex '([0-9]+) after$'
	after=${BASH_REMATCH[1]}
	run -0 cs-stat -f json
	assert_json .bytes_on_disk "$(sum_db)"
	((after < pruned))
}

# The progress line and Ctrl-C. A line is due 100 ms after the start: each
# test holds the store for a second first, so that the first commit after
# the wait shows one, whatever the machine's speed.
CR=$'\r'
EL=$'\e[K'
EL_RE=$'\e''\[K'

@test "cs-prune on a terminal: a '\\r' line of bodies and fork entries dropped of those planned, erased at the end; none with -q or off a terminal" {
	blocks_store
	flock "$CS_STORE/lock" sleep 1 3>&- &
	holder=$!
	wait_locked "$CS_STORE/lock"
	script -qec 'cs-prune --keep-bodies 10 --force' /dev/null >tty.out
	out=$(<tty.out)
	# the bodies' commit: all 244 (blocks 1..244, more than 10 below 255) of 244 planned
	re="^${CR}cs-prune: 244 of 244 bodies, 0 of 0 fork entries dropped, [0-9]+ entries/s, 100%${EL_RE}"
	[[ $out =~ $re ]] || fail "no progress line first: $(cat -v tty.out)"
	[[ $out == *"${CR}${EL}" ]] || fail "the line is not erased at the end: $(cat -v tty.out)"
	run -0 cs-stat -f json
	assert_json .pruneheight 245
	# -q, or standard error not a terminal: nothing
	blocks_store_at() { cp -a "$BATS_FILE_TMPDIR/blocks" "$1"; }
	blocks_store_at q
	CS_STORE=q script -qec 'cs-prune -q --keep-bodies 10 --force' /dev/null >tty.out
	assert_equal "$(cat -v tty.out)" ""
	blocks_store_at f
	run -0 --separate-stderr cs-prune -s f --keep-bodies 10 --force
	assert_equal "$stderr" ""
}

@test "cs-prune: Ctrl-C stops it after the next commit: says what was dropped, exits 130; the store holds exactly that" {
	blocks_store
	flock "$CS_STORE/lock" sleep 3 3>&- &
	holder=$!
	wait_locked "$CS_STORE/lock"
	env --default-signal=INT cs-prune --keep-bodies 10 --force --forks 0 2>prune.err &
	pruner=$!
	sleep 0.5
	# while it waits for the store: it stops at its first commit, the bodies'
	kill -INT "$pruner"
	kill "$holder"
	status=0
	wait "$pruner" || status=$?
	pruner=
	assert_equal "$status" 130
	assert_equal "$(cat prune.err)" \
		"cs-prune: interrupted: dropped 244 bodies and 0 fork entries, committed; the rest stays"
	run -0 cs-stat -f json
	assert_json .pruneheight 245
	run -0 cs-check
}
