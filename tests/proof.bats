#!/usr/bin/env bats
# Inclusion proofs: cs-get --proof makes them from stored bodies, cs-verify
# checks them against headers alone (cs-get(1), cs-verify(1)). Real blocks:
# mainnet 1..255 (btcd's file), 277647, 367891, 413567 and 866342 (segwit);
# block 170's payment by hand from its published header and txids. The
# txids, branches and CMerkleBlocks they are compared with are computed by
# tests/tools/merkle.py (hashlib, Core's CPartialMerkleTree in Python).

load test_helper

MERKLE=$REPO/tests/tools/merkle.py
PAY=f4184fc596403b9d638783cf57adfe4c75c605f6356fbc91338530e9831e9e16
CB170=b1fea52486ce0c62bb442b530a3f0132b826c74e473d1f2c220bfa78111c5082
HASH_170=00000000d1145790a8694403d4063f323d499e655c83426834d4ce2f8dd4a2ee
# block 170's header, as block explorers publish it
HEADER_170=0100000055bd840a78798ad0da853f68974f3d183e2bd1db6a842c1feecf222a00000000ff104ccb05421ab93e63f8c3ce5c2c2e9dbb37de2764b3a3175c8166562cac7d51b96a49ffff001d283e9e70
REAL_BLOCKS="277647 367891 413567 866342"

setup_file() {
	local d=$BATS_FILE_TMPDIR n hex
	cs-init -q -s "$d/full"
	cs-put -q -s "$d/full" -f blk "$BTCD_BLOCKS"
	cs-init -q -s "$d/light"
	cs-put -q -s "$d/light" -f raw "$MAINNET"
	# each real block as the genesis of a store of its own: whole in gN,
	# its header alone in hN
	for n in $REAL_BLOCKS; do
		hex=$(head -c 80 "$DATA/blocks/block_$n.raw" | xxd -p -c 80)
		cs-init -q -s "$d/g$n" --genesis "$hex"
		xxd -p -c 0 "$DATA/blocks/block_$n.raw" | cs-put -q -s "$d/g$n" -f hex
		cs-init -q -s "$d/h$n" --genesis "$hex"
		"$PY" "$MERKLE" txids "$DATA/blocks/block_$n.raw" >"$d/txids$n"
	done
	"$PY" "$MERKLE" all "$BTCD_BLOCKS" >"$d/all255"
}

setup() {
	common_setup
	F=$BATS_FILE_TMPDIR
}

# the proof of block 170's payment, made by hand: the header, 2
# transactions, 2 hashes (the coinbase's, the payment's), 1 flag byte: bits
# 1 (the root), 0 (the coinbase: its hash), 1 (the payment: matched) = 0x05
hand_proof() {
	echo "${HEADER_170}02000000" "02$(reverse_hex $CB170)$(reverse_hex $PAY)" "0105" | tr -d ' '
}

@test "block 170's payment: the proof made by hand from published values verifies with headers alone" {
	run -0 --separate-stderr cs-verify -s "$F/light" -f json <<<"$(hand_proof)"
	assert_output "{\"txid\":\"$PAY\",\"block\":\"$HASH_170\",\"height\":170,\"pos\":1,\"status\":\"main\",\"confirmations\":10067}"
	run -0 --separate-stderr cs-verify -s "$F/light" -f text <<<"$(hand_proof)"
	assert_output "$PAY      170  $HASH_170  main      1  10067 confirmations"
	assert_err_empty
}

@test "cs-get --proof is Core's serialization: the hand-made proof byte for byte, and Python's for two txids" {
	run -0 --separate-stderr cs-get -s "$F/full" --proof $PAY
	assert_output "$(hand_proof)"
	# the default is hex whatever stdout is; -f hex says the same
	[[ $(cs-get -s "$F/full" --proof -f hex $PAY) == "$(hand_proof)" ]]
	run -0 --separate-stderr cs-get -s "$F/full" --proof $CB170 $PAY
	assert_output "$("$PY" "$MERKLE" proof "$BTCD_BLOCKS:170" 0 1)"
	[[ ${output: -2} == 07 ]] # both leaves matched: bits 111
}

@test "cs-get --proof: \$CS_FORMAT when it names a proof's format, else hex" {
	CS_FORMAT=text run -0 --separate-stderr cs-get -s "$F/full" --proof $PAY
	assert_err_empty
	assert_output "$(hand_proof)"
	CS_FORMAT=json run -0 --separate-stderr cs-get -s "$F/full" --proof $PAY
	assert_json .block_height 170
	CS_FORMAT=json run -0 --separate-stderr cs-get -s "$F/full" --proof -f hex $PAY
	assert_output "$(hand_proof)"
}

