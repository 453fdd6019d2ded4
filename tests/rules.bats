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

@test "--rules takes Core's names too: main, test, testnet" {
	genesis=$REGTEST_GENESIS_HEX
	run -0 cs-init -q -s main --genesis "$genesis" --rules main
	run -0 --separate-stderr cs-stat -s main -f json
	assert_json .rules mainnet
	run -0 cs-init -q -s test --genesis "$genesis" --rules testnet
	run -0 --separate-stderr cs-stat -s test -f json
	assert_json .rules testnet3
	run -0 --separate-stderr cs-init -s test --genesis "$genesis" --rules test
	assert_err_equal "cs-init: 'test' is already a custom store"
	has_genchain || skip "cs-genchain not built"
	run -0 cs-genchain --rules main --print-genesis
	assert_output "$(cs-genchain --rules mainnet --print-genesis)"
}

@test "real chains import whole under their rules: mainnet 0..10236, testnet3 0..35141, signet 0..2015, the btcd reorg" {
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
	# btcd's reorg chain, mined on mainnet's rules: 5A takes the tip
	cs-init -q -s reorg --network mainnet
	run -0 cs-put -q -s reorg -f blk "$REORG/blk_0_to_4.dat" "$REORG/blk_3A.dat" "$REORG/blk_4A.dat" \
		"$REORG/blk_5A.dat"
	run -0 cs-tip -s reorg -f json
	assert_json .hash "$REORG_HASH_5A"
}

# custom_chain NET STORE GENCHAIN-ARGS...: a custom chain under NET's rules
# with the easy limit 207fffff, made by cs-genchain into chain.bin and
# imported into STORE.
custom_chain() {
	local net=$1 store=$2
	shift 2
	cs-init -q -s "$store" --genesis "$(cs-genchain --rules "$net" --print-genesis)" --rules "$net" \
		--pow-limit 207fffff
	cs-genchain --rules "$net" "$@" > chain.bin
	run -0 cs-put -q -s "$store" -f raw chain.bin
}

# field FILE HEIGHT time|bits|hash: a field of header HEIGHT (1 = the
# file's first) of a raw file, as python reads it.
field() {
	"$PY" -c 'import hashlib, struct, sys
h = open(sys.argv[1], "rb").read()[80 * (int(sys.argv[2]) - 1):][:80]
f = sys.argv[3]
if f == "time": print(struct.unpack("<I", h[68:72])[0])
elif f == "bits": print("%08x" % struct.unpack("<I", h[72:76])[0])
else: print(hashlib.sha256(hashlib.sha256(h).digest()).digest()[::-1].hex())' "$@"
}

