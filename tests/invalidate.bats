#!/usr/bin/env bats
# cs-tip --invalidate / --reconsider: operator marks, as Bitcoin Core's
# invalidateblock and reconsiderblock. Real data: mainnet 0..10236; the
# btcd reorg blocks (0..4, then 3A 4A 5A, with bodies); and a real stale
# mainnet block, 823226 (tests/data/mainnet/stale_fork_headers.csv), on a
# store from bitcoinj's checkpoint 822528 with the real headers to 830592.

load test_helper

RECENT=$DATA/mainnet/headers_822528-830592.bin
STALE=$DATA/mainnet/stale_fork_headers.csv
CHECKPOINT_HASH=000000000000000000001daacd23f9cb40c69ba923085618a5f9dbdd4d97e93a
TIP_830592=00000000000000000000506183a8b30fa3224b85e82a70416e1d594bdb632fdb
# the main chain's 823226 and the stale block of that height (both csv)
MAIN_823226=00000000000000000000f8e595044e239134782ef796f0454a1cac9efaef2cbd
STALE_823226=0000000000000000000365e705dbbea406f6e383f510d400fa23e40eae71e056

setup_file() {
	build_mainnet_10k || true
}

setup() {
	common_setup
}

reorg_store() {
	cs-init -q &&
		cs-put -q -f blk "$REORG/blk_0_to_4.dat" "$REORG/blk_3A.dat" "$REORG/blk_4A.dat" "$REORG/blk_5A.dat"
}

# stale_store: from bitcoinj's checkpoint 822528 (the line of its file,
# made again from the csv), the real headers to 830592, then the real
# stale 823226: a fork of one block, as much work as the main chain's.
stale_store() {
	"$PY" -c 'import base64, csv, sys
for r in csv.DictReader(open(sys.argv[1])):
    if r["height"] == "822528":
        raw = bytes.fromhex(r["chainwork"])[-12:] + (822528).to_bytes(4, "big") + bytes.fromhex(r["header_hex"])
        print(base64.b64encode(raw).decode())' "$DATA/mainnet/checkpoints_bitcoinj.csv" >line.txt
	cs-init -q --network mainnet --checkpoint line.txt &&
		cs-put -q -f raw "$RECENT" &&
		grep '^823226,' "$STALE" | cut -d, -f6 | cs-put -q -f hex
}

# tips: cs-tip --all as "height status branchlen hash" lines.
tips() {
	cs-tip --all -f json "$@" | jq -r '"\(.height) \(.status) \(.branchlen) \(.hash)"'
}

@test "invalidate a main-chain block of mainnet 0..10236: the tip moves to its parent, 9999; reconsider brings 10236 back" {
	init_mainnet_10k
	run -0 --separate-stderr cs-tip --invalidate "$HASH_10000" -f json
	assert_err_empty
	assert_json '[.height, .hash, .status] | join(" ")' "9999 $(hash_at 9999) main"
	assert_json .chainwork "$(printf '%064x' $((10000 * 0x100010001)))"
	run -0 tip_field height
	assert_output 9999
	run -1 --separate-stderr cs-get -n 10000 -f json
	assert_err_equal "cs-get: height 10000: not found"
	# getchaintips: the old tip is invalid, 237 blocks from the fork point
	run -0 tips
	assert_output "10236 invalid 237 $HASH_10236
9999 active 0 $(hash_at 9999)"
	run -0 --separate-stderr cs-check
	assert_err_empty
	# the same headers again bring nothing back: all duplicates
	run -0 --separate-stderr cs-put -v -f raw "$MAINNET"
	assert_output ''
	[[ ${stderr_lines[-1]} == "cs-put: 10237 read, 0 added, 10237 duplicate, 0 rejected; tip 9999 $(hash_at 9999)" ]] ||
		fail "${stderr_lines[-1]}"
	run -0 tip_field hash
	assert_output "$(hash_at 9999)"
	run -0 --separate-stderr cs-tip --reconsider "$HASH_10000" -f json
	assert_err_empty
	assert_json '[.height, .hash, .status] | join(" ")' "10236 $HASH_10236 main"
	run -0 cs-get -n 10000 -f json
	assert_json .hash "$HASH_10000"
	run -0 tips
	assert_output "10236 active 0 $HASH_10236"
	run -0 --separate-stderr cs-check
	assert_err_empty
}

