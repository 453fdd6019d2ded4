#!/usr/bin/env bats
# Bitcoin Core's header rules (cs(7) "Header rules"): each rule rejects with
# Core's reason and exit 65, nothing of the header or what builds on it is
# stored, and the rules run per network. Headers are mined here by
# tests/tools/mine-header.py (hashlib, independently of the code under
# test), on regtest and on custom chains under a built-in network's rules
# with an easy limit, where mining costs a few tries a header.

load test_helper

MINE=$REPO/tests/tools/mine-header.py
REGTEST_TIME=1296688602 # the regtest genesis's time
# Core's CreateGenesisBlock(1296688602, 2, 0x207fffff, 1, 50 * COIN)
REGTEST_GENESIS_HEX=0100000000000000000000000000000000000000000000000000000000000000000000003ba3edfd7a7b12b27ac72c3e67768f617fc81bc3888a51323a9fb8aa4b1e5e4adae5494dffff7f2002000000

setup() {
	common_setup
}

# mine PREV VERSION TIME BITS [TAG]: one raw header on stdout.
mine() {
	"$PY" "$MINE" "$@"
}

# hash_of FILE: the display hash of the raw header in FILE.
hash_of() {
	"$PY" -c 'import hashlib, sys
h = open(sys.argv[1], "rb").read()
print(hashlib.sha256(hashlib.sha256(h).digest()).digest()[::-1].hex())' "$1"
}

# regtest_chain N SPACING: a regtest store with headers 1..N, each SPACING
# seconds after its parent (version 4); the last hash in $LAST.
regtest_chain() {
	local prev=$GENESIS_REGTEST i
	cs-init -q --network regtest
	: > chain.bin
	for ((i = 1; i <= $1; i++)); do
		mine "$prev" 4 $((REGTEST_TIME + i * $2)) 207fffff "h$i" > h.bin
		prev=$(hash_of h.bin)
		cat h.bin >> chain.bin
	done
	run -0 cs-put -q -f raw chain.bin
	LAST=$prev
}

# export_sum: a digest of everything the store holds.
export_sum() {
	cs-backup --export - | sha256sum
}

@test "regtest: a version 1, 2 or 3 header at height 1 is bad-version, nothing stored; version 4 is accepted" {
	cs-init -q --network regtest
	for v in 1 2 3; do
		mine "$GENESIS_REGTEST" "$v" $((REGTEST_TIME + 600)) 207fffff > h.bin
		run -65 --separate-stderr cs-put -f raw h.bin
		assert_err_contains "cs-put: 'h.bin': item 1 at byte 0: bad-version(0x0000000$v) (rejected nVersion=0x0000000$v block): $(hash_of h.bin)"
		assert_err_contains "1 read, 0 added, 0 duplicate, 1 rejected; tip 0 $GENESIS_REGTEST"
		run -1 cs-get -q "$(hash_of h.bin)"
	done
	mine "$GENESIS_REGTEST" 4 $((REGTEST_TIME + 600)) 207fffff > h.bin
	run -0 cs-put -q -f raw h.bin
	run -0 cs-tip -f json
	assert_json .height 1
}

@test "regtest: a negative version (0xffffffff) is bad-version" {
	cs-init -q --network regtest
	mine "$GENESIS_REGTEST" -1 $((REGTEST_TIME + 600)) 207fffff > h.bin
	run -65 --separate-stderr cs-put -f raw h.bin
	assert_err_contains "bad-version(0xffffffff) (rejected nVersion=0xffffffff block)"
}

@test "regtest: time at the median of the last 11 is time-too-old; one second later is accepted" {
	# headers 1..10 at 600 s steps: the median of the times of 0..10 is
	# that of height 5
	regtest_chain 10 600
	mine "$LAST" 4 $((REGTEST_TIME + 5 * 600)) 207fffff > old.bin
	run -65 --separate-stderr cs-put -f raw old.bin
	assert_err_contains "item 1 at byte 0: time-too-old (block's timestamp is too early): $(hash_of old.bin)"
	run -1 cs-get -q "$(hash_of old.bin)"
	mine "$LAST" 4 $((REGTEST_TIME + 5 * 600 + 1)) 207fffff > ok.bin
	run -0 cs-put -q -f raw ok.bin
	run -0 cs-tip -f json
	assert_json .hash "$(hash_of ok.bin)"
}

@test "regtest: more than two hours ahead of the clock is time-too-new, not stored and not remembered" {
	cs-init -q --network regtest
	now=$(date +%s)
	mine "$GENESIS_REGTEST" 4 $((now + 3 * 3600)) 207fffff > new.bin
	mine "$(hash_of new.bin)" 4 $((now + 3 * 3600 + 1)) 207fffff > child.bin
	before=$(export_sum)
	run -65 --separate-stderr cs-put --keep-going -f raw new.bin child.bin
	assert_err_contains "'new.bin': item 1 at byte 0: time-too-new (block timestamp too far in the future; not stored, it may be offered again later): $(hash_of new.bin)"
	# its child waits for a parent that may come later: unknown, not invalid
	assert_err_contains "'child.bin': item 1 at byte 0: unknown parent $(hash_of new.bin)"
	[ "$(export_sum)" = "$before" ]
	# offered again, it is judged again (no memory of a rejection)
	run -65 --separate-stderr cs-put -f raw new.bin
	assert_err_contains "time-too-new"
	# within two hours of the clock it is accepted
	mine "$GENESIS_REGTEST" 4 $((now + 7000)) 207fffff > soon.bin
	run -0 cs-put -q -f raw soon.bin
}

