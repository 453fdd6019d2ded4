#!/usr/bin/env bats
# Compositions: what one tool prints, another reads back.

load test_helper

setup_file() {
	# built here once, copied by the tests that need it; a failure shows
	# in those tests
	build_mainnet_10k || true
}

setup() {
	common_setup
	SRC=$BATS_TEST_TMPDIR/src
	OTHER=$BATS_TEST_TMPDIR/other
}

# same_stores A B: A and B hold the same main chain, entry for entry.
same_stores() {
	cs-get -s "$1" --range 0.. -f json >"$BATS_TEST_TMPDIR/a.jsonl"
	cs-get -s "$2" --range 0.. -f json >"$BATS_TEST_TMPDIR/b.jsonl"
	cmp "$BATS_TEST_TMPDIR/a.jsonl" "$BATS_TEST_TMPDIR/b.jsonl"
	cs-get -s "$1" --range 0.. -f cbor >"$BATS_TEST_TMPDIR/a.cbor"
	cs-get -s "$2" --range 0.. -f cbor >"$BATS_TEST_TMPDIR/b.cbor"
	cmp "$BATS_TEST_TMPDIR/a.cbor" "$BATS_TEST_TMPDIR/b.cbor"
}

@test "cs-get --range 0.. | cs-put -s fresh: identical store (cbor)" {
	init_mainnet_10k "$SRC"
	run -0 cs-init -q -s "$OTHER"
	run -0 --separate-stderr bash -c 'set -o pipefail; cs-get -s "$1" --range 0.. | cs-put -s "$2"' _ "$SRC" "$OTHER"
	assert_err_equal "cs-put: 10237 read, 10236 added, 1 duplicate, 0 rejected; tip 10236 $HASH_10236"
	assert_equal "$(store_dump "$OTHER")" "$(store_dump "$SRC")"
	same_stores "$SRC" "$OTHER"
	run -0 cs-tip -s "$OTHER" -f json
	assert_json .hash "$HASH_10236"
	assert_json .chainwork "$CW_10236"
}

@test "cs-get --range 0.. -f json | cs-put -f json -s other" {
	init_mainnet_10k "$SRC"
	run -0 cs-init -q -s "$OTHER"
	run -0 bash -c 'set -o pipefail; cs-get -s "$1" --range 0.. -f json | cs-put -q -f json -s "$2"' _ "$SRC" "$OTHER"
	same_stores "$SRC" "$OTHER"
}

@test "cs-get -f hex | cs-put -f hex, and -f raw | -f raw" {
	init_mainnet_10k "$SRC"
	run -0 cs-init -q -s "$OTHER"
	run -0 bash -c 'set -o pipefail; cs-get -s "$1" --range 0..5000 -f hex | cs-put -q -f hex -s "$2"' _ "$SRC" "$OTHER"
	run -0 cs-tip -s "$OTHER" -f json
	assert_json .height 5000
	run -0 bash -c 'set -o pipefail; cs-get -s "$1" --range 5001.. -f raw | cs-put -q -f raw -s "$2"' _ "$SRC" "$OTHER"
	same_stores "$SRC" "$OTHER"
}

@test "cs-get --last N | cs-put: a store catches up from another" {
	init_mainnet_10k "$SRC"
	run -0 cs-init -q -s "$OTHER"
	run -0 cs-put -q -f raw -s "$OTHER" <(headers "$MAINNET" 0 10000)
	run -0 bash -c 'set -o pipefail; cs-get -s "$1" --last 300 | cs-put -q -s "$2"' _ "$SRC" "$OTHER"
	run -0 cs-tip -s "$OTHER" -f json
	assert_json .hash "$HASH_10236"
}

@test "cs-get --body | cs-put: bodies round-trip" {
	run -0 cs-init -q -s "$SRC"
	run -0 cs-put -q -f blk -s "$SRC" "$BTCD_BLOCKS"
	run -0 cs-init -q -s "$OTHER"
	run -0 bash -c 'set -o pipefail; cs-get -s "$1" --body --range 1.. | cs-put -q -s "$2"' _ "$SRC" "$OTHER"
	cs-get -s "$SRC" --body --range 1.. -f hex >a.hex
	cs-get -s "$OTHER" --body --range 1.. -f hex >b.hex
	cmp a.hex b.hex
	[[ $(wc -l <b.hex) -eq 255 ]]
	# and as hex of whole blocks
	run -0 cs-init -q -s third
	run -0 cs-put -q -f hex -s third a.hex
	cs-get -s third --body --range 1.. -f hex >c.hex
	cmp a.hex c.hex
}

@test "cs-get -f json | cs-get -: entries printed are keys" {
	init_mainnet_10k "$SRC"
	run -0 bash -c 'set -o pipefail; cs-get -s "$1" -f json --range 10..12 | jq -r .hash | cs-get -s "$1" -f hex -' _ "$SRC"
	assert_output "$(headers "$MAINNET" 10 12 | xxd -p -c 80)"
	run -0 bash -c 'set -o pipefail; cs-get -s "$1" --range 10..12 | cs-get -s "$1" -f hex -' _ "$SRC"
	assert_output "$(headers "$MAINNET" 10 12 | xxd -p -c 80)"
}

@test "cs-tip | cs-get -: the tip's entry is a key" {
	init_mainnet_10k "$SRC"
	run -0 bash -c 'set -o pipefail; cs-tip -s "$1" | cs-get -s "$1" -f json -' _ "$SRC"
	assert_json .hash "$HASH_10236"
}