@test "invalidate the main chain's 823226 (real data): the real stale 823226 becomes the tip, a reorg; reconsider undoes it" {
	stale_store
	# equal work: the tip first seen stays
	run -0 tip_field hash
	assert_output "$TIP_830592"
	run -0 tips
	assert_output "830592 active 0 $TIP_830592
823226 valid-headers 1 $STALE_823226"
	run -0 --separate-stderr cs-tip --invalidate "$MAIN_823226" -f json
	assert_err_empty
	assert_json '[.height, .hash, .status] | join(" ")' "823226 $STALE_823226 main"
	run -0 cs-get -n 823226 -n 823225 -f json
	assert_json .hash "$STALE_823226
$(grep '^823226,' "$STALE" | cut -d, -f3)"
	run -1 --separate-stderr cs-get -n 823227 -f json
	assert_err_equal "cs-get: height 823227: not found"
	run -0 tips
	assert_output "830592 invalid 7367 $TIP_830592
823226 active 0 $STALE_823226"
	run -0 --separate-stderr cs-check
	assert_err_empty
	# the main chain's headers again: they stay invalid
	run -0 cs-put -q -f raw "$RECENT"
	run -0 tip_field hash
	assert_output "$STALE_823226"
	run -0 --separate-stderr cs-tip --reconsider "$MAIN_823226" -f json
	assert_err_empty
	assert_json '[.height, .hash] | join(" ")' "830592 $TIP_830592"
	run -0 tips
	assert_output "830592 active 0 $TIP_830592
823226 valid-headers 1 $STALE_823226"
	run -0 --separate-stderr cs-check
	assert_err_empty
}

