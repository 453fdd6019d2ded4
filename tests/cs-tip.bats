#!/usr/bin/env bats
# cs-tip: the active tip; --all every chain tip; the store lock.

load test_helper

setup_file() {
	# built here once, copied by the tests that need it; a failure shows
	# in those tests
	build_mainnet_10k || true
}

setup() {
	common_setup
}

teardown() {
	# a lock holder started by a test
	if [[ -n ${holder:-} ]]; then
		kill "$holder" 2>/dev/null || true
		wait "$holder" 2>/dev/null || true
	fi
}

# reorg_store: the btcd reorg chain, 0..4 then 3A 4A 5A.
reorg_store() {
	cs-init -q &&
		cs-put -q -f blk "$REORG/blk_0_to_4.dat" &&
		cs-put -q -f blk "$REORG/blk_3A.dat" "$REORG/blk_4A.dat" "$REORG/blk_5A.dat"
}

# hold_lock SECONDS: hold the store's lock with flock(1) for SECONDS, in the
# background; returns once it is held.
hold_lock() {
	flock "$CS_STORE/lock" sleep "$1" 3>&- &
	holder=$!
	wait_locked "$CS_STORE/lock"
}

@test "cs-tip -f json: the tip of mainnet 0..10236" {
	init_mainnet_10k
	run -0 --separate-stderr cs-tip -f json
	assert_err_empty
	assert_equal "${#lines[@]}" 1
	assert_json .hash "$HASH_10236"
	assert_json .height 10236
	assert_json .chainwork "$CW_10236"
	assert_json .status main
	assert_json .header "$(header_hex "$MAINNET" 10236)"
	# and getblockheader's fields (tests/decode.bats): the tip has no next
	assert_json 'keys | join(" ")' "bits chainwork confirmations difficulty hash header height mediantime merkleroot nonce previousblockhash status time version versionHex"
}