@test "cs-get --proof -f json is Electrum's get_merkle, with the txid and block; cbor is the same map" {
	run -0 --separate-stderr cs-get -s "$F/full" --proof -f json $PAY
	assert_output "{\"txid\":\"$PAY\",\"block\":\"$HASH_170\",\"block_height\":170,\"merkle\":[\"$CB170\"],\"pos\":1}"
	cs-get -s "$F/full" --proof -f cbor $PAY >proof.cbor
	run -0 --separate-stderr cbor2json proof.cbor
	assert_json .block_height 170
	assert_json .pos 1
	assert_json .txid "$(reverse_hex $PAY)"
	assert_json .block "$(reverse_hex $HASH_170)"
	assert_json '.merkle | join(",")' "$(reverse_hex $CB170)"
	# a branch deep in a real block, as Python computes it
	run -0 --separate-stderr cs-get -s "$F/g413567" --proof -f json "$(sed -n 1557p "$F/txids413567")"
	assert_equal "$(jq -c .merkle <<<"$output")" \
		"$("$PY" "$MERKLE" branch "$DATA/blocks/block_413567.raw" 1556 | jq -c .merkle)"
	assert_json .pos 1556
	assert_json .block_height 0
}

@test "round trip: each of the 262 transactions of blocks 1..255 verifies with headers alone, in every form" {
	local form
	cut -d' ' -f3 "$F/all255" >txids
	for form in hex json cbor; do
		cs-get -s "$F/full" --proof -f $form - <txids >proofs.$form
		run -0 --separate-stderr cs-verify -s "$F/light" -f json proofs.$form
		assert_equal "${#lines[@]}" 262
		assert_equal "$(jq -r '"\(.height) \(.pos) \(.txid)"' <<<"$output")" "$(cat "$F/all255")"
		assert_equal "$(jq -r .status <<<"$output" | sort -u)" main
	done
	cs-get -s "$F/full" --proof -f raw - <txids >proofs.raw
	run -0 --separate-stderr cs-verify -s "$F/light" -f json --input raw proofs.raw
	assert_equal "${#lines[@]}" 262
	# the whole chain's headers are the tip: 10236 - h + 1 confirmations
	assert_equal "$(jq -r 'select(.confirmations != 10237 - .height) | .txid' <<<"$output")" ''
}

@test "round trip: every transaction of 277647, 367891, 413567 and 866342 (segwit) verifies in a headers-only copy" {
	local n
	for n in $REAL_BLOCKS; do
		cs-get -s "$F/g$n" --proof - <"$F/txids$n" >proofs
		run -0 --separate-stderr cs-verify -s "$F/h$n" -f json proofs
		assert_equal "$(jq -r .txid <<<"$output")" "$(cat "$F/txids$n")"
		assert_equal "$(jq -r .pos <<<"$output" | tr '\n' ' ')" "$(seq 0 $(($(wc -l <"$F/txids$n") - 1)) | tr '\n' ' ')"
		assert_err_empty
	done
	assert_equal "$(wc -l <"$F/txids866342")" 4864
}

@test "several txids of one block make one proof; of two blocks, two; Python builds the same" {
	local t=$F/txids413567
	run -0 --separate-stderr cs-get -s "$F/g413567" --proof "$(sed -n 1000p "$t")" "$(sed -n 3p "$t")" "$(sed -n 1557p "$t")"
	assert_equal "${#lines[@]}" 1
	assert_output "$("$PY" "$MERKLE" proof "$DATA/blocks/block_413567.raw" 2 999 1556)"
	run -0 --separate-stderr cs-verify -s "$F/h413567" -f json <<<"$output"
	assert_equal "$(jq -r .pos <<<"$output" | tr '\n' ' ')" "2 999 1556 "
	# block 9's coinbase and block 170's payment: two proofs, in the order asked
	run -0 --separate-stderr cs-get -s "$F/full" --proof "$(awk '$1 == 9 {print $3}' "$F/all255")" $PAY
	assert_equal "${#lines[@]}" 2
	assert_line -n 1 "$(hand_proof)"
	run -0 --separate-stderr cs-verify -s "$F/light" -f json <<<"$output"
	assert_equal "$(jq -r .height <<<"$output" | tr '\n' ' ')" "9 170 "
}