# expected_retarget FILE N: the bits Core requires at height N (a multiple
# of 2016), computed by python from the times and bits in FILE.
expected_retarget() {
	local first
	if [ "$2" -eq 2016 ]; then
		first=$(cs-get -s "$STORE" -n 0 -f json | jq -r .header | cut -c137-144 |
			sed 's/\(..\)\(..\)\(..\)\(..\)/\4\3\2\1/')
		first=$((16#$first))
	else
		first=$(field "$1" $(($2 - 2016)) time)
	fi
	"$PY" "$MINE" --retarget "$(field "$1" $(($2 - 1)) bits)" \
		$(($(field "$1" $(($2 - 1)) time) - first)) 1209600 207fffff
}

@test "mainnet rules on a custom chain: retargets down (clamped at a quarter), up (clamped at four times) and capped at the limit" {
	# period 0 at 150 s (a quarter of the target: clamped), period 1 at
	# 3000 s (five times: clamped at four), period 2 at 600 s, period 3 at
	# 3000 s again from the limit: capped
	STORE=main
	custom_chain mainnet main -n 8100 --spacing-from 0:150 --spacing-from 2016:3000 --spacing-from 4032:600 \
		--spacing-from 6048:3000
	for n in 2016 4032 6048 8064; do
		[ "$(field chain.bin $n bits)" = "$(expected_retarget chain.bin $n)" ]
	done
	[ "$(field chain.bin 2016 bits)" = 201fffff ] # 207fffff / 4
	[ "$(field chain.bin 4032 bits)" = 207ffffc ] # back up four times
	[ "$(field chain.bin 8064 bits)" = 207fffff ] # capped at the limit
	[ "$(field chain.bin 2015 bits)" = 207fffff ]
	run -0 cs-tip -s main -f json
	assert_json .height 8100
	# the header at 2016 with its parent's bits instead of the retarget:
	# bad-diffbits; so is a header at 2017 that keeps the old bits
	cs-init -q -s cut --genesis "$(cs-genchain --rules mainnet --print-genesis)" --rules mainnet \
		--pow-limit 207fffff
	head -c $((2015 * 80)) chain.bin > first.bin
	run -0 cs-put -q -s cut -f raw first.bin
	parent=$(field chain.bin 2015 hash)
	mine "$parent" 4 $(($(field chain.bin 2015 time) + 150)) 207fffff > stale.bin
	run -65 --separate-stderr cs-put -s cut -f raw stale.bin
	assert_err_contains "bad-diffbits (incorrect proof of work): $(hash_of stale.bin)"
	mine "$parent" 4 $(($(field chain.bin 2015 time) + 150)) 201fffff > right.bin
	run -0 cs-put -q -s cut -f raw right.bin
	mine "$(hash_of right.bin)" 4 $(($(field chain.bin 2015 time) + 300)) 207fffff > next.bin
	run -65 --separate-stderr cs-put -s cut -f raw next.bin
	assert_err_contains "bad-diffbits"
}

@test "testnet3 rules on a custom chain: the 20-minute rule at 1200 and 1201 s, and the walk back after a minimum-difficulty run" {
	# three headers late by more than 20 minutes every 50 (a minimum-
	# difficulty run), the others 150 s apart in the first period, so that
	# its retarget makes the difficulty harder than the limit, then 600 s
	STORE=t3
	custom_chain testnet3 t3 -n 2200 --spacing-from 0:150 --spacing-from 2016:600 --min-runs 50:3
	hard=$(expected_retarget chain.bin 2016)
	[ "$(field chain.bin 2016 bits)" = "$hard" ]
	[ "$hard" != 207fffff ]
	[ "$(field chain.bin 2049 bits)" = "$hard" ]
	[ "$(field chain.bin 2050 bits)" = 207fffff ] # 2050 % 50 = 0: late, at the limit
	[ "$(field chain.bin 2052 bits)" = 207fffff ]
	[ "$(field chain.bin 2053 bits)" = "$hard" ] # back: the walk back skips the run
	run -0 cs-tip -s t3 -f json
	assert_json .height 2200
	parent=$(field chain.bin 2200 hash)
	t=$(field chain.bin 2200 time)
	# 1201 s late: must be at the limit; the walk back's bits are refused
	mine "$parent" 4 $((t + 1201)) "$hard" late > late-hard.bin
	run -65 --separate-stderr cs-put -s t3 -f raw late-hard.bin
	assert_err_contains "bad-diffbits"
	mine "$parent" 4 $((t + 1201)) 207fffff late > late-easy.bin
	run -0 cs-put -q -s t3 -f raw late-easy.bin
	# 1200 s late: not the minimum difficulty, the walk back's bits
	mine "$parent" 4 $((t + 1200)) 207fffff ontime > ontime-easy.bin
	run -65 --separate-stderr cs-put -s t3 -f raw ontime-easy.bin
	assert_err_contains "bad-diffbits"
	mine "$parent" 4 $((t + 1200)) "$hard" ontime > ontime-hard.bin
	run -0 cs-put -q -s t3 -f raw ontime-hard.bin
	# after the minimum-difficulty header, within 20 minutes: the walk
	# back goes past it to 201fffff
	mine "$(hash_of late-easy.bin)" 4 $((t + 1201 + 600)) 207fffff a > after-easy.bin
	run -65 --separate-stderr cs-put -s t3 -f raw after-easy.bin
	assert_err_contains "bad-diffbits"
	mine "$(hash_of late-easy.bin)" 4 $((t + 1201 + 600)) "$hard" a > after-hard.bin
	run -0 cs-put -q -s t3 -f raw after-hard.bin
	run -0 cs-check -s t3
}

@test "testnet4 rules on a custom chain: a period's first header 601 s before its parent is time-timewarp-attack" {
	STORE=t4
	custom_chain testnet4 t4 -n 2015 --spacing 600
	parent=$(field chain.bin 2015 hash)
	t=$(field chain.bin 2015 time)
	bits=$("$PY" "$MINE" --retarget 207fffff $((t - $(cs-get -s t4 -n 0 -f json | jq -r .header |
		cut -c137-144 | sed 's/\(..\)\(..\)\(..\)\(..\)/\4\3\2\1/' | xargs -I{} printf '%d' 0x{}))) 1209600 207fffff)
	mine "$parent" 4 $((t - 601)) "$bits" warp > warp.bin
	run -65 --separate-stderr cs-put -s t4 -f raw warp.bin
	assert_err_contains "time-timewarp-attack (block's timestamp is too early on diff adjustment block): $(hash_of warp.bin)"
	mine "$parent" 4 $((t - 600)) "$bits" ok > ok.bin
	run -0 cs-put -q -s t4 -f raw ok.bin
	run -0 cs-tip -s t4 -f json
	assert_json .height 2016
}

@test "a store written without rules: cs-put checks new headers against the entries it holds (schema 2)" {
	# a mainnet-rules custom chain to 3000, the store poked back to
	# schema 2 with its entries' contexts stripped: the next headers'
	# retarget context is found by walking to the period's first entry
	STORE=old
	custom_chain mainnet old -n 2100 --spacing-from 0:150 --spacing-from 2016:600
	cs-init -q -s old2 --genesis "$(cs-genchain --rules mainnet --print-genesis)" --rules mainnet --pow-limit 207fffff
	run -0 cs-poke -s old2 put 4d736368656d61 32
	head -c $((2100 * 80)) chain.bin > a.bin
	run -0 cs-put -q -s old2 -f raw a.bin
	cs-genchain --rules mainnet -n 4100 --spacing-from 0:150 --spacing-from 2016:600 > b.bin
	tail -c $((2000 * 80)) b.bin > rest.bin
	run -0 cs-put -q -s old2 -f raw rest.bin
	[ "$(field b.bin 4032 bits)" = "$(expected_retarget b.bin 4032)" ]
	run -0 cs-tip -s old2 -f json
	assert_json .height 4100
}
