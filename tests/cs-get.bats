#!/usr/bin/env bats
# cs-get: print entries by hash, height, range, or keys from stdin.

load test_helper

setup_file() {
	# built here once, copied by the tests that need it; a failure shows
	# in those tests
	build_mainnet_10k || true
}

setup() {
	common_setup
}

# The famous first block with a transaction besides the coinbase.
HASH_170=00000000d1145790a8694403d4063f323d499e655c83426834d4ce2f8dd4a2ee

# block_hex N FILE: block N (counted from 1) of a btcd-framed file, in hex.
block_hex() {
	"$PY" -c 'import sys, struct
d = open(sys.argv[2], "rb").read()
i, n = 0, int(sys.argv[1])
while True:
    size = struct.unpack("<I", d[i + 4:i + 8])[0]
    n -= 1
    if n == 0:
        print(d[i + 8:i + 8 + size].hex())
        break
    i += 8 + size' "$1" "$2"
}

@test "cs-get HASH: the entry, in json" {
	init_mainnet_10k
	run -0 --separate-stderr cs-get -f json "$HASH_10000"
	assert_err_empty
	assert_equal "${#lines[@]}" 1
	assert_json .hash "$HASH_10000"
	assert_json .height 10000
	assert_json .chainwork "$CW_10000"
	assert_json .status main
	assert_json .header "$(header_hex "$MAINNET" 10000)"
	# and bitcoin-cli getblockheader's fields (tests/decode.bats checks them)
	assert_json 'keys_unsorted | join(" ")' "hash confirmations height version versionHex merkleroot time mediantime nonce bits difficulty chainwork previousblockhash nextblockhash header status"
}

@test "cs-get HASH HASH...: in the order asked" {
	init_mainnet_10k
	run -0 cs-get -f json "$HASH_10236" "$HASH_1" "$HASH_1000"
	assert_json .height "10236
1
1000"
}

@test "cs-get -n: repeated" {
	init_mainnet_10k
	run -0 cs-get -f json -n 10000 -n 0 -n 1000
	assert_json .hash "$HASH_10000
$GENESIS_MAINNET
$HASH_1000"
	assert_json .chainwork "$CW_10000
$CW_GENESIS
000000000000000000000000000000000000000000000000000003e903e903e9"
}

@test "cs-get --range A..B: inclusive" {
	init_mainnet_10k
	run -0 cs-get -f json --range 5..9
	assert_json .height "5
6
7
8
9"
	run -0 cs-get -f hex --range 5..9
	assert_output "$(headers "$MAINNET" 5 9 | xxd -p -c 80)"
	run -0 cs-get -f hex --range 7..7
	assert_output "$(header_hex "$MAINNET" 7)"
}

@test "cs-get --range A..: to the tip" {
	init_mainnet_10k
	run -0 cs-get -f json --range 10230..
	assert_json .height "$(seq 10230 10236)"
	assert_json '.hash' "$(for i in $(seq 10230 10236); do display_hash_of_hex "$(header_hex "$MAINNET" "$i")"; done)"
}

@test "cs-get --range ..B: from the genesis" {
	init_mainnet_10k
	run -0 cs-get -f json --range ..3
	assert_json .height "0
1
2
3"
	assert_json '.hash' "$GENESIS_MAINNET
$HASH_1
$(display_hash_of_hex "$(header_hex "$MAINNET" 2)")
$(display_hash_of_hex "$(header_hex "$MAINNET" 3)")"
}

@test "cs-get --last N: the newest N, oldest first" {
	init_mainnet_10k
	run -0 cs-get -f json --last 3
	assert_json .height "10234
10235
10236"
	assert_json '.hash' "$(for i in 10234 10235 10236; do display_hash_of_hex "$(header_hex "$MAINNET" "$i")"; done)"
	run -0 cs-get -f json --last 1
	assert_json .hash "$HASH_10236"
}

@test "cs-get -: text lines of hashes and heights" {
	init_mainnet_10k
	run -0 cs-get -f json - < <(printf '%s\n1000\n0\n%s\n' "$HASH_10000" "$HASH_10236")
	assert_json .height "10000
1000
0
10236"
	assert_json .hash "$HASH_10000
$HASH_1000
$GENESIS_MAINNET
$HASH_10236"
}