@test "the reorg store round-trips its main chain; forks added back by hash" {
	run -0 cs-init -q -s "$SRC"
	run -0 cs-put -q -f blk -s "$SRC" "$REORG/blk_0_to_4.dat" "$REORG/blk_3A.dat" "$REORG/blk_4A.dat" "$REORG/blk_5A.dat"
	run -0 cs-init -q -s "$OTHER"
	run -0 bash -c 'set -o pipefail; { cs-get -s "$1" --range 0..; cs-get -s "$1" "$2" "$3"; } | cs-put -q -s "$4"' _ \
		"$SRC" "$REORG_HASH_3" "$REORG_HASH_4" "$OTHER"
	run -0 cs-tip -s "$OTHER" --all -f json
	assert_json '[.hash, .status, .branchlen] | join(" ")' "$REORG_HASH_5A active 0
$REORG_HASH_4 valid-headers 2"
}

@test "a pipeline over one store does not hang" {
	init_mainnet_10k
	run timeout 60 bash -c 'cs-get --range 0.. -w 5 | cs-put -w 5 -q; echo "${PIPESTATUS[*]}"'
	[[ $status -ne 124 ]] || fail "the pipeline hung"
	assert_output --regexp '^(0|75) (0|75)$'
	run -0 cs-tip -f json
	assert_json .hash "$HASH_10236"
}

@test "cs-tip answers during a long import" {
	run -0 cs-init -q --network testnet3
	cs-put -q -f raw "$TESTNET3" 3>&- &
	importer=$!
	sleep 0.05
	run -0 timeout 15 cs-tip -w 2 -f json
	run -0 timeout 15 cs-get -w 2 -n 0 -f json
	assert_json .hash "$GENESIS_TESTNET3"
	wait "$importer"
	run -0 cs-tip -f json
	assert_json .hash "$TESTNET3_HASH_35141"
}

@test "cs-put lets go of the store while it waits for more input" {
	run -0 cs-init -q --network testnet3
	{ headers "$TESTNET3" 0 20000; sleep 2; headers "$TESTNET3" 20001 35141; } | cs-put -q -f raw 3>&- &
	importer=$!
	sleep 1
	run -0 cs-tip -w 0.5 -f json
	wait "$importer"
	run -0 cs-tip -f json
	assert_json .hash "$TESTNET3_HASH_35141"
}

@test "cs-genchain | cs-put | cs-get -f raw gives the chain back" {
	has_genchain || skip "tests/tools/bin/cs-genchain not built"
	run -0 cs-init -q --network regtest
	{ cs-init -q --network regtest -s g && cs-get -s g -n 0 -f raw; cs-genchain -n 300; } >chain.bin
	run -0 bash -c 'set -o pipefail; cs-genchain -n 300 --shuffle | cs-put -q -f raw'
	cs-get --range 0.. -f raw >back.bin
	cmp back.bin chain.bin
}

@test "cs-put takes the store only once input has arrived" {
	run -0 cs-init -q
	{ sleep 2; headers "$MAINNET" 0 100; } | cs-put -q -f raw 3>&- &
	writer=$!
	sleep 0.5
	run -0 cs-tip -w 0.5 -f json
	assert_json .height 0
	wait "$writer"
	run -0 cs-tip -f json
	assert_json .height 100
}

@test "cs-get lets go of the store while its output waits for a slow reader" {
	init_mainnet_10k
	{ cs-get --range 0.. -f hex | { sleep 2; cat >/dev/null; }; } 3>&- &
	reader=$!
	sleep 0.5
	run -0 cs-tip -w 0.5 -f json
	assert_json .hash "$HASH_10236"
	wait "$reader"
}

@test "make demo ends by saying how to put the tools on PATH, and that line works" {
	DEMO_STORE=$BATS_TEST_TMPDIR/demo.cs run -0 sh "$REPO/tests/tools/demo.sh"
	assert_equal "${lines[-3]}" "The tools are in $REPO/bin. To run them by name, as README.md's pipelines do:"
	assert_equal "${lines[-2]}" "    export PATH=\"$REPO/bin:\$PATH\"    # in this shell"
	assert_equal "${lines[-1]}" "    make install PREFIX=~/.local    # for good, with man pages and completions (~/.local/bin on PATH)"
	run -0 env -i PATH=/usr/bin:/bin sh -c "${lines[-2]%%#*}"'
		command -v cs-tip'
	assert_output "$REPO/bin/cs-tip"
}

@test "cs-tip --all | cs-get -: chain tips, getchaintips statuses and all, are keys; cs-put reads them back as duplicates" {
	run -0 cs-init -q -s "$SRC"
	run -0 cs-put -q -f blk -s "$SRC" "$REORG/blk_0_to_4.dat" "$REORG/blk_3A.dat" "$REORG/blk_4A.dat" "$REORG/blk_5A.dat"
	run -0 bash -c 'set -o pipefail; cs-tip -s "$1" --all | cs-get -s "$1" -f json - | jq -r "[.height, .hash, .status] | join(\" \")"' _ "$SRC"
	assert_output "5 $REORG_HASH_5A main
4 $REORG_HASH_4 fork"
	run -0 bash -c 'set -o pipefail; cs-tip -s "$1" --all -f json | cs-put -s "$1" -f json' _ "$SRC"
	assert_output "cs-put: 2 read, 0 added, 2 duplicate, 0 rejected; tip 5 $REORG_HASH_5A"
}