@test "regtest: bits other than 207fffff are bad-diffbits, even when the header meets them" {
	cs-init -q --network regtest
	mine "$GENESIS_REGTEST" 4 $((REGTEST_TIME + 600)) 2000ffff > h.bin
	run -65 --separate-stderr cs-put -f raw h.bin
	assert_err_contains "item 1 at byte 0: bad-diffbits (incorrect proof of work): $(hash_of h.bin)"
	# and after a gap of more than 20 minutes too (regtest's limit is 207fffff)
	mine "$GENESIS_REGTEST" 4 $((REGTEST_TIME + 1201)) 2000ffff > gap.bin
	run -65 --separate-stderr cs-put -f raw gap.bin
	assert_err_contains "bad-diffbits"
}

@test "a rejected header's descendants are rejected as bad-prevblk with --keep-going; the good ones around them stay" {
	regtest_chain 3 600
	mine "$LAST" 1 $((REGTEST_TIME + 4 * 600)) 207fffff > bad.bin
	mine "$(hash_of bad.bin)" 4 $((REGTEST_TIME + 5 * 600)) 207fffff > child.bin
	mine "$(hash_of child.bin)" 4 $((REGTEST_TIME + 6 * 600)) 207fffff > grandchild.bin
	mine "$LAST" 4 $((REGTEST_TIME + 4 * 600)) 207fffff good > good.bin
	cat bad.bin child.bin grandchild.bin good.bin > input.bin
	run -65 --separate-stderr cs-put --keep-going -f raw input.bin
	assert_err_contains "item 1 at byte 0: bad-version(0x00000001)"
	assert_err_contains "item 2 at byte 80: bad-prevblk (its parent was rejected): $(hash_of child.bin)"
	assert_err_contains "item 3 at byte 160: bad-prevblk (its parent was rejected): $(hash_of grandchild.bin)"
	assert_err_contains "4 read, 1 added, 0 duplicate, 3 rejected; tip 4 $(hash_of good.bin)"
	for f in bad child grandchild; do
		run -1 cs-get -q "$(hash_of $f.bin)"
	done
	# without --keep-going the import stops at the first rejection
	export CS_STORE=$BATS_TEST_TMPDIR/stop
	regtest_chain 3 600
	run -65 cs-put -q -f raw input.bin
	run -0 cs-tip -f json
	assert_json .height 3
}

@test "a custom chain checks proof of work only, unless --rules gives it a network's rules" {
	genesis=$REGTEST_GENESIS_HEX
	cs-init -q -s free --genesis "$genesis"
	mine "$GENESIS_REGTEST" 1 1 207fffff > h.bin
	run -0 cs-put -q -s free -f raw h.bin
	cs-init -q -s ruled --genesis "$genesis" --rules regtest
	run -65 --separate-stderr cs-put -s ruled -f raw h.bin
	assert_err_contains "time-too-old"
	run -0 --separate-stderr cs-stat -s ruled -f json
	assert_json .rules regtest
	run -0 --separate-stderr cs-stat -s free -f json
	assert_json .rules none
	# the rules are fixed at cs-init
	run -65 --separate-stderr cs-init -s ruled --genesis "$genesis" --rules mainnet
	assert_err_contains "is a store with regtest rules, not mainnet"
	run -64 --separate-stderr cs-init -s other --rules mainnet
	assert_err_contains "--rules goes with --genesis"
	run -64 --separate-stderr cs-init -s other --genesis "$genesis" --rules moonnet
	assert_err_contains "unknown rules 'moonnet'"
}

@test "real chains import whole under their rules: mainnet 0..10236, testnet3 0..35141, signet 0..2015" {
	cs-init -q -s main --network mainnet
	run -0 cs-put -q -s main -f raw "$MAINNET"
	run -0 cs-tip -s main -f json
	assert_json .hash "$HASH_10236"
	assert_json .chainwork "$CW_10236"
	# testnet3: 11,305 of these headers are at the minimum difficulty
	# (the 20-minute rule), the rest carry the walk back's bits
	cs-init -q -s test3 --network testnet3
	run -0 cs-put -q -s test3 -f raw "$TESTNET3"
	run -0 cs-tip -s test3 -f json
	assert_json .hash "$TESTNET3_HASH_35141"
	assert_json .chainwork "$TESTNET3_CW_35141"
	cs-init -q -s sig --network signet
	run -0 cs-put -q -s sig -f raw "$SIGNET"
	run -0 cs-tip -s sig -f json
	assert_json .hash "$SIGNET_HASH_2015"
	assert_json .chainwork "$SIGNET_CW_2015"
}