@test "cs-get -: CBOR hashes, heights, entries and locator arrays" {
	init_mainnet_10k
	"$PY" -c 'import sys, cbor2
h = lambda x: bytes.fromhex(x)[::-1]
out = sys.stdout.buffer
out.write(cbor2.dumps(h(sys.argv[1])))
out.write(cbor2.dumps(1000))
out.write(cbor2.dumps({"hash": h(sys.argv[2])}))
out.write(cbor2.dumps([h(sys.argv[3])]))' "$HASH_10000" "$HASH_1" "$HASH_10236" >keys.cbor
	run -0 cs-get -f json - <keys.cbor
	assert_json .height "10000
1000
1
10236"
	assert_json .hash "$HASH_10000
$HASH_1000
$HASH_1
$HASH_10236"
}

@test "cs-get -: entries printed by cs-get are keys" {
	init_mainnet_10k
	cs-get --range 100..102 >entries.cbor
	run -0 cs-get -f hex - <entries.cbor
	assert_output "$(headers "$MAINNET" 100 102 | xxd -p -c 80)"
}

@test "cs-get: not found: exit 1, the others printed" {
	init_mainnet_10k
	run -1 --separate-stderr cs-get -f json -n 5 -n 99999 -n 6
	assert_json .height "5
6"
	assert_err_equal "cs-get: height 99999: not found"
	run -1 --separate-stderr cs-get -f json "$HASH_1" "$GENESIS_TESTNET3"
	assert_json .hash "$HASH_1"
	assert_err_equal "cs-get: '$GENESIS_TESTNET3': not found"
	run -1 --separate-stderr cs-get -f json - < <(printf '%s\n7\n' "$GENESIS_SIGNET")
	assert_json .height 7
	assert_err_equal "cs-get: '$GENESIS_SIGNET': not found"
}

@test "cs-get: a malformed hash or height is a usage error" {
	init_mainnet_10k
	run -64 cs-get -f json nothex
	run -64 cs-get -f json "${HASH_1:0:63}"
	run -64 cs-get -f json -n -1
	run -64 cs-get -f json -n 12abc
	run -64 cs-get -f json --range 'a..b'
	run -64 cs-get -f json --last x
	run -64 cs-get -f nosuchformat -n 1
}

@test "cs-get -f hex: as xxd -p of the shipped file" {
	init_mainnet_10k
	cs-get -f hex --range 0..999 >got.hex
	headers "$MAINNET" 0 999 | xxd -p -c 80 >want.hex
	cmp got.hex want.hex
}

@test "cs-get -f raw --range 0..10236: byte-identical to headers_0-10236.bin" {
	init_mainnet_10k
	cs-get -f raw --range 0..10236 >got.bin
	cmp got.bin "$MAINNET"
	cs-get -f raw --range 0.. >got2.bin
	cmp got2.bin "$MAINNET"
}

