#!/usr/bin/env bats
# The store's schema (libcommon/store.h, cs(7) FILES). Schema 2 keeps each
# main-chain header in the height index, without its prev (the hash one
# height below), so that a run of main-chain entries (a getheaders answer,
# cs-get --range) is one sequential read instead of a random read each,
# and an entry's chainwork without its leading zeros. Schema 3 adds to each
# entry of a store with header rules what its children's rules need of its
# retarget period (cs(7) "Header rules"), and the meta rules and checkpoint.
# Schema-1 stores, whose height index holds hashes only, are read and
# written as they are; a newer schema is refused. Expected values are
# computed here with python from the shipped files, never by the code.

load test_helper

setup_file() {
	build_mainnet_10k || true
}

setup() {
	common_setup
}

MSCHEMA=4d736368656d61 # the key "Mschema"

# hkey N: the height index key of height N in hex.
hkey() {
	printf '48%08x' "$1"
}

# h_value FILE N: the schema-2 height index value of header N of FILE: its
# hash in internal order, then the header without its prev (version, then
# merkle root, time, bits and nonce).
h_value() {
	"$PY" -c 'import hashlib, sys
h = open(sys.argv[1], "rb").read()[80 * int(sys.argv[2]):][:80]
d = hashlib.sha256(hashlib.sha256(h).digest()).digest()
print((d + h[:4] + h[36:]).hex())' "$1" "$2"
}

# csv_field COLUMN FILE: COLUMN of the row of the btcd reorg chain's FILE.
csv_field() {
	awk -F, -v c="$1" -v f="$2" '$1 == f { print $c }' "$REORG/headers.csv"
}

# answers DIR: what the main-chain readers print: a getheaders answer
# (locator: header 1000), ranges, the last entries, heights one by one.
answers() {
	local s=$1
	echo "$HASH_1000" | cs-locator -s "$s" --headers -f json
	echo "$HASH_1000" | cs-locator -s "$s" --headers -f cbor --max 3000 | cbor2json
	cs-get -s "$s" -f json --range 0..30
	cs-get -s "$s" -f json --range 9000..
	cs-get -s "$s" -f text --last 3
	printf '%s\n' 0 1 5000 10236 | cs-get -s "$s" -f json -
}