@test "btcd reorg: invalidate 4A: the tip goes back to 4 (a valid-fork, bodies and all); reconsider 3A, an ancestor, clears 4A's mark" {
	reorg_store
	run -0 --separate-stderr cs-tip --invalidate "$REORG_HASH_4A" -f json -v
	assert_json '[.height, .hash] | join(" ")' "4 $REORG_HASH_4"
	[[ $stderr == "cs-tip: marked '$REORG_HASH_4A' invalid
cs-tip: tip moved from 5 $REORG_HASH_5A to 4 $REORG_HASH_4" ]] || fail "$stderr"
	run -0 cs-get -n 3 -n 4 -f json
	assert_json .hash "$REORG_HASH_3
$REORG_HASH_4"
	run -0 tips
	assert_output "5 invalid 3 $REORG_HASH_5A
4 active 0 $REORG_HASH_4"
	run -0 --separate-stderr cs-check
	assert_err_empty
	# a block of the invalid branch again: a duplicate, still invalid
	run -0 --separate-stderr cs-put -v -f blk "$REORG/blk_4A.dat" "$REORG/blk_5A.dat"
	[[ ${stderr_lines[-1]} == "cs-put: 2 read, 0 added, 2 duplicate, 0 rejected; tip 4 $REORG_HASH_4" ]] ||
		fail "${stderr_lines[-1]}"
	# invalidating it again changes nothing
	run -0 --separate-stderr cs-tip --invalidate "$REORG_HASH_4A" -f json -v
	assert_json .hash "$REORG_HASH_4"
	[[ $stderr == "cs-tip: '$REORG_HASH_4A' was marked invalid already
cs-tip: tip stays at 4 $REORG_HASH_4" ]] || fail "$stderr"
	run -0 --separate-stderr cs-tip --reconsider "$REORG_HASH_3A" -f json -v
	assert_json '[.height, .hash] | join(" ")' "5 $REORG_HASH_5A"
	[[ $stderr == "cs-tip: cleared 1 mark ('$REORG_HASH_3A', its descendants and ancestors)
cs-tip: tip moved from 4 $REORG_HASH_4 to 5 $REORG_HASH_5A" ]] || fail "$stderr"
	run -0 tips
	assert_output "5 active 0 $REORG_HASH_5A
4 valid-fork 2 $REORG_HASH_4"
	run -0 --separate-stderr cs-check
	assert_err_empty
}

@test "invalidate a fork's block: the tip stays, the fork's tip is invalid; reconsider of a descendant clears it" {
	reorg_store
	run -0 --separate-stderr cs-tip --invalidate "$REORG_HASH_3" -f json
	assert_json .hash "$REORG_HASH_5A"
	run -0 tips
	assert_output "5 active 0 $REORG_HASH_5A
4 invalid 2 $REORG_HASH_4"
	run -0 --separate-stderr cs-check
	assert_err_empty
	run -0 cs-tip --reconsider "$REORG_HASH_4" -f json
	run -0 tips
	assert_output "5 active 0 $REORG_HASH_5A
4 valid-fork 2 $REORG_HASH_4"
}

@test "a header whose parent is invalid is refused: bad-prevblk, 65, nothing stored" {
	cs-init -q
	headers "$MAINNET" 1 10100 >low.bin
	headers "$MAINNET" 10101 10236 >high.bin
	run -0 cs-put -q -f raw low.bin
	run -0 cs-tip --invalidate "$HASH_10000" -f json
	# a child of a descendant of the mark
	run -65 --separate-stderr cs-put -f raw high.bin
	assert_err_equal "cs-put: 'high.bin': item 1 at byte 0: bad-prevblk (its parent is marked invalid): $(hash_at 10101)
cs-put: 1 read, 0 added, 0 duplicate, 1 rejected; tip 9999 $(hash_at 9999)"
	run -1 cs-get "$(hash_at 10101)" -f json
	# --keep-going: each header of the branch is refused in turn
	run -65 --separate-stderr cs-put -q --keep-going -f raw high.bin
	assert_equal "$(grep -c 'bad-prevblk' <<<"$stderr")" 136
	run -0 cs-stat -f json
	assert_json .entries 10101
	run -0 --separate-stderr cs-check
	assert_err_empty
	# reconsidered, the same input is taken
	run -0 cs-tip --reconsider "$HASH_10000" -f json
	run -0 cs-put -q -f raw high.bin
	run -0 tip_field hash
	assert_output "$HASH_10236"
}

@test "a child of the marked entry itself is refused too" {
	cs-init -q
	headers "$MAINNET" 1 10000 | cs-put -q -f raw
	run -0 cs-tip --invalidate "$HASH_10000" -f json
	assert_json .height 9999
	headers "$MAINNET" 10001 10001 >child.bin
	run -65 --separate-stderr cs-put -q -f raw <child.bin
	assert_err_equal "cs-put: item 1 at byte 0: bad-prevblk (its parent is marked invalid): $(hash_at 10001)"
}

@test "cs-prune --forks drops an invalid branch; its mark stays, so that it comes back invalid" {
	reorg_store
	run -0 cs-tip --invalidate "$REORG_HASH_4A" -f json
	# tip 4; the branch 3A 4A 5A forks at 2
	run -0 cs-prune --forks 1
	run -1 cs-get "$REORG_HASH_3A" -f json
	run -0 --separate-stderr cs-check
	assert_err_empty
	run -0 tips
	assert_output "4 active 0 $REORG_HASH_4"
	# put again: 3A is valid, 4A comes back marked, 5A is its child
	run -65 --separate-stderr cs-put -q -f blk "$REORG/blk_3A.dat" "$REORG/blk_4A.dat" "$REORG/blk_5A.dat"
	assert_err_equal "cs-put: '$REORG/blk_5A.dat': item 1 at byte 0: bad-prevblk (its parent is marked invalid): $REORG_HASH_5A"
	run -0 tips
	assert_output "4 active 0 $REORG_HASH_4
4 invalid 2 $REORG_HASH_4A"
	run -0 --separate-stderr cs-check
	assert_err_empty
	run -0 cs-tip --reconsider "$REORG_HASH_4A" -f json
	assert_json .hash "$REORG_HASH_4"
}

@test "cs-tip --invalidate: an unknown hash is 1, the genesis and a checkpoint 65, a bad hash 64; nothing changes" {
	init_mainnet_10k
	store_dump >before
	unknown=$(printf '%064x' 7)
	run -1 --separate-stderr cs-tip --invalidate "$unknown" -f json
	assert_output ''
	assert_err_equal "cs-tip: '$unknown': not found"
	run -1 --separate-stderr cs-tip --reconsider "$unknown" -f json
	assert_err_equal "cs-tip: '$unknown': not found"
	run -65 --separate-stderr cs-tip --invalidate "$GENESIS_MAINNET" -f json
	assert_output ''
	assert_err_equal "cs-tip: '$GENESIS_MAINNET': the store's genesis cannot be invalidated"
	run -64 --separate-stderr cs-tip --invalidate 1234 -f json
	assert_err_contains "cs-tip: bad hash '1234': expected 64 hex digits"
	run -64 --separate-stderr cs-tip --invalidate "$HASH_10000" --reconsider "$HASH_10000"
	assert_err_contains "cs-tip: --invalidate and --reconsider name one entry, once"
	run -64 --separate-stderr cs-tip --invalidate
	store_dump >after
	cmp before after
	run -0 cs-poke list 49
	assert_output ''
	# reconsidering a valid entry changes nothing
	run -0 --separate-stderr cs-tip --reconsider "$HASH_10000" -f json -v
	assert_json .hash "$HASH_10236"
	[[ $stderr == "cs-tip: cleared 0 marks ('$HASH_10000', its descendants and ancestors)
cs-tip: tip stays at 10236 $HASH_10236" ]] || fail "$stderr"
	CS_STORE=$BATS_TEST_TMPDIR/cp
	stale_store
	run -65 --separate-stderr cs-tip -q --invalidate "$CHECKPOINT_HASH" -f json
	assert_err_equal "cs-tip: '$CHECKPOINT_HASH': the store's checkpoint cannot be invalidated"
}

@test "cs-tip --invalidate takes the store as a writer: a held store is 75" {
	init_mainnet_10k
	flock "$CS_STORE/lock" sleep 3 3>&- &
	holder=$!
	wait_locked "$CS_STORE/lock"
	run -75 --separate-stderr cs-tip -w 0.3 --invalidate "$HASH_10000" -f json
	assert_err_contains 'cs-tip: store busy'
	kill "$holder"
	wait "$holder" || true
	run -0 tip_field hash
	assert_output "$HASH_10236"
}

@test "cs-check: a mark on the main chain, the genesis marked, a malformed mark are findings; --repair moves the tip" {
	init_mainnet_10k
	# a mark written behind the tool's back: the tip now descends from it
	run -0 cs-poke put "49$(reverse_hex "$HASH_10000")" 00002710
	run -74 --separate-stderr cs-check
	assert_err_contains "cs-check: store '$CS_STORE' is corrupt: tip $HASH_10236: invalid: it descends from an entry marked invalid"
	run -0 --separate-stderr cs-check --repair
	run -0 tip_field height
	assert_output 9999
	run -0 --separate-stderr cs-check
	assert_err_empty
	run -0 cs-tip --reconsider "$HASH_10000" -f json
	assert_json .height 10236
	# a mark that keeps another height, a mark of the genesis
	run -0 cs-poke put "49$(reverse_hex "$HASH_10000")" 00000001
	run -0 cs-tip --reconsider "$HASH_10000" -f json
	run -0 cs-poke put "49$(reverse_hex "$HASH_1000")" 00000001
	run -0 cs-poke put "49$(reverse_hex "$GENESIS_MAINNET")" 00000000
	run -74 --separate-stderr cs-check
	assert_err_contains "invalid mark $HASH_1000: keeps height 1, its entry is at height 1000"
	assert_err_contains "invalid mark $GENESIS_MAINNET: the genesis is marked invalid"
	run -0 cs-poke put "49$(reverse_hex "$HASH_1")" 01
	run -74 --separate-stderr cs-check
	assert_err_contains "holds 1 bytes, not a height"
}