@test "cs-get -f cbor: keys hash header height chainwork status; chainwork is tag 2" {
	init_mainnet_10k
	cs-get -f cbor -n 10000 >e.cbor
	run -0 cbor_keys e.cbor
	assert_output "chainwork hash header height status"
	run -0 cbor2json e.cbor
	assert_json .hash "$(reverse_hex "$HASH_10000")"
	assert_json .header "$(header_hex "$MAINNET" 10000)"
	assert_json .height 10000
	assert_json .status main
	assert_json .chainwork $((16#271127112711))
	# "chainwork" (text of 9) then tag 2 and a 6-byte big-endian string, no leading zeros
	run -0 xxd -p -c 1000 e.cbor
	assert_output --partial 69636861696e776f726bc246271127112711
	# cbor is the default when stdout is not a terminal
	cs-get -n 10000 >default.cbor
	cmp e.cbor default.cbor
}

@test "cs-get -f cbor: a CBOR sequence, one map per entry" {
	init_mainnet_10k
	cs-get --range 0..99 >e.cbor
	run -0 cbor2json e.cbor
	assert_equal "${#lines[@]}" 100
	assert_json .height "$(seq 0 99)"
	assert_json .header "$(headers "$MAINNET" 0 99 | xxd -p -c 80)"
	# genesis chainwork 0x100010001 = 4295032833
	output=${lines[0]} assert_json .chainwork 4295032833
}

@test "cs-get -f text: HEIGHT HASH STATUS CHAINWORK" {
	init_mainnet_10k
	run -0 cs-get -f text -n 10000
	assert_line --index 0 --regexp "^ *10000 +$HASH_10000 +main +271127112711\$"
	# then the decoded header, a "  key  value" line each (tests/decode.bats)
	assert_line --index 1 "  confirmations      237"
	assert_equal "${#lines[@]}" 12
}

@test "cs-get | head -1: a closed pipe is quiet" {
	init_mainnet_10k
	run -0 bash -c 'cs-get --range 0.. -f hex 2>err | head -n 1; echo "status ${PIPESTATUS[0]}"'
	assert_line --index 0 "$(header_hex "$MAINNET" 0)"
	assert_line --index 1 "status 0"
	run -0 cat err
	assert_output ''
	run -0 bash -c 'cs-get --range 0.. -f json 2>err | head -c 100 >/dev/null; echo "status ${PIPESTATUS[0]}"'
	assert_output "status 0"
	run -0 cat err
	assert_output ''
}

@test "cs-get: a full disk on stdout is an error (74)" {
	[[ -w /dev/full ]] || skip "no /dev/full"
	init_mainnet_10k
	run -74 --separate-stderr bash -c 'cs-get --range 0.. -f hex >/dev/full'
	[[ $stderr == cs-get:* ]] || fail "stderr: $stderr"
	run -74 --separate-stderr bash -c 'cs-get -n 1 -f json >/dev/full'
	[[ $stderr == cs-get:* ]] || fail "stderr: $stderr"
}

@test "cs-get --body: block 170 from btcd blocks 1..255" {
	run -0 cs-init -q
	run -0 cs-put -q -f blk "$BTCD_BLOCKS"
	want=$(block_hex 170 "$BTCD_BLOCKS")
	run -0 --separate-stderr cs-get --body -n 170 -f hex
	assert_output "$want"
	assert_err_empty
	run -0 cs-get --body -f json "$HASH_170"
	assert_json .height 170
	assert_json .header "${want:0:160}"
	assert_json .body "${want:160}"
	# the body holds two transactions (the coinbase and the first payment)
	assert_json '.body[0:2]' 02
	# without --body, only the header
	run -0 cs-get -n 170 -f hex
	assert_output "${want:0:160}"
	run -0 cs-get -n 170 -f json
	assert_json 'has("body")' false
	# in CBOR, the body is a byte string
	cs-get --body -n 170 >e.cbor
	run -0 cbor2json e.cbor
	assert_json .body "${want:160}"
}

# The first payment (Satoshi to Hal Finney) and the coinbase of block 9
# it spends: both published on every block explorer.
TX_FIRST_PAYMENT=f4184fc596403b9d638783cf57adfe4c75c605f6356fbc91338530e9831e9e16
TX_COINBASE_9=0437cd7f8525ceed2324359c2d0ba26006d92d856a9c20fa0241106ee5a597c9

@test "cs-get --tx: the first payment is in block 170 at position 1" {
	run -0 cs-init -q
	run -0 cs-put -q -f blk "$BTCD_BLOCKS"
	run -0 --separate-stderr cs-get --tx -f json "$TX_FIRST_PAYMENT"
	assert_err_empty
	assert_json .txid "$TX_FIRST_PAYMENT"
	assert_json .block "$HASH_170"
	assert_json .height 170
	assert_json .index 1
	tx=$(jq -r .tx <<<"$output")
	# the transaction's own SHA-256d, displayed reversed, is its txid
	run -0 "$PY" -c 'import hashlib, sys
print(hashlib.sha256(hashlib.sha256(bytes.fromhex(sys.argv[1])).digest()).digest()[::-1].hex())' "$tx"
	assert_output "$TX_FIRST_PAYMENT"
	# and it spends output 0 of block 9's coinbase (outpoint at byte 5)
	[ "${tx:10:64}" = "$(reverse_hex "$TX_COINBASE_9")" ]
	[ "${tx:74:8}" = 00000000 ]
	# the transaction lies inside block 170's body
	want=$(block_hex 170 "$BTCD_BLOCKS")
	[[ "$want" == *"$tx" ]]
}

@test "cs-get --tx: a coinbase is at position 0; several txids in order" {
	run -0 cs-init -q
	run -0 cs-put -q -f blk "$BTCD_BLOCKS"
	run -0 cs-get --tx -f json "$TX_COINBASE_9" "$TX_FIRST_PAYMENT"
	assert_line --index 0 --partial "\"txid\":\"$TX_COINBASE_9\""
	assert_line --index 0 --partial '"height":9,"index":0}'
	assert_line --index 1 --partial '"height":170,"index":1}'
	run -0 cs-get --tx -f text "$TX_FIRST_PAYMENT"
	assert_line --index 0 "$TX_FIRST_PAYMENT      170  $HASH_170  main      1  275 bytes"
	# CBOR: txid tx block height index
	cs-get --tx "$TX_FIRST_PAYMENT" >t.cbor
	run -0 cbor_keys t.cbor
	assert_output "block height index tx txid"
	# raw and hex print the transaction itself
	tx=$(cs-get --tx -f json "$TX_FIRST_PAYMENT" | jq -r .tx)
	run -0 cs-get --tx -f hex "$TX_FIRST_PAYMENT"
	assert_output "$tx"
	[ "$(cs-get --tx -f raw "$TX_FIRST_PAYMENT" | wc -c)" -eq 275 ]
}

@test "cs-get --tx: a txid not indexed: 'not found', exit 1, the others printed" {
	run -0 cs-init -q
	run -0 cs-put -q -f blk "$BTCD_BLOCKS"
	missing=00000000000000000000000000000000000000000000000000000000000000aa
	run -1 --separate-stderr cs-get --tx -f json "$missing" "$TX_FIRST_PAYMENT"
	assert_err_equal "cs-get: '$missing': not found"
	assert_json .index 1
}

@test "cs-get --tx: headers alone index nothing" {
	init_mainnet_10k
	run -1 --separate-stderr cs-get --tx "$TX_COINBASE_9"
	assert_output ''
	assert_err_equal "cs-get: '$TX_COINBASE_9': not found"
}

@test "cs-get --tx: usage errors (64)" {
	init_mainnet_10k
	run -64 cs-get --tx
	run -64 cs-get --tx -
	run -64 cs-get --tx --body "$TX_FIRST_PAYMENT"
	run -64 --separate-stderr cs-get --tx nothex
	assert_err_contains "bad hash 'nothex'"
}

@test "cs-get --tx: a segwit block's 4864 transactions are indexed; txids as the merkle root says" {
	# block 866342 as the genesis of a custom store, then its body
	hdr=$(head -c 80 "$DATA/blocks/block_866342.raw" | xxd -p | tr -d '\n')
	run -0 cs-init -q --genesis "$hdr"
	"$PY" -c 'import sys, cbor2; sys.stdout.buffer.write(cbor2.dumps(open(sys.argv[1], "rb").read()))' \
		"$DATA/blocks/block_866342.raw" >b.cbor
	run -0 --separate-stderr cs-put b.cbor
	assert_err_contains '1 read, 0 added, 1 bodies'
	# the txids, computed here from the block by an independent parser
	"$PY" - "$DATA/blocks/block_866342.raw" >txids <<'PYEOF'
import hashlib, sys
d = open(sys.argv[1], "rb").read()
def varint(i):
    b = d[i]
    if b < 0xfd: return b, i + 1
    n = {0xfd: 2, 0xfe: 4, 0xff: 8}[b]
    return int.from_bytes(d[i + 1:i + 1 + n], "little"), i + 1 + n
i = 80
n, i = varint(i)
for _ in range(n):
    start = i
    i += 4
    segwit = d[i] == 0 and d[i + 1] == 1
    if segwit: i += 2
    nin, i = varint(i)
    for _ in range(nin):
        i += 36
        l, i = varint(i); i += l + 4
    nout, i = varint(i)
    for _ in range(nout):
        i += 8
        l, i = varint(i); i += l
    endout = i
    if segwit:
        for _ in range(nin):
            items, i = varint(i)
            for _ in range(items):
                l, i = varint(i); i += l
    i += 4
    base = d[start:start + 4] + (d[start + 6:endout] if segwit else d[start + 4:endout]) + d[i - 4:i]
    print(hashlib.sha256(hashlib.sha256(base).digest()).digest()[::-1].hex())
PYEOF
	[ "$(wc -l <txids)" -eq 4864 ]
	# first, middle and last
	for n in 1 2432 4864; do
		txid=$(sed -n "${n}p" txids)
		run -0 cs-get --tx -f json "$txid"
		assert_json .index $((n - 1))
		assert_json .height 0
	done
}

@test "cs-get --body: an entry without body: printed without, 'no body', exit 1" {
	init_mainnet_10k
	run -1 --separate-stderr cs-get --body -f json -n 1000
	assert_json .hash "$HASH_1000"
	assert_json 'has("body")' false
	assert_err_equal "cs-get: '$HASH_1000': no body"
}

@test "cs-get --body -f raw: usage error (64)" {
	init_mainnet_10k
	run -64 cs-get --body -f raw -n 1
}

@test "cs-get: missing store: 66" {
	run -66 --separate-stderr cs-get -f json -n 0
	assert_output ''
	assert_err_contains "$CS_STORE"
}

@test "cs-get -h, -V, unknown option" {
	run -0 --separate-stderr cs-get -h
	assert_output --regexp '^usage: cs-get '
	assert_err_empty
	run -0 cs-get --version
	assert_output --regexp '^cs-get [0-9]+\.[0-9]+\.[0-9]+$'
	run -64 --separate-stderr cs-get --bogus
	assert_output ''
	assert_err_contains 'usage: cs-get'
}