@test "the height index holds each main-chain header without its prev; the genesis its hash alone; entries a short chainwork" {
	init_mainnet_10k
	run -0 cs-poke get "$MSCHEMA"
	assert_output 33 # "3"
	run -0 cs-poke get "$(hkey 0)"
	assert_output "$(reverse_hex "$GENESIS_MAINNET")"
	run -0 cs-poke get "$(hkey 1)"
	assert_output "$(h_value "$MAINNET" 1)"
	run -0 cs-poke get "$(hkey 10236)"
	assert_output "$(h_value "$MAINNET" 10236)"
	# an entry: flags (0x08: a rules context follows the header), height,
	# the chainwork's length and its bytes without leading zeros
	# (10001 * 0x100010001 = 0x271127112711, 6 bytes), header, then the
	# context: the time and bits of its period's first header (8064) and
	# the walk back's bits (mainnet has none: its own, 1d00ffff)
	run -0 cs-poke get "45$(reverse_hex "$HASH_10000")"
	period_time=$("$PY" -c 'import struct, sys
h = open(sys.argv[1], "rb").read()[80 * 8064:][:80]
print("%08x" % struct.unpack("<I", h[68:72])[0])' "$MAINNET")
	assert_output "080000271006$(printf '%012x' $((10001 * 0x100010001)))$(header_hex "$MAINNET" 10000)${period_time}1d00ffff1d00ffff"
	# what is printed from them is the published data
	run -0 cs-get -f json --range 9999..10000
	assert_json .hash "$(hash_at 9999)
$HASH_10000"
	assert_json .header "$(header_hex "$MAINNET" 9999)
$(header_hex "$MAINNET" 10000)"
	assert_json .chainwork "$(printf '%064x' $((10000 * 0x100010001)))
$(printf '%064x' $((10001 * 0x100010001)))"
}

@test "a schema-1 store (hashes only) answers as schema 2 does, stays schema 1 when written, and checks" {
	init_mainnet_10k new.cs
	# a schema-1 store: its genesis entry with a 32-byte chainwork
	cs-init -q -s old.cs
	k=45$(reverse_hex "$GENESIS_MAINNET")
	v=$(cs-poke -s old.cs get "$k")
	run -0 cs-poke -s old.cs put "$k" "$("$PY" -c 'import sys
v = bytes.fromhex(sys.argv[1]); n = v[5]
rest = v[6 + n:-12] if v[0] & 8 else v[6 + n:]
print((bytes([v[0] & ~8]) + v[1:5] + bytes(32 - n) + v[6:6 + n] + rest).hex())' "$v")"
	run -0 cs-poke -s old.cs put "$MSCHEMA" 31 # "1"
	run -0 cs-put -q -s old.cs -f raw "$MAINNET"
	run -0 cs-poke -s old.cs get "$(hkey 5000)"
	assert_output "$(reverse_hex "$(hash_at 5000)")"
	# and its entries keep the 32-byte chainwork
	run -0 cs-poke -s old.cs get "45$(reverse_hex "$(hash_at 5000)")"
	assert_output "0000001388$(printf '%064x' $((5001 * 0x100010001)))$(header_hex "$MAINNET" 5000)"
	run -0 cs-poke -s old.cs get "$MSCHEMA"
	assert_output 31
	answers new.cs > new.out
	answers old.cs > old.out
	[ "$(wc -l < new.out)" -eq $((2000 + 3000 + 31 + 1237 + 35 + 4)) ] # --last 3 in text: 12 + 12 + 11 lines
	cmp new.out old.out
	run -0 cs-check -s old.cs
	run -0 cs-check -s new.cs
}

@test "a store of a newer schema is refused" {
	init_mainnet_10k
	run -0 cs-poke put "$MSCHEMA" 34 # "4"
	run -74 --separate-stderr cs-get -n 0
	assert_err_equal "cs-get: store '$CS_STORE' has schema 4, newer than this chainstore knows (3): upgrade chainstore"
	run -74 cs-put -f raw "$MAINNET"
	run -0 cs-poke get "$(hkey 1)"
	assert_output "$(h_value "$MAINNET" 1)"
}

@test "a reorganisation onto stored entries keeps their headers in the height index" {
	# 0..4, then 3A and 4A (a fork: 4A ties 4, the tip held stays), then
	# 5A alone: the switch reads 4A and 3A back from the store.
	cs-init -q
	run -0 cs-put -q -f blk "$REORG/blk_0_to_4.dat"
	run -0 cs-put -q -f blk "$REORG/blk_3A.dat" "$REORG/blk_4A.dat"
	run -0 cs-get -f json -n 4
	assert_json .hash "$(csv_field 3 blk_0_to_4.dat | sed -n 5p)"
	run -0 cs-put -q -f blk "$REORG/blk_5A.dat"
	for f in blk_3A.dat blk_4A.dat blk_5A.dat; do
		h=$(csv_field 2 "$f")
		want=$("$PY" -c 'import sys
h = bytes.fromhex(sys.argv[2])
print((bytes.fromhex(sys.argv[1])[::-1] + h[:4] + h[36:]).hex())' "$(csv_field 3 "$f")" "$(csv_field 5 "$f")")
		run -0 cs-poke get "$(hkey "$h")"
		assert_output "$want"
	done
	run -0 cs-check
	# the answer after block 2 is the new branch, chainwork carried on
	run -0 cs-locator --headers -f json <<< "$(csv_field 3 blk_0_to_4.dat | sed -n 3p)"
	assert_json .hash "$(csv_field 3 blk_3A.dat)
$(csv_field 3 blk_4A.dat)
$(csv_field 3 blk_5A.dat)"
	assert_json .chainwork "$(printf '%064x' $((4 * 0x100010001)))
$(printf '%064x' $((5 * 0x100010001)))
$(printf '%064x' $((6 * 0x100010001)))"
}
