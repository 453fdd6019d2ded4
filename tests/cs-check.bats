#!/usr/bin/env bats
# cs-check: stores damaged on purpose, key by key (tests/tools/cs-poke) and
# file by file, must exit 74 naming what is wrong; --repair must bring back
# what can be brought back. Expected hashes and chainworks are the published
# ones (tests/data), computed here with python, never taken from the code.

load test_helper

setup_file() {
	build_mainnet_10k || true
}

setup() {
	common_setup
}

# cw_at N: the published chainwork at mainnet height N <= 10236: every
# header has bits 1d00ffff, work 0x100010001 (tests/data/README.md).
cw_at() {
	printf '%064x' $((($1 + 1) * 0x100010001))
}

# key PREFIX HASH: a store key in hex: the prefix byte and the hash in
# internal order (libcommon/store.h).
key() {
	printf '%s%s' "$1" "$(reverse_hex "$2")"
}

# entry_edit HASH PYTHON: rewrites entry HASH's stored value with a python
# statement on v, a bytearray: flags v[0], height v[1:5] (big-endian),
# the chainwork's length v[5] and its big-endian bytes v[6:6 + v[5]], then
# the header, then (schema 3, a store with header rules) the rules context:
# its period's first time and bits and the walk back's bits, 4 bytes each
# (libcommon/store.h).
entry_edit() {
	local k v
	k=$(key 45 "$1")
	v=$(cs-poke get "$k") || return
	v=$("$PY" -c 'import sys
v = bytearray.fromhex(sys.argv[1])
exec(sys.argv[2])
print(v.hex())' "$v" "$2") || return
	cs-poke put "$k" "$v"
}

# btcd_store: a mainnet store holding btcd's blocks 1..255 with bodies.
btcd_store() {
	cs-init -q && cs-put -q -f blk "$BTCD_BLOCKS"
}

# bulk_table: the table file holding the entries cs-put wrote. cs-init's
# records went to a table of their own when cs-put opened the store; what
# cs-put wrote waits in the log until the next open (a check) makes it a
# table too.
bulk_table() {
	cs-check || return
	ls -S "$CS_STORE"/db/*.ldb | head -n 1
}

HASH_170=00000000d1145790a8694403d4063f323d499e655c83426834d4ce2f8dd4a2ee
TX_FIRST_PAYMENT=f4184fc596403b9d638783cf57adfe4c75c605f6356fbc91338530e9831e9e16

# opaque_store: an opaque chain of hashes 0x10 <- 1 <- 2 <- 3 (work 5) and
# a fork 1 <- 0xf; the others have the default work, 1.
opaque_store() {
	entry() { printf '{"hash":"%064x","prev":"%064x","header":"%s"%s}\n' "$1" "$2" "$3" "${4:-}"; }
	entry 16 0 aa | cs-init -q --opaque -f json || return
	{
		entry 1 16 01
		entry 2 1 02
		entry 3 2 03 ',"work":5'
		entry 15 1 0f
	} | cs-put -q -f json
}

@test "cs-check: a sound store: exit 0, nothing printed" {
	init_mainnet_10k
	run -0 --separate-stderr cs-check
	assert_output ''
	assert_err_empty
	run -0 --separate-stderr cs-check --repair
	assert_output ''
	assert_err_empty
}

@test "cs-check -v: what real mainnet 0..10236 holds" {
	init_mainnet_10k
	run -0 --separate-stderr cs-check -v
	assert_output ''
	assert_err_equal "cs-check: store '$CS_STORE': 10237 entries (10237 on the main chain, 0 on forks), 1 chain tip, 0 bodies (0 pruned), 0 transactions indexed, 10237 heights indexed
cs-check: store '$CS_STORE': every hash, proof of work and header rule (mainnet) verified
cs-check: store '$CS_STORE' is sound"
}

@test "cs-check -v: btcd blocks 1..255, bodies and transaction index sound" {
	btcd_store
	n=$(btcd_tx_counts | awk '{ n += $2 } END { print n }')
	((n > 255)) || fail "counted $n transactions"
	run -0 --separate-stderr cs-check -v
	assert_err_contains "256 entries (256 on the main chain, 0 on forks), 1 chain tip, 255 bodies (0 pruned), $n transactions indexed, 256 heights indexed"
}

@test "cs-check -v: the btcd reorg: two forks, two tips" {
	run -0 cs-init -q
	run -0 cs-put -q -f blk "$REORG"/blk_0_to_4.dat "$REORG"/blk_3A.dat "$REORG"/blk_4A.dat "$REORG"/blk_5A.dat
	run -0 --separate-stderr cs-check -v
	# 0 1 2 3A 4A 5A on the main chain, 3 and 4 on a fork; tips 4 and 5A
	assert_err_contains "8 entries (6 on the main chain, 2 on forks), 2 chain tips, 8 bodies (0 pruned)"
}

@test "cs-check -v: an opaque store is checked, but its hashes cannot be" {
	opaque_store
	run -0 --separate-stderr cs-check
	assert_err_empty
	run -0 --separate-stderr cs-check -v
	assert_err_contains "5 entries (4 on the main chain, 1 on forks), 2 chain tips"
	assert_err_contains "hashes not verified: an opaque store's entries name their own"
}

@test "cs-check: opaque store: chainwork damaged, found and repaired" {
	opaque_store
	# entry 3 (height 3): work 5 on 1+1+1 -> chainwork 8, one byte after
	# its length; the opaque layout puts prev and work between chainwork
	# and header
	entry_edit "$(printf '%064x' 3)" 'assert v[5:7] == bytes([1, 8]); v[6] = 9'
	run -74 --separate-stderr cs-check
	assert_err_contains "cs-check: store '$CS_STORE' is corrupt: entry $(printf '%064x' 3): chainwork 9 does not match its parent's (expected 8)"
	run -0 --separate-stderr cs-check --repair -q
	run -0 cs-tip -f json
	assert_json .chainwork "$(printf '%064x' 8)"
	assert_json .work 5
}

@test "cs-check: missing store 66, busy store 75, usage 64" {
	run -66 --separate-stderr cs-check
	assert_err_contains "cs-check: store '$CS_STORE' not found"
	run -66 --separate-stderr cs-check --repair
	run -0 cs-init -q
	flock "$CS_STORE/lock" sleep 3 3>&- &
	wait_locked "$CS_STORE/lock"
	run -75 --separate-stderr cs-check -w 0.2
	assert_err_contains 'cs-check: store busy'
	run -75 --separate-stderr cs-check -w 0.2 --repair
	wait
	run -64 --separate-stderr cs-check --frobnicate
	run -64 --separate-stderr cs-check -f text
	assert_err_contains "unknown format 'text'"
	run -64 --separate-stderr cs-check extra
}

@test "cs-check: chainwork damaged at 5000: named; --repair restores the published value" {
	init_mainnet_10k
	h=$(hash_at 5000)
	entry_edit "$h" 'v[5:6 + v[5]] = bytes([2]) + (12345).to_bytes(2, "big")'
	run -74 --separate-stderr cs-check
	assert_output ''
	assert_err_equal "cs-check: store '$CS_STORE' is corrupt: entry $h: chainwork 3039 does not match its parent's (expected 138913891389)
cs-check: store '$CS_STORE' is corrupt: 1 problem found"
	run -0 --separate-stderr cs-check --repair
	assert_output ''
	assert_err_contains "repair: rewrote entry $h: height 5000, chainwork 138913891389"
	run -0 --separate-stderr cs-check
	assert_err_empty
	run -0 cs-get -n 5000 -f json
	assert_json .chainwork "$(cw_at 5000)"
	assert_json .hash "$h"
}

@test "cs-check: height damaged: named, and only that entry" {
	init_mainnet_10k
	h=$(hash_at 7)
	entry_edit "$h" 'v[1:5] = (9).to_bytes(4, "big")'
	run -74 --separate-stderr cs-check
	assert_err_equal "cs-check: store '$CS_STORE' is corrupt: entry $h: height 9 does not match its parent's (expected 7)
cs-check: store '$CS_STORE' is corrupt: 1 problem found"
	run -0 cs-check --repair -q
	run -0 cs-get -f json "$h"
	assert_json .height 7
}

@test "cs-check: height index: a height missing, one above the tip, one naming another entry" {
	init_mainnet_10k
	run -0 cs-poke del "$(printf '48%08x' 100)"
	run -0 cs-poke put "$(printf '48%08x' 10237)" "$(reverse_hex "$(hash_at 5)")"
	run -0 cs-poke put "$(printf '48%08x' 200)" "$(reverse_hex "$(hash_at 201)")"
	run -74 --separate-stderr cs-check
	assert_err_equal "cs-check: store '$CS_STORE' is corrupt: height index: height 200 names $(hash_at 201), but the chain from the tip has $(hash_at 200)
cs-check: store '$CS_STORE' is corrupt: height index: height 100 is missing
cs-check: store '$CS_STORE' is corrupt: height index: height 10237 is above the tip (height 10236)
cs-check: store '$CS_STORE' is corrupt: 3 problems found"
	run -0 cs-check --repair -q
	run -0 cs-check
	run -0 cs-get -n 100 -n 200 -f json
	assert_json .hash "$(hash_at 100)
$(hash_at 200)"
	run -1 cs-poke get "$(printf '48%08x' 10237)"
}

@test "cs-check: height index: a kept header that is not its entry's; --repair writes it again" {
	init_mainnet_10k
	k=$(printf '48%08x' 300)
	run -0 cs-poke get "$k"
	good=$output
	# the value is the hash (internal order) and the header without its
	# prev: version, merkle root, time, bits, nonce (libcommon/store.h)
	h=$(header_hex "$MAINNET" 300)
	[ "$good" = "$(reverse_hex "$(hash_at 300)")${h:0:8}${h:72}" ]
	# one nonce bit off
	run -0 cs-poke put "$k" "${good:0:158}$(printf '%02x' $((0x${good:158:2} ^ 1)))"
	run -74 --separate-stderr cs-check
	assert_err_equal "cs-check: store '$CS_STORE' is corrupt: height index: height 300 holds a header that is not its entry's
cs-check: store '$CS_STORE' is corrupt: 1 problem found"
	run -0 cs-check --repair -q
	run -0 cs-poke get "$k"
	assert_output "$good"
	run -0 cs-check
}

@test "cs-check: chain tips: one lost, one too many, one for no entry" {
	init_mainnet_10k
	run -0 cs-poke del "$(key 58 "$HASH_10236")"
	run -0 cs-poke put "$(key 58 "$(hash_at 9)")" ''
	run -0 cs-poke put 58"$(printf '%064x' 7)" ''
	run -74 --separate-stderr cs-check
	assert_err_contains "entry $HASH_10236: has no children but is not a chain tip"
	assert_err_contains "chain tip $(hash_at 9): has children"
	assert_err_contains "chain tip $(reverse_hex "$(printf '%064x' 7)"): no such entry"
	assert_err_contains "3 problems found"
	run -0 cs-check --repair -q
	run -0 cs-check
	run -0 cs-tip --all -f json
	assert_json .hash "$HASH_10236"
}

@test "cs-check: the tip is not the best entry; --repair moves it back" {
	init_mainnet_10k
	run -0 cs-poke put "$(printf '%s' Mtip | xxd -p)" "$(reverse_hex "$(hash_at 5000)")"
	run -74 --separate-stderr cs-check
	assert_err_equal "cs-check: store '$CS_STORE' is corrupt: tip $(hash_at 5000): not the best entry: $HASH_10236 has more chainwork (27fd27fd27fd, the tip 138913891389)
cs-check: store '$CS_STORE' is corrupt: height index: heights 5001..10236 are above the tip (height 5000) (5236 heights)
cs-check: store '$CS_STORE' is corrupt: 2 problems found"
	run -0 --separate-stderr cs-check --repair
	assert_err_contains "repair: set the tip to $HASH_10236 (height 10236)"
	run -0 cs-check
	run -0 cs-tip -f json
	assert_json .hash "$HASH_10236"
	assert_json .chainwork "$CW_10236"
}

@test "cs-check: the meta tip lost: named; --repair writes it again" {
	init_mainnet_10k
	run -0 cs-poke del "$(printf '%s' Mtip | xxd -p)"
	run -74 --separate-stderr cs-check
	assert_err_contains "cs-check: store '$CS_STORE' is corrupt: meta: no tip"
	run -0 cs-check --repair -q
	run -0 cs-tip -f json
	assert_json .hash "$HASH_10236"
}

@test "cs-check: a header damaged at 10230: dropped with what hangs on it; cs-put brings them back" {
	init_mainnet_10k
	h=$(hash_at 10230)
	entry_edit "$h" 'v[-13] ^= 0xff' # the header's last byte, before the rules context (12)
	run -74 --separate-stderr cs-check
	assert_err_contains "entry $h: its header hashes to "
	assert_err_contains "entry $(hash_at 10231): its parent $h is not sound; it and 5 entries after it do not connect to the genesis"
	# the dropped entries go to standard output, for cs-put
	cs-check --repair -q >dropped.cbor
	run -0 cbor2json dropped.cbor
	assert_equal "${#lines[@]}" 6
	assert_json '.hash' "$(for n in 10231 10232 10233 10234 10235 10236; do reverse_hex "$(hash_at "$n")"; done)"
	run -0 cs-check
	run -0 cs-tip -f json
	assert_json .height 10229
	# the sound header from the source, then the entries that were dropped
	cat <(headers "$MAINNET" 10230 10230 | raw2cbor) dropped.cbor | cs-put -q
	run -0 cs-tip -f json
	assert_json .hash "$HASH_10236"
	assert_json .chainwork "$CW_10236"
	run -0 cs-check
}

@test "cs-check: an entry lost at 5000: 5236 cut off; --repair -f json keeps them for cs-put" {
	init_mainnet_10k
	run -0 cs-poke del "$(key 45 "$(hash_at 5000)")"
	run -74 --separate-stderr cs-check
	assert_err_contains "entry $(hash_at 5001): its parent $(hash_at 5000) is not stored; it and 5235 entries after it do not connect to the genesis"
	assert_err_contains "tip $HASH_10236: does not connect to the genesis"
	run -0 --separate-stderr cs-check --repair -f json
	assert_err_contains "repair: dropped 5236 entries that do not connect to the genesis"
	assert_equal "${#lines[@]}" 5236
	printf '%s\n' "${lines[@]}" >dropped.json
	run -0 cs-tip -f json
	assert_json .height 4999
	run -0 cs-check
	headers "$MAINNET" 5000 5000 | cs-put -q -f raw
	run -0 cs-put -q -f json dropped.json
	run -0 cs-tip -f json
	assert_json .hash "$HASH_10236"
	run -0 cs-check
}

@test "cs-check --repair to a full disk: stops before the first drop, changes nothing, claims no drop: 74" {
	init_mainnet_10k
	run -0 cs-poke del "$(key 45 "$(hash_at 5000)")"
	run -74 --separate-stderr bash -c 'cs-check --repair >/dev/full'
	assert_err_contains "cs-check: store '$CS_STORE': repair stopped: no key written or deleted, no entry dropped"
	assert_equal "${stderr_lines[${#stderr_lines[@]} - 1]}" \
		"cs-check: repair of store '$CS_STORE' stopped before dropping entry $(hash_at 5001): cannot write standard output: No space left on device"
	! [[ $stderr =~ [0-9]+\ (entry|entries)\ dropped ]] || fail "claims entries were dropped: $stderr"
	[[ $stderr != *"repair: dropped"* ]] || fail "claims entries were dropped: $stderr"
	[[ $stderr != *"repaired:"* ]] || fail "claims a repair: $stderr"
	# nothing changed: the same problems, the same tip
	run -0 cs-get -f json -n 10236
	assert_json .hash "$HASH_10236"
	run -74 --separate-stderr cs-check
	assert_err_contains "it and 5235 entries after it do not connect to the genesis"
	# -q: the findings and the error, no summary
	run -74 --separate-stderr bash -c 'cs-check --repair -q >/dev/full'
	assert_equal "${stderr_lines[${#stderr_lines[@]} - 1]}" \
		"cs-check: repair of store '$CS_STORE' stopped before dropping entry $(hash_at 5001): cannot write standard output: No space left on device"
	[[ $stderr != *"repair stopped"* && $stderr != *dropped\ 1* ]] || fail "a summary with -q: $stderr"
}

@test "cs-check: the genesis lost: a built-in network's is written again" {
	init_mainnet_10k
	run -0 cs-poke del "$(key 45 "$GENESIS_MAINNET")"
	run -74 --separate-stderr cs-check
	assert_err_contains "cs-check: store '$CS_STORE' is corrupt: genesis entry $GENESIS_MAINNET: missing"
	run -0 --separate-stderr cs-check --repair
	assert_err_contains "repair: wrote the genesis entry $GENESIS_MAINNET of mainnet again"
	run -0 cs-check
	run -0 cs-get -n 0 -f json
	assert_json .hash "$GENESIS_MAINNET"
	assert_json .chainwork "$CW_GENESIS"
	run -0 cs-tip -f json
	assert_json .hash "$HASH_10236"
}

@test "cs-check: the genesis of an opaque chain lost: --repair refuses, changing nothing" {
	opaque_store
	g=$(printf '%064x' 16)
	run -0 cs-poke del "$(key 45 "$g")"
	before=$(cs-poke list)
	run -74 --separate-stderr cs-check --repair
	assert_err_contains "cannot repair store '$CS_STORE': its genesis entry $g is lost (restore the store from a backup)"
	assert_equal "$(cs-poke list)" "$before"
}

@test "cs-check: an entry that does not decode; a malformed key" {
	init_mainnet_10k
	h=$(hash_at 10236)
	run -0 cs-poke put "$(key 45 "$h")" 0000
	run -0 cs-poke put 45abcd 00
	run -74 --separate-stderr cs-check
	assert_err_contains "entry $h: does not decode (2 bytes)"
	assert_err_contains "entries: malformed key 45abcd (3 bytes)"
	run -0 cs-check --repair -q
	run -0 cs-check
	run -0 cs-tip -f json
	assert_json .height 10235
}

@test "cs-check: a body lost: flags and transaction index named; --repair clears them" {
	btcd_store
	run -0 cs-poke del "$(key 42 "$HASH_170")"
	run -74 --separate-stderr cs-check
	assert_err_contains "entry $HASH_170: its body is missing"
	assert_err_contains "transaction index: txid $TX_FIRST_PAYMENT names block $HASH_170, which has no sound body"
	run -0 --separate-stderr cs-check --repair
	assert_err_contains "repair: rebuilt the transaction index from the bodies"
	run -0 cs-check
	run -1 --separate-stderr cs-get --body -n 170 -f json
	assert_err_contains 'no body'
	run -1 cs-get --tx "$TX_FIRST_PAYMENT"
}

@test "cs-check: transaction index: a txid lost, one misplaced, one stray" {
	btcd_store
	run -0 cs-poke del "$(key 54 "$TX_FIRST_PAYMENT")$(reverse_hex "$HASH_170")"
	run -74 --separate-stderr cs-check
	assert_err_contains "transaction index: txid $TX_FIRST_PAYMENT of block $HASH_170 (position 1) is missing"
	run -0 cs-check --repair -q
	run -0 cs-get --tx -f json "$TX_FIRST_PAYMENT"
	assert_json .index 1
	assert_json .height 170

	run -0 cs-poke put "$(key 54 "$TX_FIRST_PAYMENT")$(reverse_hex "$HASH_170")" 00000000
	run -0 cs-poke put 54"$(printf '%064x' 7)$(reverse_hex "$HASH_170")" 00000001
	run -74 --separate-stderr cs-check
	assert_err_contains "transaction index: txid $TX_FIRST_PAYMENT of block $HASH_170 has position 0, not 1"
	assert_err_contains "names block $HASH_170, whose body does not hold it"
	run -0 cs-check --repair -q
	run -0 cs-check
	run -0 cs-get --tx -f json "$TX_FIRST_PAYMENT"
	assert_json .index 1
}

@test "cs-check: a body damaged: its merkle root named; --repair drops the body only" {
	btcd_store
	k=$(key 42 "$HASH_170")
	v=$(cs-poke get "$k")
	# the coinbase's script: its txid, so the merkle root, change
	run -0 cs-poke put "$k" "${v:0:100}00${v:102}"
	run -74 --separate-stderr cs-check
	assert_err_contains "body $HASH_170: merkle root "
	assert_err_contains "does not match the header's"
	run -0 --separate-stderr cs-check --repair
	assert_err_contains "repair: dropped the body of $HASH_170"
	run -0 cs-check
	run -0 cs-get -n 170 -f json
	assert_json .hash "$HASH_170"
	run -1 cs-get --body -n 170 -f json
}

@test "cs-check: flags that lie about the body" {
	btcd_store
	entry_edit "$HASH_170" 'v[0] &= 8' # 8: the rules context, kept
	entry_edit "$(hash_at 9)" 'v[0] = 3 | v[0] & 8'
	run -74 --separate-stderr cs-check
	assert_err_contains "entry $HASH_170: a body is stored but its flags say none"
	assert_err_contains "entry $(hash_at 9): marked pruned, yet its body is stored"
	run -0 cs-check --repair -q
	run -0 cs-check
	run -0 cs-get --body -n 170 -n 9 -f json
}

@test "cs-check: a transaction index key in an opaque store" {
	opaque_store
	run -0 cs-poke put 54"$(printf '%0128x' 1)" 00000000
	run -74 --separate-stderr cs-check
	assert_err_contains "in an opaque store"
	run -0 cs-check --repair -q
	run -0 cs-check
}

@test "cs-check: at most 100 problems printed, then how many more; -v prints all" {
	init_mainnet_10k
	for n in $(seq 1000 1 1104); do
		cs-poke put 58"$(printf '%064x' "$n")" ''
	done
	run -74 --separate-stderr cs-check
	[ "$(grep -c 'no such entry' <<<"$stderr")" -eq 100 ] || fail "$stderr"
	assert_err_contains "cs-check: store '$CS_STORE' is corrupt: 5 more problems not shown (-v shows every one)"
	assert_err_contains "cs-check: store '$CS_STORE' is corrupt: 105 problems found"
	run -74 --separate-stderr cs-check -v
	[ "$(grep -c 'no such entry' <<<"$stderr")" -eq 105 ] || fail "$stderr"
}

@test "cs-check: garbage in CURRENT: 74, then --repair recovers everything" {
	init_mainnet_10k
	before=$(store_dump)
	echo garbage >"$CS_STORE/db/CURRENT"
	run -74 --separate-stderr cs-check
	assert_err_contains "cs-check: cannot open store '$CS_STORE': Corruption:"
	run -0 --separate-stderr cs-check --repair
	run -0 --separate-stderr cs-check
	assert_equal "$(store_dump)" "$before"
}

@test "cs-check: garbage in the MANIFEST: 74, then --repair recovers everything" {
	init_mainnet_10k
	before=$(store_dump)
	head -c 64 /dev/urandom >"$(ls "$CS_STORE"/db/MANIFEST-*)"
	run -74 --separate-stderr cs-check
	assert_err_contains "cs-check: cannot open store '$CS_STORE': Corruption:"
	run -0 cs-check --repair -q
	run -0 cs-check
	assert_equal "$(store_dump)" "$before"
}

@test "cs-check: a table file deleted: 74; --repair keeps the rest, cs-put refills" {
	init_mainnet_10k
	big=$(bulk_table)
	rm "$big"
	run -74 --separate-stderr cs-check
	assert_err_contains "Corruption: 1 missing files"
	run -0 cs-check --repair -q
	run -0 cs-check
	cs-put -q -f raw "$MAINNET"
	run -0 cs-tip -f json
	assert_json .hash "$HASH_10236"
	run -0 cs-check
}

@test "cs-check: a table file cut short: 74; --repair names it in lost/" {
	init_mainnet_10k
	big=$(bulk_table)
	truncate -s 100000 "$big"
	run -74 --separate-stderr cs-check
	assert_err_contains "${big##*/}"
	run -0 --separate-stderr cs-check --repair
	assert_err_contains "repair: LevelDB could not read table ${big##*/} (100000 bytes) and moved it to $CS_STORE/db/lost/"
	[ -f "$CS_STORE/db/lost/${big##*/}" ]
	run -0 cs-check
	cs-put -q -f raw "$MAINNET"
	run -0 cs-check
	run -0 cs-tip -f json
	assert_json .hash "$HASH_10236"
}