@test "flipping any bit of a proof: each of the 1208 fails but one, which shows only what block 170 holds" {
	local store
	"$PY" -c 'import sys
p = bytes.fromhex(sys.argv[1])
for bit in range(8 * len(p)):
    q = bytearray(p)
    q[bit // 8] ^= 1 << (bit % 8)
    print(q.hex())' "$(hand_proof)" >flipped
	assert_equal "$(wc -l <flipped)" 1208
	# The one that holds: the flag byte 0x05 -> 0x07 matches the coinbase
	# as well, which block 170 does hold at 0. (Any other count than 2
	# changes the tree's shape here; the count that keeps it is the next
	# test's.)
	for store in full light; do
		run -65 --separate-stderr cs-verify -s "$F/$store" -f json --keep-going flipped
		assert_equal "${#stderr_lines[@]}" 1207
		assert_equal "$(jq -r '"\(.block) \(.pos) \(.txid)"' <<<"$output")" "$HASH_170 0 $CB170
$HASH_170 1 $PAY"
	done
}

@test "CVE-2012-2459: a proof of a repeated last transaction reaches the root and is refused (65), in both forms" {
	local blk=$DATA/blocks/block_413567.raw last
	# 1557 transactions: the tree of 1558 with the last repeated has the same root
	"$PY" "$MERKLE" proof "$blk" 1557 --repeat-last >forged
	run -65 --separate-stderr cs-verify -s "$F/h413567" -f json forged
	assert_output ''
	assert_err_equal "cs-verify: item 1 at byte 0: two equal siblings at level 0: a repeated hash (CVE-2012-2459) proves no position"
	# the same proof of the real last one holds
	"$PY" "$MERKLE" proof "$blk" 1556 >real
	run -0 --separate-stderr cs-verify -s "$F/h413567" -f json real
	assert_json .pos 1556
	# Electrum's form: the last one's branch, claimed at the next position
	last=$(cs-get -s "$F/g413567" --proof -f json "$(sed -n 1557p "$F/txids413567")")
	run -65 --separate-stderr cs-verify -s "$F/h413567" -f json <<<"$(jq -c '.pos = 1557' <<<"$last")"
	assert_err_equal "cs-verify: item 1 at byte 0: two equal siblings at level 0: a repeated hash (CVE-2012-2459) proves no position"
}

# mine a header whose merkle root is ROOT (display hex), at bits 207fffff
mine_with_root() {
	"$PY" -c 'import hashlib, struct, sys
root = bytes.fromhex(sys.argv[1])[::-1]
for nonce in range(1 << 20):
    h = struct.pack("<I", 1) + bytes(32) + root + struct.pack("<III", 1231006505, 0x207fffff, nonce)
    if int.from_bytes(hashlib.sha256(hashlib.sha256(h).digest()).digest(), "little") < 0x7fffff << 232:
        print(h.hex())
        break' "$1"
}

@test "a 64-byte transaction: a proof that descends through it as an inner node is refused (65); its own proof holds" {
	local out t0 tx txid root lo hi hdr
	# version 1, one input (outpoint, 2-byte script, sequence), one output
	# (value, 2-byte script), locktime: 64 bytes that are a transaction
	tx=01000000"01$(printf 'ab%.0s' {1..36})025151ffffffff01$(printf '00%.0s' {1..8})026a0000000000"
	assert_equal "${#tx}" 128
	out=$("$PY" -c 'import hashlib, sys
d = lambda b: hashlib.sha256(hashlib.sha256(b).digest()).digest()
t0, tx = bytes([7]) + bytes(31), bytes.fromhex(sys.argv[1])
txid = d(tx)
print(t0[::-1].hex(), txid[::-1].hex(), d(t0 + txid)[::-1].hex(), tx[:32][::-1].hex(), tx[32:][::-1].hex())' "$tx")
	read -r t0 txid root lo hi <<<"$out"
	hdr=$(mine_with_root "$root")
	cs-init -q -s block64 --genesis "$hdr"
	# the honest proof of the 64-byte transaction, at position 1
	run -0 --separate-stderr cs-verify -s block64 -f json <<<"{\"txid\":\"$txid\",\"block_height\":0,\"pos\":1,\"merkle\":[\"$t0\"]}"
	assert_json .pos 1
	# its second half claimed as a txid at position 3 of 4: the branch reaches the real root
	run -0 "$PY" -c 'import hashlib, sys
d = lambda b: hashlib.sha256(hashlib.sha256(b).digest()).digest()
lo, hi, t0, root = (bytes.fromhex(x)[::-1] for x in sys.argv[1:5])
assert d(t0 + d(lo + hi)) == root' "$lo" "$hi" "$t0" "$root"
	run -65 --separate-stderr cs-verify -s block64 -f json <<<"{\"txid\":\"$hi\",\"block_height\":0,\"pos\":3,\"merkle\":[\"$lo\",\"$t0\"]}"
	assert_output ''
	assert_err_equal "cs-verify: item 1 at byte 0: the node above level 0 is also a 64-byte transaction: a proof through it is refused"
	# the same as a CMerkleBlock of 4 transactions: bits 1 0 1 0 1, hashes t0, lo, hi
	run -65 --separate-stderr cs-verify -s block64 -f json <<<"${hdr}04000000"03"$(reverse_hex "$t0")$(reverse_hex "$lo")$(reverse_hex "$hi")"0115
	assert_err_equal "cs-verify: item 1 at byte 0: the node above level 0 is also a 64-byte transaction: a proof through it is refused"
}

@test "a sound proof of a block not in the store, or on a fork, exits 1; below a checkpoint too" {
	# headers 0..100 only
	cs-init -q -s short
	headers "$MAINNET" 0 100 | cs-put -q -s short -f raw
	run -1 --separate-stderr cs-verify -s short -f json <<<"$(hand_proof)"
	assert_output ''
	assert_err_equal "cs-verify: item 1: block $HASH_170 is not in the store"
	run -1 --separate-stderr cs-verify -s short -f json <<<"{\"txid\":\"$PAY\",\"block_height\":170,\"pos\":1,\"merkle\":[\"$CB170\"]}"
	assert_err_equal "cs-verify: item 1: no block at height 170 in the store"
	# a store starting at the checkpoint 2016 has no block 170
	cs-get -s "$F/light" -n 2016 -f json | cs-init -q -s cp -f json --checkpoint -
	run -1 --separate-stderr cs-verify -s cp -f json <<<"$(hand_proof)"
	assert_err_equal "cs-verify: item 1: block $HASH_170 is not in the store"
	# btcd's reorg: block 4's coinbase is on a fork once 5A is the tip
	cs-init -q -s reorg
	cs-put -q -s reorg -f blk "$REORG/blk_0_to_4.dat"
	cb4=$(cs-get -s reorg -n 4 --body -f hex | xxd -r -p >b4 && "$PY" "$MERKLE" txids b4 | head -1)
	cs-get -s reorg --proof "$cb4" >proof4
	cs-put -q -s reorg -f blk "$REORG/blk_3A.dat" "$REORG/blk_4A.dat" "$REORG/blk_5A.dat"
	run -1 --separate-stderr cs-verify -s reorg -f json proof4
	assert_output "{\"txid\":\"$cb4\",\"block\":\"$REORG_HASH_4\",\"height\":4,\"pos\":0,\"status\":\"fork\",\"confirmations\":-1}"
	assert_err_empty
}

@test "with the body stored, a proof is held to it: a changed transaction count is refused (65)" {
	local proof
	proof=$(cs-get -s "$F/g413567" --proof "$(sed -n 700p "$F/txids413567")")
	# 1557 = 0x0615 -> 1556 keeps the tree's shape along the path
	proof=${proof:0:160}1406${proof:164}
	run -0 --separate-stderr cs-verify -s "$F/h413567" -f json <<<"$proof"
	assert_json .pos 699
	run -65 --separate-stderr cs-verify -s "$F/g413567" -f json <<<"$proof"
	assert_err_equal "cs-verify: item 1 at byte 0: proof claims 1556 transactions; the stored block holds 1557"
}

@test "cs-verify: a false proof stops the input (65); --keep-going reports it and goes on" {
	local good bad
	good=$(hand_proof)
	bad=${good:0:300}00 # the last flag byte 0x00: no match
	run -65 --separate-stderr cs-verify -s "$F/light" -f json <<<"$bad"$'\n'"$good"
	assert_output ''
	assert_err_equal "cs-verify: item 1 at byte 0: proof has 1 hash left over"
	run -65 --separate-stderr cs-verify -s "$F/light" -f json --keep-going <<<"$bad"$'\n'"$good"
	assert_json .txid $PAY
	assert_err_equal "cs-verify: item 1 at byte 0: proof has 1 hash left over"
	# empty input is a success
	run -0 --separate-stderr cs-verify -s "$F/light" </dev/null
	assert_output ''
}

@test "cs-verify tells the input's form by its first byte; raw needs --input raw" {
	cs-get -s "$F/full" --proof -f raw $PAY >proof.raw
	run -65 --separate-stderr cs-verify -s "$F/light" -f json proof.raw
	assert_err_equal "cs-verify: item 1 at byte 0: byte 0x01 starts no proof: hex lines, JSON lines or CBOR (binary CMerkleBlocks need --input raw)"
	run -0 --separate-stderr cs-verify -s "$F/light" -f json --input raw proof.raw
	assert_json .pos 1
	# a JSON {"proof": HEX} line, and blank lines before it
	run -0 --separate-stderr cs-verify -s "$F/light" -f json <<<$'\n\n'"{\"proof\":\"$(hand_proof)\"}"
	assert_json .pos 1
	run -66 --separate-stderr cs-verify -s "$F/light" missing.hex
}

@test "cs-get --proof: a txid not indexed is reported (exit 1), the others are proven" {
	run -1 --separate-stderr cs-get -s "$F/full" --proof -f json "$(printf '%064d' 0)" $PAY
	assert_err_equal "cs-get: '$(printf '%064d' 0)': not found"
	assert_json .pos 1
	# headers alone index nothing
	run -1 --separate-stderr cs-get -s "$F/light" --proof $PAY
	assert_output ''
}

@test "proofs: usage errors (64)" {
	run -64 --separate-stderr cs-get -s "$F/full" --proof -f text $PAY
	assert_err_contains "cs-get: --proof prints hex, raw, json or cbor"
	run -64 --separate-stderr cs-get -s "$F/full" --proof --tx $PAY
	run -64 --separate-stderr cs-get -s "$F/full" --proof --body $PAY
	run -64 --separate-stderr cs-get -s "$F/full" --proof
	run -64 --separate-stderr cs-get -s "$F/full" --proof 1234
	run -64 --separate-stderr cs-verify -s "$F/light" --input blk
	assert_err_contains "cs-verify: bad input format 'blk': expected hex, json, cbor or raw"
	run -64 --separate-stderr cs-verify -s "$F/light" -f hex
	printf '{"hash":"%s","prev":"%s","header":"00","work":1}\n' "$(printf '%064d' 1)" "$(printf '%064d' 0)" |
		cs-init -q -s opaque --opaque -f json
	run -64 --separate-stderr cs-get -s opaque --proof $PAY
	assert_err_contains "is an opaque store: it holds no transactions to prove"
	run -64 --separate-stderr cs-verify -s opaque </dev/null
	assert_err_contains "is an opaque store: proofs are checked against Bitcoin headers"
}

@test "a checkpoint store: a proof of a block above the checkpoint holds, in both forms; one below it is not in the store" {
	has_genchain || skip "cs-genchain not built"
	local t2016 out hdr pay cb hash
	cs-init -q -s reg --network regtest
	cs-genchain -n 2016 --spacing 60 -f raw | cs-put -q -s reg -f raw
	cs-get -s reg -n 2016 -f json | cs-init -q -s cp --network regtest -f json --checkpoint -
	t2016=$("$PY" -c 'import sys; print(int.from_bytes(bytes.fromhex(sys.argv[1])[68:72], "little"))' \
		"$(cs-get -s reg -n 2016 -f hex)")
	# block 2017 of two transactions, mined here by python: its header
	# commits to sha256d(coinbase txid || payment txid)
	out=$("$PY" -c 'import hashlib, struct, sys
d = lambda b: hashlib.sha256(hashlib.sha256(b).digest()).digest()
prev, t = bytes.fromhex(sys.argv[1])[::-1], int(sys.argv[2]) + 600
a, b = d(b"coinbase"), d(b"payment")
for nonce in range(1 << 20):
    h = struct.pack("<i", 0x20000000) + prev + d(a + b) + struct.pack("<III", t, 0x207fffff, nonce)
    if int.from_bytes(d(h), "little") < 0x7fffff << 232:
        print(h.hex(), b[::-1].hex(), a[::-1].hex(), d(h)[::-1].hex())
        break' "$(cs-tip -s reg -f json | jq -r .hash)" "$t2016")
	read -r hdr pay cb hash <<<"$out"
	echo "$hdr" | cs-put -q -s cp -f hex
	run -0 --separate-stderr cs-verify -s cp -f json <<<"{\"txid\":\"$pay\",\"block_height\":2017,\"pos\":1,\"merkle\":[\"$cb\"]}"
	assert_output "{\"txid\":\"$pay\",\"block\":\"$hash\",\"height\":2017,\"pos\":1,\"status\":\"main\",\"confirmations\":1}"
	run -0 --separate-stderr cs-verify -s cp -f json <<<"${hdr}02000000"02"$(reverse_hex "$cb")$(reverse_hex "$pay")"0105
	assert_json .height 2017
	# block 5 lies below the checkpoint
	run -1 --separate-stderr cs-verify -s cp -f json <<<"{\"txid\":\"$pay\",\"block_height\":5,\"pos\":0,\"merkle\":[]}"
	assert_err_equal "cs-verify: item 1: no block at height 5 in the store"
}