@test "cs-tip -f cbor: one map, hash in internal order, chainwork tag 2" {
	init_mainnet_10k
	cs-tip -f cbor >tip.cbor
	run -0 cbor_keys tip.cbor
	assert_output "chainwork hash header height status"
	run -0 cbor2json tip.cbor
	assert_equal "${#lines[@]}" 1
	assert_json .hash "$(reverse_hex "$HASH_10236")"
	assert_json .header "$(header_hex "$MAINNET" 10236)"
	assert_json .height 10236
	assert_json .status main
	assert_json .chainwork $((16#27fd27fd27fd))
	run -0 xxd -p -c 1000 tip.cbor
	assert_output --partial 69636861696e776f726bc24627fd27fd27fd
	# default when stdout is not a terminal
	cs-tip >default.cbor
	cmp tip.cbor default.cbor
}

@test "cs-tip -f hex: the tip header as in the shipped file" {
	init_mainnet_10k
	run -0 cs-tip -f hex
	assert_output "$(header_hex "$MAINNET" 10236)"
}

@test "cs-tip -f raw: the tip's 80 bytes" {
	init_mainnet_10k
	cs-tip -f raw >tip.bin
	headers "$MAINNET" 10236 10236 >want.bin
	cmp tip.bin want.bin
}

@test "cs-tip -f text: HEIGHT HASH STATUS CHAINWORK" {
	init_mainnet_10k
	run -0 cs-tip -f text
	assert_line --index 0 --regexp "^ *10236 +$HASH_10236 +main +27fd27fd27fd\$"
}

@test "cs-tip: \$CS_FORMAT is the default format; -f wins; unset, CBOR on a pipe" {
	run -0 cs-init -q
	CS_FORMAT=json run -0 --separate-stderr cs-tip
	assert_err_empty
	assert_json .hash "$GENESIS_MAINNET"
	CS_FORMAT=json run -0 --separate-stderr cs-tip -f text
	assert_line --index 0 --regexp "^ *0 +$GENESIS_MAINNET +main +100010001\$"
	CS_FORMAT=hex run -0 --separate-stderr cs-tip
	assert_output "$(header_hex "$MAINNET" 0)"
	cs-tip >unset.cbor
	cs-tip -f cbor >cbor.cbor
	CS_FORMAT= cs-tip >empty.cbor
	cmp unset.cbor cbor.cbor
	cmp empty.cbor cbor.cbor
}

@test "cs-tip: a \$CS_FORMAT that names no output format is ignored with a warning" {
	run -0 cs-init -q
	CS_FORMAT=yaml run -0 --separate-stderr cs-tip -f json
	assert_err_empty
	CS_FORMAT=yaml cs-tip 2>err >out.cbor
	cs-tip -f cbor >cbor.cbor
	cmp out.cbor cbor.cbor
	[[ $(cat err) == "cs-tip: ignoring CS_FORMAT 'yaml': not an output format" ]]
	# blk is an input format only
	CS_FORMAT=blk run -0 --separate-stderr cs-tip -f text
	assert_err_empty
	CS_FORMAT=blk cs-tip 2>err >/dev/null
	[[ $(cat err) == "cs-tip: ignoring CS_FORMAT 'blk': not an output format" ]]
}

@test "cs-tip: a fresh store's tip is its genesis" {
	run -0 cs-init -q --network testnet3
	run -0 cs-tip -f json
	assert_json .hash "$GENESIS_TESTNET3"
	assert_json .height 0
	assert_json .chainwork "$CW_GENESIS"
}

@test "cs-tip --all: one tip on a chain without forks" {
	init_mainnet_10k
	run -0 cs-tip --all -f json
	assert_equal "${#lines[@]}" 1
	assert_json '[.hash, .height, .status, .branchlen] | join(" ")' "$HASH_10236 10236 active 0"
}

@test "cs-tip --all: btcd reorg: 5A active, old tip 4 a valid-fork of branch length 2" {
	reorg_store
	run -0 cs-tip -f json
	assert_json .hash "$REORG_HASH_5A"
	run -0 cs-tip --all -f json
	assert_equal "${#lines[@]}" 2
	output=${lines[0]} assert_json '[.hash, .height, .status, .branchlen] | join(" ")' "$REORG_HASH_5A 5 active 0"
	# blocks 3 and 4 have their bodies, checked against their headers
	output=${lines[1]} assert_json '[.hash, .height, .status, .branchlen] | join(" ")' "$REORG_HASH_4 4 valid-fork 2"
	output=${lines[1]} assert_json .header "$(grep "^blk_0_to_4.dat,4," "$REORG/headers.csv" | cut -d, -f5)"
}

@test "cs-tip --all -f cbor: entries plus branchlen" {
	reorg_store
	cs-tip --all -f cbor >tips.cbor
	run -0 cbor_keys tips.cbor
	assert_output "branchlen chainwork hash header height status
branchlen chainwork hash header height status"
	run -0 cbor2json tips.cbor
	output=${lines[1]} assert_json '[.hash, .branchlen, .status] | join(" ")' "$(reverse_hex "$REORG_HASH_4") 2 valid-fork"
}

@test "cs-tip --all -f text: BRANCHLEN after STATUS" {
	reorg_store
	# an entry's line, each followed by its decoded header, indented
	run -0 bash -c "cs-tip --all -f text | grep -v '^  [a-zA-Z]'"
	assert_line --index 0 "      5  $REORG_HASH_5A  active              0  600060006"
	assert_line --index 1 "      4  $REORG_HASH_4  valid-fork          2  500050005"
}

@test "cs-tip --all -f json --array: one array on one line, as getchaintips answers" {
	reorg_store
	run -0 --separate-stderr cs-tip --all -f json --array
	assert_err_empty
	assert_equal "${#lines[@]}" 1
	assert_json 'map([.height, .hash, .branchlen, .status] | join(" ")) | join(",")' \
		"5 $REORG_HASH_5A 0 active,4 $REORG_HASH_4 2 valid-fork"
	# the same records as the lines of the default
	run -0 bash -c 'cs-tip --all -f json | jq -sc . >lines.json && cs-tip --all -f json --array | jq -c . | cmp - lines.json'
	# without --all: an array of the active tip
	run -0 cs-tip -f json --array
	assert_json 'map(.hash) | join(" ")' "$REORG_HASH_5A"
}

@test "cs-tip --all -f cbor --array: one CBOR array of the tip maps" {
	reorg_store
	cs-tip --all -f cbor --array >tips.cbor
	run -0 "$PY" -c 'import cbor2, sys
with open(sys.argv[1], "rb") as f:
    items = [cbor2.load(f)]
    assert f.read() == b""
a = items[0]
print(len(a), " ".join("%s:%s:%d" % (t["hash"][::-1].hex(), t["status"], t["branchlen"]) for t in a))' tips.cbor
	assert_output "2 $REORG_HASH_5A:active:0 $REORG_HASH_4:valid-fork:2"
}

@test "cs-tip --array is for json and cbor: 64 with text, hex or raw" {
	run -0 cs-init -q
	for f in text hex raw; do
		run -64 --separate-stderr cs-tip --array -f "$f"
		assert_err_contains "cs-tip: --array is for -f json and -f cbor"
	done
}

@test "cs-tip --all: a branch without bodies is valid-headers, an invalid one invalid (the btcd headers alone)" {
	cs-init -q
	# the headers of the btcd reorg blocks, without their bodies
	cut -d, -f5 "$REORG/headers.csv" | sed 1d | cs-put -q -f hex
	run -0 cs-tip --all -f json
	assert_json '[.height, .status, .branchlen] | join(" ")' "5 active 0
4 valid-headers 2"
	run -0 cs-tip --invalidate "$REORG_HASH_3" -f json
	run -0 bash -c "cs-tip --all -f text | grep -v '^  [a-zA-Z]'"
	assert_line --index 0 "      5  $REORG_HASH_5A  active              0  600060006"
	assert_line --index 1 "      4  $REORG_HASH_4  invalid             2  500050005"
}

@test "cs-tip: busy store: -w 0.5 exits 75 with 'store busy'" {
	run -0 cs-init -q
	hold_lock 3
	start=$(date +%s%N)
	run -75 --separate-stderr cs-tip -w 0.5 -f json
	elapsed=$((($(date +%s%N) - start) / 1000000))
	assert_output ''
	assert_err_contains 'cs-tip: store busy'
	((elapsed >= 400 && elapsed < 2500)) || fail "waited $elapsed ms for -w 0.5"
	# $CS_WAIT is the default for -w
	CS_WAIT=0.2 run -75 --separate-stderr cs-tip -f json
	assert_err_contains 'store busy'
}

@test "cs-tip: -w 3 succeeds when the holder lets go after 1 s" {
	run -0 cs-init -q
	hold_lock 1
	run -0 cs-tip -w 3 -f json
	assert_json .hash "$GENESIS_MAINNET"
}

@test "cs-tip: a bad --wait value is a usage error" {
	run -0 cs-init -q
	run -64 cs-tip -w abc -f json
	run -64 cs-tip -w -1 -f json
}

@test "cs-tip: missing store: 66" {
	run -66 --separate-stderr cs-tip -f json
	assert_output ''
	assert_err_contains "$CS_STORE"
	[[ ! -e $CS_STORE ]]
}

@test "cs-tip: a directory that is not a store: 66, 'not a store', not 'create it'" {
	mkdir dir
	run -66 --separate-stderr cs-tip -s dir
	assert_err_equal "cs-tip: 'dir' is not a store (no db directory)"
	assert_output ''
	run -66 --separate-stderr cs-tip -s /tmp
	assert_err_equal "cs-tip: '/tmp' is not a store (no db directory)"
	run -66 --separate-stderr cs-tip -s dir/nothing
	assert_err_equal "cs-tip: store 'dir/nothing' not found (create it with cs-init)"
	[[ ! -e dir/db && ! -e dir/lock ]]
}

@test "cs-tip -h, -V, unknown option" {
	run -0 --separate-stderr cs-tip -h
	assert_output --regexp '^usage: cs-tip '
	assert_output --partial '--all'
	assert_err_empty
	run -0 cs-tip -V
	assert_output --regexp '^cs-tip [0-9]+\.[0-9]+\.[0-9]+$'
	run -64 --separate-stderr cs-tip --bogus
	assert_output ''
	assert_err_contains 'usage: cs-tip'
}

@test "cs-tip -f cbor --decode: the tip as cs-get --decode prints it; mediantime the median of the last 11 times of the shipped headers" {
	init_mainnet_10k
	cs-tip -f cbor --decode >tip.cbor
	run -0 bash -c 'cs-get -n 10236 -f cbor --decode | cmp - tip.cbor'
	run -0 "$PY" -c 'import cbor2, struct, sys
d = cbor2.loads(open("tip.cbor", "rb").read())
raw = open(sys.argv[1], "rb").read()
times = sorted(struct.unpack_from("<I", raw, 80 * h + 68)[0] for h in range(10226, 10237))
print(d["confirmations"], d["mediantime"] == times[5], d["difficulty"], d["bits"])' "$MAINNET"
	assert_output "1 True 1.0 1d00ffff"
	# without --decode: the compact map
	run -0 bash -c "cs-tip -f cbor | $PY -c 'import cbor2, sys; print(sorted(cbor2.loads(sys.stdin.buffer.read())))'"
	assert_output "['chainwork', 'hash', 'header', 'height', 'status']"
}