@test "cs-check: garbage inside a table: 74 with LevelDB's reason; --repair keeps what it can read" {
	init_mainnet_10k
	big=$(bulk_table)
	"$PY" -c 'import sys
f = sys.argv[1]
d = bytearray(open(f, "rb").read())
d[len(d) // 2:len(d) // 2 + 400] = b"\x55" * 400
open(f, "wb").write(d)' "$big"
	run -74 --separate-stderr cs-check
	assert_err_contains "cannot read the entries: Corruption: block checksum mismatch"
	cs-check --repair -q >dropped.cbor
	run -0 cs-check
	# what was cut off from the genesis was written out, well-formed
	run -0 cbor2json dropped.cbor
	# what was lost comes back from the source, and what was dropped with it
	cs-put -q -f raw "$MAINNET"
	run -0 cs-put -q dropped.cbor
	run -0 cs-check
	run -0 cs-tip -f json
	assert_json .hash "$HASH_10236"
}

@test "cs-check: real testnet3 0..35141 and signet 0..2015 keep Bitcoin Core's header rules" {
	cs-init -q -s t3 --network testnet3
	run -0 cs-put -q -s t3 -f raw "$TESTNET3"
	run -0 --separate-stderr cs-check -v -s t3
	assert_err_contains "every hash, proof of work and header rule (testnet3) verified"
	cs-init -q -s sig --network signet
	run -0 cs-put -q -s sig -f raw "$SIGNET"
	run -0 cs-check -s sig
}

@test "cs-check: a store written before the rules names each entry that breaks them; --repair leaves them" {
	# a custom chain with no rules (regtest's genesis) holds a version-1
	# header, one timed before its parents' median and one harder than
	# regtest's fixed bits; told afterwards that it is a regtest store of
	# schema 2 (no rules context in its entries), cs-check names all three,
	# each checked against what its parent would be
	genesis=0100000000000000000000000000000000000000000000000000000000000000000000003ba3edfd7a7b12b27ac72c3e67768f617fc81bc3888a51323a9fb8aa4b1e5e4adae5494dffff7f2002000000
	cs-init -q --genesis "$genesis"
	"$PY" "$REPO/tests/tools/mine-header.py" "$GENESIS_REGTEST" 1 1296689202 207fffff > v1.bin
	h1=$(display_hash_of_hex "$(xxd -p -c 80 v1.bin)")
	"$PY" "$REPO/tests/tools/mine-header.py" "$h1" 4 1296689100 207fffff > old.bin
	h2=$(display_hash_of_hex "$(xxd -p -c 80 old.bin)")
	"$PY" "$REPO/tests/tools/mine-header.py" "$h2" 4 1296689300 200fffff > hard.bin
	h3=$(display_hash_of_hex "$(xxd -p -c 80 hard.bin)")
	cat v1.bin old.bin hard.bin | run -0 cs-put -q -f raw
	run -0 cs-check
	run -0 cs-poke put "$(printf Mrules | xxd -p)" "$(printf regtest | xxd -p)"
	run -0 cs-poke put "$(printf Mschema | xxd -p)" 32
	run -74 --separate-stderr cs-check
	assert_output ''
	assert_err_equal "cs-check: store '$CS_STORE' is corrupt: entry $h1 (height 1): breaks the header rules: bad-version(0x00000001) (rejected nVersion=0x00000001 block)
cs-check: store '$CS_STORE' is corrupt: entry $h2 (height 2): breaks the header rules: time-too-old (block's timestamp is too early)
cs-check: store '$CS_STORE' is corrupt: entry $h3 (height 3): breaks the header rules: bad-diffbits (incorrect proof of work)
cs-check: store '$CS_STORE' is corrupt: 3 problems found"
	# the operator chooses which chain to give up: --repair drops none
	run -74 --separate-stderr cs-check --repair
	assert_err_contains "is still corrupt after repair: entry $h1 (height 1): breaks the header rules"
	assert_err_contains "is still corrupt after repair: 3 problems found"
	run -0 cs-tip -f json
	assert_json .hash "$h3"
	# schema 2 keeps no rules context (not a finding above); schema 3 does
	run -0 cs-poke put "$(printf Mschema | xxd -p)" 33
	run -74 --separate-stderr cs-check
	assert_err_contains "entry $h1 (height 1): breaks the header rules: bad-version(0x00000001)"
	assert_err_contains "entry $h1: has no rules context"
}

@test "cs-check: a rules context that is not its ancestors' is named, and --repair writes it again" {
	init_mainnet_10k
	h=$(hash_at 5000)
	# the period's first time (of height 4032) changed by one second
	entry_edit "$h" 'v[-12:-8] = (int.from_bytes(v[-12:-8], "big") + 1).to_bytes(4, "big")'
	t=$("$PY" -c 'import sys; print(int.from_bytes(bytes.fromhex(sys.argv[1])[68:72], "little"))' \
		"$(header_hex "$MAINNET" 4032)")
	run -74 --separate-stderr cs-check
	assert_err_equal "cs-check: store '$CS_STORE' is corrupt: entry $h: its rules context (period $((t + 1)) 1d00ffff, walk back 1d00ffff) is not its ancestors' ($t 1d00ffff, 1d00ffff)
cs-check: store '$CS_STORE' is corrupt: 1 problem found"
	run -0 --separate-stderr cs-check --repair
	assert_err_contains "repair: rewrote entry $h: height 5000, chainwork $(printf "%x" $((5001 * 0x100010001))), flags 0x00, rules context"
	run -0 cs-check
	# and the store goes on taking headers (the next retarget reads it)
	run -0 cs-put -q -f raw "$MAINNET"
}

@test "cs-check: a store that starts at bitcoinj's checkpoint 822528 is sound, from the checkpoint on" {
	"$PY" -c 'import base64, csv, sys
for r in csv.DictReader(open(sys.argv[1])):
    if r["height"] == "822528":
        raw = bytes.fromhex(r["chainwork"])[-12:] + (822528).to_bytes(4, "big") + bytes.fromhex(r["header_hex"])
        print(base64.b64encode(raw).decode())' "$DATA/mainnet/checkpoints_bitcoinj.csv" > checkpoint.txt
	cs-init -q --network mainnet --checkpoint checkpoint.txt
	run -0 cs-put -q -f raw "$DATA/mainnet/headers_822528-830592.bin"
	run -0 --separate-stderr cs-check -v
	assert_err_contains "8065 entries (8065 on the main chain, 0 on forks), 1 chain tip"
	assert_err_contains "8065 heights indexed"
	assert_err_contains "every hash, proof of work and header rule (mainnet) verified"
	# a height index entry below the checkpoint is named, and dropped
	run -0 cs-poke put "48$(printf '%08x' 822527)" "$(printf '%064x' 1)"
	run -74 --separate-stderr cs-check
	assert_err_contains "height index: height 822527 is below the checkpoint (height 822528)"
	run -0 cs-check --repair -q
	run -0 cs-check
	# an entry lost: what hangs on it no longer connects to the checkpoint
	cp -a "$CS_STORE" lost
	h=$(display_hash_of_hex "$(header_hex "$DATA/mainnet/headers_822528-830592.bin" 8000)")
	run -0 cs-poke -s lost del "45$(reverse_hex "$h")"
	run -74 --separate-stderr cs-check -s lost
	assert_err_contains "it and 63 entries after it do not connect to the checkpoint"
	assert_err_contains "tip $(display_hash_of_hex "$(header_hex "$DATA/mainnet/headers_822528-830592.bin" 8064)"): does not connect to the checkpoint"
	# a checkpoint off a retarget boundary (the meta damaged): named first
	run -0 cs-poke get "$(printf Mcheckpoint | xxd -p)"
	point=$output
	run -0 cs-poke put "$(printf Mcheckpoint | xxd -p)" "${point:0:64}$(printf '%08x' 822529)${point:72}"
	run -74 --separate-stderr cs-check
	assert_err_contains "meta: the checkpoint (height 822529) is not on a retarget boundary of mainnet's rules (every 2016)"
	assert_err_contains "checkpoint entry 000000000000000000001daacd23f9cb40c69ba923085618a5f9dbdd4d97e93a: height 822528 does not match the store's checkpoint (expected 822529)"
	run -0 cs-poke put "$(printf Mcheckpoint | xxd -p)" "$point"
	run -0 cs-check
	# the checkpoint entry itself cannot be rebuilt
	run -0 cs-poke del "45$(reverse_hex 000000000000000000001daacd23f9cb40c69ba923085618a5f9dbdd4d97e93a)"
	run -74 --separate-stderr cs-check --repair
	assert_err_contains "its checkpoint entry 000000000000000000001daacd23f9cb40c69ba923085618a5f9dbdd4d97e93a is lost (restore the store from a backup)"
}

@test "cs-check: an entry of a schema-3 rules store without its rules context: named; --repair adds it" {
	init_mainnet_10k
	h=$(hash_at 2016)
	entry_edit "$h" 'v[0] &= ~8; del v[-12:]' # flag 8: a rules context follows
	run -74 --separate-stderr cs-check
	assert_err_equal "cs-check: store '$CS_STORE' is corrupt: entry $h: has no rules context
cs-check: store '$CS_STORE' is corrupt: 1 problem found"
	run -0 --separate-stderr cs-check --repair
	assert_err_contains "repair: rewrote entry $h: height 2016, chainwork $(printf "%x" $((2017 * 0x100010001))), flags 0x00, rules context"
	run -0 cs-check
	# the period's first, as Core reads it: its time and bits
	run -0 cs-poke get "$(key 45 "$h")"
	t=$(header_hex "$MAINNET" 2016 | cut -c137-144)
	assert_output --regexp "$("$PY" -c 'import sys; t = bytes.fromhex(sys.argv[1])[::-1].hex(); print(t + "1d00ffff1d00ffff$")' "$t")"
}

@test "cs-check: the meta header rules: another network's named; lost in a schema-3 store, --repair writes the network's again" {
	init_mainnet_10k
	run -0 cs-poke del "$(printf Mrules | xxd -p)"
	run -74 --separate-stderr cs-check
	assert_err_equal "cs-check: store '$CS_STORE' is corrupt: meta: no header rules (a schema-3 store names them)
cs-check: store '$CS_STORE' is corrupt: 1 problem found"
	run -0 --separate-stderr cs-check --repair
	assert_err_contains "repair: wrote the header rules (mainnet) again"
	run -0 cs-poke get "$(printf Mrules | xxd -p)"
	assert_output "$(printf mainnet | xxd -p)"
	run -0 cs-check
	run -0 cs-poke put "$(printf Mrules | xxd -p)" "$(printf testnet3 | xxd -p)"
	run -74 --separate-stderr cs-check
	assert_err_contains "meta: the header rules are testnet3, not mainnet's"
	# unknown rules: the store cannot be read at all
	run -0 cs-poke put "$(printf Mrules | xxd -p)" "$(printf litecoin | xxd -p)"
	run -74 --separate-stderr cs-check
	assert_err_contains "has rules 'litecoin', unknown to this chainstore"
}
