#!/usr/bin/env bats
# cs-put: add entries. Expected hashes and chainworks are the published ones
# (tests/data/expected_values.csv), never what the code printed.

load test_helper

setup_file() {
	# built here once, copied by the tests that need it; a failure shows
	# in those tests
	build_mainnet_10k || true
}

setup() {
	common_setup
}

# small_store: a mainnet store holding the real headers 0..10.
small_store() {
	cs-init -q && cs-put -q -f raw <(headers "$MAINNET" 0 10)
}

# put_bad FILE [cs-put args...]: cs-put of FILE into the small store must
# exit 65 and leave the store as it was. $stderr is left for the caller.
put_bad() {
	local file=$1
	shift
	small_store
	local before
	before=$(store_dump)
	run -65 --separate-stderr timeout 20 cs-put "$@" "$file"
	assert_output ''
	[[ $stderr == cs-put:* ]] || fail "message does not start with cs-put: $stderr"
	assert_equal "$(store_dump)" "$before"
	local saved_stderr=$stderr
	run -0 cs-tip -f json
	assert_json .height 10
	stderr=$saved_stderr
}

# bounded FILE: cs-put of FILE exits 65 within 10 s and with a peak RSS
# under 100,000 kB, however much the input declares.
bounded() {
	small_store
	run -65 --separate-stderr timeout 10 /usr/bin/time -o "$BATS_TEST_TMPDIR/rss" -f %M cs-put "$1"
	local rss
	rss=$(tail -n 1 "$BATS_TEST_TMPDIR/rss")
	[[ $rss =~ ^[0-9]+$ ]] || fail "no max RSS from /usr/bin/time: '$rss'"
	((rss < 100000)) || fail "max RSS $rss kB"
	run -0 cs-tip -f json
	assert_json .height 10
}

@test "cs-put -f raw: real mainnet 0..10236, tip and chainwork as published" {
	run -0 cs-init -q
	run -0 --separate-stderr cs-put -f raw "$MAINNET"
	assert_output ''
	assert_err_equal "cs-put: 10237 read, 10236 added, 1 duplicate, 0 rejected; tip 10236 $HASH_10236"
	run -0 cs-tip -f json
	assert_json .height 10236
	assert_json .hash "$HASH_10236"
	assert_json .chainwork "$CW_10236"
	assert_json .status main
	run -0 cs-get -n 10000 -f json
	assert_json .hash "$HASH_10000"
	assert_json .chainwork "$CW_10000"
	assert_json .height 10000
	run -0 cs-get -n 1 -n 1000 -f json
	assert_json .hash "$HASH_1
$HASH_1000"
	assert_json .chainwork "0000000000000000000000000000000000000000000000000000000200020002
000000000000000000000000000000000000000000000000000003e903e903e9"
	# retarget boundary 2015/2016 (= Electrum, bitcoinj, ckb)
	run -0 cs-get -n 2015 -n 2016 -f json
	assert_json .hash "00000000693067b0e6b440bc51450b9f3850561b07f6d3c021c54fbd6abb9763
00000000a141216a896c54f211301c436e557a8d55900637bbdce14c6c7bddef"
	assert_json .chainwork "000000000000000000000000000000000000000000000000000007e007e007e0
000000000000000000000000000000000000000000000000000007e107e107e1"
}

@test "cs-put: re-importing is idempotent" {
	init_mainnet_10k
	before=$(store_dump)
	run -0 --separate-stderr cs-put -f raw "$MAINNET"
	assert_err_equal "cs-put: 10237 read, 0 added, 10237 duplicate, 0 rejected; tip 10236 $HASH_10236"
	assert_equal "$(store_dump)" "$before"
	run -0 cs-tip -f json
	assert_json .hash "$HASH_10236"
	assert_json .chainwork "$CW_10236"
}

@test "cs-put -q: no summary" {
	run -0 cs-init -q
	run -0 --separate-stderr cs-put -q -f raw <(headers "$MAINNET" 0 100)
	assert_err_empty
	assert_output ''
}

@test "cs-put: shuffled headers connect fully, same tip" {
	"$PY" -c 'import random, sys
d = open(sys.argv[1], "rb").read()
recs = [d[i:i + 80] for i in range(0, len(d), 80)]
random.Random(20240601).shuffle(recs)
sys.stdout.buffer.write(b"".join(recs))' "$MAINNET" >shuffled.bin
	run -1 cmp -s shuffled.bin "$MAINNET"
	run -0 cs-init -q
	run -0 --separate-stderr cs-put -f raw shuffled.bin
	assert_err_equal "cs-put: 10237 read, 10236 added, 1 duplicate, 0 rejected; tip 10236 $HASH_10236"
	run -0 cs-tip -f json
	assert_json .hash "$HASH_10236"
	assert_json .chainwork "$CW_10236"
	run -0 cs-get -n 10000 -f json
	assert_json .hash "$HASH_10000"
	cs-get --range 0.. -f raw >back.bin
	cmp back.bin "$MAINNET"
}

@test "cs-put -f hex: one header a line" {
	xxd -p -c 80 "$MAINNET" >headers.hex
	run -0 cs-init -q
	run -0 --separate-stderr cs-put -f hex headers.hex
	assert_err_equal "cs-put: 10237 read, 10236 added, 1 duplicate, 0 rejected; tip 10236 $HASH_10236"
	run -0 cs-tip -f json
	assert_json .hash "$HASH_10236"
	assert_json .chainwork "$CW_10236"
}

@test "cs-put -f hex: upper-case hex is read" {
	headers "$MAINNET" 0 20 | xxd -p -c 80 | tr a-f A-F >headers.hex
	run -0 cs-init -q
	run -0 cs-put -q -f hex headers.hex
	run -0 cs-tip -f json
	assert_json .height 20
}

@test "cs-put -f json: JSON Lines printed by cs-get of another store" {
	init_mainnet_10k "$BATS_TEST_TMPDIR/src"
	cs-get -s "$BATS_TEST_TMPDIR/src" --range 0.. -f json >entries.jsonl
	[[ $(wc -l <entries.jsonl) -eq 10237 ]]
	run -0 cs-init -q
	run -0 --separate-stderr cs-put -f json entries.jsonl
	assert_err_equal "cs-put: 10237 read, 10236 added, 1 duplicate, 0 rejected; tip 10236 $HASH_10236"
	run -0 cs-tip -f json
	assert_json .hash "$HASH_10236"
	assert_json .chainwork "$CW_10236"
}

@test "cs-put -f json: objects with only a header" {
	headers "$MAINNET" 0 300 | "$PY" -c 'import json, sys
d = sys.stdin.buffer.read()
for i in range(0, len(d), 80):
    print(json.dumps({"header": d[i:i + 80].hex()}))' >entries.jsonl
	run -0 cs-init -q
	run -0 cs-put -q -f json entries.jsonl
	run -0 cs-tip -f json
	assert_json .height 300
	assert_json .hash "$(display_hash_of_hex "$(header_hex "$MAINNET" 300)")"
}

@test "cs-put (cbor): byte strings of 80 bytes are headers" {
	headers "$MAINNET" 0 500 | raw2cbor >headers.cbor
	run -0 cs-init -q
	run -0 --separate-stderr cs-put headers.cbor
	assert_err_equal "cs-put: 501 read, 500 added, 1 duplicate, 0 rejected; tip 500 $(display_hash_of_hex "$(header_hex "$MAINNET" 500)")"
	# stdin is read when no FILE, and with "-"
	run -0 cs-init -q -s other
	run -0 cs-put -q -s other <headers.cbor
	run -0 cs-put -q -s other - <headers.cbor
	assert_equal "$(store_dump other)" "$(store_dump)"
}

@test "cs-put (cbor): entry maps with hash, height, chainwork and status that agree" {
	headers "$MAINNET" 0 20 | "$PY" -c 'import hashlib, sys, cbor2
d = sys.stdin.buffer.read()
out = sys.stdout.buffer
for i in range(0, len(d), 80):
    h = d[i:i + 80]
    out.write(cbor2.dumps({"hash": hashlib.sha256(hashlib.sha256(h).digest()).digest(),
        "header": h, "height": i // 80,
        "chainwork": cbor2.CBORTag(2, (0x100010001 * (i // 80 + 1)).to_bytes(5, "big")),
        "status": "main"}))' >entries.cbor
	run -0 cs-init -q
	run -0 cs-put -q entries.cbor
	run -0 cs-tip -f json
	assert_json .height 20
}

@test "cs-put: a status of fork on what the store puts on its main chain is accepted (cbor and json; cs(7) "Formats")" {
	headers "$MAINNET" 0 2 | "$PY" -c 'import sys, cbor2
d = sys.stdin.buffer.read()
sys.stdout.buffer.write(b"".join(cbor2.dumps({"header": d[i:i + 80], "status": "fork"}) for i in (80, 160)))' >fork.cbor
	run -0 cs-init -q
	run -0 --separate-stderr cs-put -q fork.cbor
	assert_err_empty
	run -0 cs-tip -f json
	assert_json '[.height, .status] | join(" ")' "2 main"
	rm -rf "$CS_STORE"
	printf '{"header":"%s","status":"fork"}\n' "$(header_hex "$MAINNET" 1)" "$(header_hex "$MAINNET" 2)" >fork.json
	run -0 cs-init -q
	run -0 --separate-stderr cs-put -q -f json fork.json
	assert_err_empty
	run -0 cs-tip -f json
	assert_json '[.height, .status] | join(" ")' "2 main"
}

@test "cs-put -f blk: btcd blocks 1..255 give tip 255" {
	run -0 cs-init -q
	run -0 cs-put -q -f blk "$BTCD_BLOCKS"
	run -0 cs-tip -f json
	assert_json .height 255
	# the btcd blocks are the real mainnet blocks 1..255
	assert_json .hash "$(display_hash_of_hex "$(header_hex "$MAINNET" 255)")"
	assert_json .header "$(header_hex "$MAINNET" 255)"
	cs-get --range 0.. -f raw >back.bin
	headers "$MAINNET" 0 255 >expect.bin
	cmp back.bin expect.bin
}

@test "cs-put -f blk: btcd reorg 0..4, then 3A 4A 5A: tip 5A, 4 is a fork" {
	run -0 cs-init -q
	run -0 cs-put -q -f blk "$REORG/blk_0_to_4.dat"
	run -0 cs-tip -f json
	assert_json .hash "$REORG_HASH_4"
	assert_json .height 4
	run -0 cs-put -q -f blk "$REORG/blk_3A.dat"
	run -0 cs-put -q -f blk "$REORG/blk_4A.dat"
	# 4A has the same work as 4: the tip held first stays
	run -0 cs-tip -f json
	assert_json .hash "$REORG_HASH_4"
	run -0 cs-get -n 3 -f json
	assert_json .hash "$REORG_HASH_3"
	run -0 cs-put -q -f blk "$REORG/blk_5A.dat"
	run -0 cs-tip -f json
	assert_json .hash "$REORG_HASH_5A"
	assert_json .height 5
	run -0 cs-get -n 3 -n 4 -f json
	assert_json .hash "$REORG_HASH_3A
$REORG_HASH_4A"
	# the old branch stays, as fork
	run -0 cs-get -f json "$REORG_HASH_3" "$REORG_HASH_4"
	assert_json .status "fork
fork"
	assert_json .height "3
4"
	run -0 cs-tip --all -f json
	assert_equal "${#lines[@]}" 2
	output=${lines[0]} assert_json '[.hash, .status, .branchlen] | join(" ")' "$REORG_HASH_5A active 0"
	output=${lines[1]} assert_json '[.hash, .status, .branchlen, .height] | join(" ")' "$REORG_HASH_4 valid-fork 2 4"
}

@test "cs-put -f blk: the reorg files in one input, in any order" {
	run -0 cs-init -q
	run -0 cs-put -q -f blk "$REORG/blk_5A.dat" "$REORG/blk_4A.dat" "$REORG/blk_3A.dat" "$REORG/blk_0_to_4.dat"
	run -0 cs-tip -f json
	assert_json .hash "$REORG_HASH_5A"
	run -0 cs-get -f json "$REORG_HASH_4"
	assert_json .status fork
}

@test "cs-put: testnet3 0..35141 into a testnet3 store" {
	run -0 cs-init -q --network testnet3
	run -0 --separate-stderr cs-put -f raw "$TESTNET3"
	assert_err_equal "cs-put: 35142 read, 35141 added, 1 duplicate, 0 rejected; tip 35141 $TESTNET3_HASH_35141"
	run -0 cs-tip -f json
	assert_json .height 35141
	assert_json .hash "$TESTNET3_HASH_35141"
	assert_json .chainwork "$TESTNET3_CW_35141"
	run -0 cs-get -n 20000 -n 34272 -f json
	assert_json .hash "0000000008ca11392fa91c4786e59823a002f4868bdb0c1385b12a2844cbc11f
0000000000a206c0ee4c1e42badc056f97692ee3909ffd5416e3362b2c1ea465"
	assert_json .chainwork "000000000000000000000000000000000000000000000000000173a8a888dd37
00000000000000000000000000000000000000000000000000069e6f31424f3f"
}

@test "cs-put: signet 0..2015 into a signet store" {
	run -0 cs-init -q --network signet
	run -0 cs-put -q -f raw "$SIGNET"
	run -0 cs-tip -f json
	assert_json .height 2015
	assert_json .hash "$SIGNET_HASH_2015"
	assert_json .chainwork "$SIGNET_CW_2015"
	run -0 cs-get -n 1 -f json
	assert_json .hash 00000086d6b2636cb2a392d45edc4ec544a10024d30141c9adf4bfd9de533b53
	assert_json .chainwork 000000000000000000000000000000000000000000000000000000000093a828
}

@test "cs-put: mainnet headers into a testnet3 store: 65, named once as mainnet's, store unchanged" {
	run -0 cs-init -q --network testnet3
	before=$(store_dump)
	run -65 --separate-stderr cs-put -f raw <(headers "$MAINNET" 0 10)
	# its first header is the mainnet genesis (published hash), not an
	# unknown parent for each of the 11
	[[ $(display_hash_of_hex "$(header_hex "$MAINNET" 0)") == "$GENESIS_MAINNET" ]]
	assert_equal "${stderr%%$'\n'*}" \
		"cs-put: '/dev/fd/63': these headers are not from this store's network (testnet3): they are mainnet's"
	[[ $stderr != *'unknown parent'* ]] || fail "unknown parent lines: $stderr"
	assert_equal "$(store_dump)" "$before"
	run -0 cs-tip -f json
	assert_json .hash "$GENESIS_TESTNET3"
}

@test "cs-put: testnet3's 35,142 headers into a mainnet store: one line names both networks, not 35,142" {
	run -0 cs-init -q
	before=$(store_dump)
	run -65 --separate-stderr cs-put -f raw "$TESTNET3"
	assert_err_equal "cs-put: '$TESTNET3': these headers are not from this store's network (mainnet): they are testnet3's
cs-put: 0 read, 0 added, 0 duplicate, 0 rejected; tip 0 $GENESIS_MAINNET"
	assert_equal "$(store_dump)" "$before"
	# from standard input the message names no file; -q leaves it alone
	run -65 --separate-stderr cs-put -q -f raw <"$TESTNET3"
	assert_err_equal "cs-put: these headers are not from this store's network (mainnet): they are testnet3's"
}

@test "cs-put: signet headers 1..2015 (they chain from signet's genesis) into a testnet3 store: named once, 65" {
	run -0 cs-init -q --network testnet3
	# header 1's parent is the published signet genesis
	run -0 "$PY" -c 'import sys; print(open(sys.argv[1], "rb").read(160)[84:116][::-1].hex())' "$SIGNET"
	assert_output "$GENESIS_SIGNET"
	headers "$SIGNET" 1 2015 >signet.bin
	run -65 --separate-stderr cs-put -q -f raw signet.bin
	assert_err_equal "cs-put: 'signet.bin': these headers are not from this store's network (testnet3): they are signet's"
	run -0 cs-tip -f json
	assert_json .height 0
}

@test "cs-put --keep-going: another network's input is skipped whole, the next input is imported" {
	run -0 cs-init -q --network testnet3
	headers "$MAINNET" 0 100 >mainnet.bin
	headers "$TESTNET3" 1 1000 >testnet3.bin
	run -65 --separate-stderr cs-put --keep-going -f raw mainnet.bin testnet3.bin
	assert_err_equal "cs-put: 'mainnet.bin': these headers are not from this store's network (testnet3): they are mainnet's
cs-put: 1000 read, 1000 added, 0 duplicate, 0 rejected; tip 1000 $(display_hash_of_hex "$(header_hex "$TESTNET3" 1000)")"
}

@test "cs-put: a store whose custom genesis is testnet3's takes testnet3's headers (its own network)" {
	run -0 cs-init -q --genesis "$(header_hex "$TESTNET3" 0)"
	run -0 --separate-stderr cs-put -f raw <(headers "$TESTNET3" 0 2016)
	assert_err_equal "cs-put: 2017 read, 2016 added, 1 duplicate, 0 rejected; tip 2016 $(display_hash_of_hex "$(header_hex "$TESTNET3" 2016)")"
}

@test "cs-put: 500 entries with unknown parents: the first 3 by input order, then one line counts the rest; -v names all" {
	run -0 cs-init -q
	# testnet3 100..599: no genesis to tell their network by
	headers "$TESTNET3" 100 599 >t.bin
	run -65 --separate-stderr cs-put -f raw t.bin
	assert_err_equal "cs-put: 't.bin': item 1 at byte 0: unknown parent $(display_hash_of_hex "$(header_hex "$TESTNET3" 99)")
cs-put: 't.bin': item 2 at byte 80: unknown parent $(display_hash_of_hex "$(header_hex "$TESTNET3" 100)")
cs-put: 't.bin': item 3 at byte 160: unknown parent $(display_hash_of_hex "$(header_hex "$TESTNET3" 101)")
cs-put: ... and 497 more entries with unknown parents (-v names every one)
cs-put: 500 read, 0 added, 0 duplicate, 500 rejected; tip 0 $GENESIS_MAINNET"
	run -65 --separate-stderr cs-put -v -f raw t.bin
	assert_equal "$(grep -c "^cs-put: 't.bin': item [0-9]* at byte [0-9]*: unknown parent " <<<"$stderr")" 500
	[[ $stderr != *'more entr'* ]] || fail "-v counted instead of naming: $stderr"
	# four: three named, and "1 more entry"
	headers "$TESTNET3" 100 103 >four.bin
	run -65 --separate-stderr cs-put -q -f raw four.bin
	assert_equal "${stderr_lines[3]}" "cs-put: ... and 1 more entry with an unknown parent (-v names every one)"
	assert_equal "${#stderr_lines[@]}" 4
}

@test "cs-put: bad proof of work: message names item and byte, earlier records stay (raw)" {
	run -0 cs-init -q
	{ headers "$MAINNET" 1 10; headers "$MAINNET" 11 11 | flip_nonce; headers "$MAINNET" 11 20; } >input.bin
	run -65 --separate-stderr cs-put -f raw input.bin
	assert_err_contains "cs-put: 'input.bin': item 11 at byte 800: bad proof of work"
	run -0 cs-tip -f json
	assert_json .height 10
	assert_json .hash "$(display_hash_of_hex "$(header_hex "$MAINNET" 10)")"
}

@test "cs-put: bad proof of work on stdin: cs-put: item 11 at byte 820 (cbor)" {
	run -0 cs-init -q
	{ headers "$MAINNET" 1 10; headers "$MAINNET" 11 11 | flip_nonce; } | raw2cbor >input.cbor
	run -65 --separate-stderr cs-put <input.cbor
	assert_err_contains "cs-put: item 11 at byte 820: bad proof of work"
	run -0 cs-tip -f json
	assert_json .height 10
}

@test "cs-put --keep-going: skips the bad record, keeps the rest, exits 65" {
	run -0 cs-init -q
	{ headers "$MAINNET" 1 10; headers "$MAINNET" 11 11 | flip_nonce; headers "$MAINNET" 11 20; } >input.bin
	run -65 --separate-stderr cs-put --keep-going -f raw input.bin
	assert_err_contains "item 11 at byte 800: bad proof of work"
	assert_err_contains "1 rejected"
	run -0 cs-tip -f json
	assert_json .height 20
	assert_json .hash "$(display_hash_of_hex "$(header_hex "$MAINNET" 20)")"
}

@test "cs-put --keep-going: reports each bad record" {
	run -0 cs-init -q
	{ headers "$MAINNET" 1 5; headers "$MAINNET" 6 6 | flip_nonce; headers "$MAINNET" 6 8;
	  headers "$MAINNET" 9 9 | flip_nonce; headers "$MAINNET" 9 12; } | raw2cbor >input.cbor
	run -65 --separate-stderr cs-put --keep-going <input.cbor
	assert_err_contains "item 6 at byte 410: bad proof of work"
	assert_err_contains "item 10 at byte 738: bad proof of work"
	run -0 cs-tip -f json
	assert_json .height 12
}

@test "bad input: truncated CBOR (a byte string cut short)" {
	{ headers "$MAINNET" 0 0 | raw2cbor; printf '\x58\x50'; headers "$MAINNET" 11 11 | head -c 40; } >bad.cbor
	put_bad bad.cbor
	assert_err_contains "item 2 at byte 82"
}

@test "bad input: CBOR array header declaring 2^27 elements, rejected in bounded memory" {
	printf '\x9a\x08\x00\x00\x00' >bad.cbor
	put_bad bad.cbor
	assert_err_contains "item 1 at byte 0"
	bounded bad.cbor
}

@test "bad input: CBOR array of 2^27 elements followed by many bytes, bounded memory" {
	{ printf '\x9a\x08\x00\x00\x00'; head -c 2000000 /dev/zero; } >bad.cbor
	bounded bad.cbor
}

@test "bad input: a byte string declaring 2^64-8 bytes, bounded memory" {
	{ printf '\x5b\xff\xff\xff\xff\xff\xff\xff\xf8'; headers "$MAINNET" 11 11; } >bad.cbor
	put_bad bad.cbor
	assert_err_contains "item 1 at byte 0"
	bounded bad.cbor
}

@test "bad input: a byte string declaring 4 GiB with 3 MB present" {
	{ printf '\x5a\xff\xff\xff\xff'; head -c 3000000 /dev/zero; } >bad.cbor
	bounded bad.cbor
}

@test "bad input: an indefinite-length map that never ends, bounded memory" {
	"$PY" -c 'import sys
sys.stdout.buffer.write(b"\xbf" + b"\x61x\x00" * 300000)' >bad.cbor
	put_bad bad.cbor
	assert_err_contains "item 1 at byte 0"
	bounded bad.cbor
}

@test "bad input: an indefinite-length byte string of many chunks, bounded memory" {
	"$PY" -c 'import sys
sys.stdout.buffer.write(b"\x5f" + (b"\x59\xff\xff" + b"\0" * 0xffff) * 100 + b"\xff")' >bad.cbor
	bounded bad.cbor
}

@test "bad input: maps nested 100000 deep" {
	"$PY" -c 'import sys
sys.stdout.buffer.write(b"\xa1\x61x" * 100000 + b"\x00")' >bad.cbor
	put_bad bad.cbor
	assert_err_contains "item 1 at byte 0"
}

@test "bad input: arrays nested 100000 deep" {
	"$PY" -c 'import sys
sys.stdout.buffer.write(b"\x81" * 100000 + b"\x00")' >bad.cbor
	put_bad bad.cbor
}

@test "bad input: an entry whose header is nested too deep" {
	"$PY" -c 'import sys, cbor2
h = open(sys.argv[1], "rb").read()[880:960]
v = h
for _ in range(50):
    v = {"header": v}
sys.stdout.buffer.write(cbor2.dumps(v))' "$MAINNET" >bad.cbor
	put_bad bad.cbor
}

@test "bad input: a header of 79 bytes (cbor)" {
	headers "$MAINNET" 11 11 | head -c 79 | "$PY" -c 'import sys, cbor2
sys.stdout.buffer.write(cbor2.dumps(sys.stdin.buffer.read()))' >bad.cbor
	put_bad bad.cbor
	assert_err_contains "item 1 at byte 0"
}

@test "bad input: a header with a flipped nonce byte (cbor)" {
	headers "$MAINNET" 11 11 | flip_nonce | raw2cbor >bad.cbor
	put_bad bad.cbor
	assert_err_contains "cs-put: 'bad.cbor': item 1 at byte 0: bad proof of work"
}

@test "bad input: CBOR items that are neither entries nor byte strings" {
	printf '\x05' >int.cbor
	put_bad int.cbor
	assert_err_contains "item 1 at byte 0"
	printf '\x63abc' >text.cbor
	rm -rf "$CS_STORE"
	put_bad text.cbor
	printf '\xa0' >empty-map.cbor
	rm -rf "$CS_STORE"
	put_bad empty-map.cbor
}

@test "bad input: an entry map whose hash does not match its header" {
	"$PY" -c 'import sys, cbor2
d = open(sys.argv[1], "rb").read()
h, other = d[880:960], d[960:1040]
import hashlib
wrong = hashlib.sha256(hashlib.sha256(other).digest()).digest()
sys.stdout.buffer.write(cbor2.dumps({"hash": wrong, "header": h}))' "$MAINNET" >bad.cbor
	put_bad bad.cbor
	assert_err_contains "item 1 at byte 0"
}

@test "bad input: an entry map whose hash is given in display order" {
	"$PY" -c 'import sys, cbor2, hashlib
h = open(sys.argv[1], "rb").read()[880:960]
sys.stdout.buffer.write(cbor2.dumps({"hash": hashlib.sha256(hashlib.sha256(h).digest()).digest()[::-1], "header": h}))' "$MAINNET" >bad.cbor
	put_bad bad.cbor
}

@test "bad input: an entry map whose height is wrong" {
	"$PY" -c 'import sys, cbor2
h = open(sys.argv[1], "rb").read()[880:960]
sys.stdout.buffer.write(cbor2.dumps({"header": h, "height": 12}))' "$MAINNET" >bad.cbor
	put_bad bad.cbor
	assert_err_contains "item 1 at byte 0"
}

@test "bad input: an entry map whose chainwork is wrong" {
	"$PY" -c 'import sys, cbor2
h = open(sys.argv[1], "rb").read()[880:960]
sys.stdout.buffer.write(cbor2.dumps({"header": h, "chainwork": cbor2.CBORTag(2, (0x100010001 * 13).to_bytes(5, "big"))}))' "$MAINNET" >bad.cbor
	put_bad bad.cbor
}

@test "bad input: an entry map whose header is 81 bytes" {
	"$PY" -c 'import sys, cbor2
h = open(sys.argv[1], "rb").read()[880:960]
sys.stdout.buffer.write(cbor2.dumps({"header": h + b"\0"}))' "$MAINNET" >bad.cbor
	put_bad bad.cbor
}

@test "bad input: raw input of 81 bytes (a trailing partial header)" {
	{ headers "$MAINNET" 0 0; printf '\x01'; } >bad.bin
	put_bad bad.bin -f raw
	assert_err_contains "item 2 at byte 80"
}

@test "bad input: raw input of 79 bytes" {
	headers "$MAINNET" 11 11 | head -c 79 >bad.bin
	put_bad bad.bin -f raw
	assert_err_contains "item 1 at byte 0"
}

@test "bad input: a hex line with a non-hex character" {
	h=$(header_hex "$MAINNET" 11)
	echo "${h:0:40}g${h:41}" >bad.hex
	put_bad bad.hex -f hex
	assert_err_contains "item 1 at byte 0"
}

@test "bad input: a hex line of 79 bytes, after a good line" {
	{ header_hex "$MAINNET" 0; h=$(header_hex "$MAINNET" 11); echo "${h:0:158}"; } >bad.hex
	put_bad bad.hex -f hex
	assert_err_contains "item 2 at byte 161"
}

@test "bad input: a JSON line that is not JSON" {
	{ jq -cn --arg h "$(header_hex "$MAINNET" 0)" '{header: $h}'; echo '{"header": "0100'; } >bad.jsonl
	put_bad bad.jsonl -f json
	assert_err_contains "item 2 at byte"
}

@test "bad input: a JSON entry with a bad hash" {
	jq -cn --arg h "$(header_hex "$MAINNET" 11)" --arg x "$HASH_1000" '{header: $h, hash: $x}' >bad.jsonl
	put_bad bad.jsonl -f json
	assert_err_contains "item 1 at byte 0"
}

# first_block: the first framed block of btcd_blocks_1-255.dat (mainnet
# block 1), framing included, to stdout.
first_block() {
	"$PY" -c 'import sys, struct
d = open(sys.argv[1], "rb").read()
n = struct.unpack("<I", d[4:8])[0]
sys.stdout.buffer.write(d[:8 + n])' "$BTCD_BLOCKS"
}

@test "cs-put -f blk: block 1 alone is accepted (the good case of the tests below)" {
	first_block >good.dat
	run -0 cs-init -q
	run -0 cs-put -q -f blk good.dat
	run -0 cs-tip -f json
	assert_json .hash "$HASH_1"
}

@test "bad input: blk framing with a wrong magic" {
	{ printf '\x0b\x11\x09\x07'; first_block | tail -c +5; } >bad.dat
	run -0 cs-init -q
	run -65 --separate-stderr cs-put -f blk bad.dat
	assert_err_contains "item 1 at byte 0"
	run -0 cs-tip -f json
	assert_json .height 0
}

@test "bad input: blk framing whose length runs past the end" {
	first_block | head -c 200 >bad.dat
	run -0 cs-init -q
	run -65 cs-put -f blk bad.dat
	run -0 cs-tip -f json
	assert_json .height 0
}

@test "bad input: a block whose body does not match its merkle root (header and all rejected)" {
	first_block | "$PY" -c 'import sys
d = bytearray(sys.stdin.buffer.read())
d[-5] ^= 0xff
sys.stdout.buffer.write(d)' >bad.dat
	run -0 cs-init -q
	run -65 --separate-stderr cs-put -f blk bad.dat
	assert_err_contains "item 1 at byte 0"
	run -0 cs-tip -f json
	assert_json .height 0
	run -1 cs-get -f json "$HASH_1"
}

# full_block_store HEIGHT: a custom store whose genesis is the header of the
# shipped mainnet block HEIGHT, and that block as one CBOR byte string.
full_block_store() {
	local raw=$DATA/blocks/block_$1.raw
	run -0 cs-init -q --genesis "$(head -c 80 "$raw" | xxd -p | tr -d '\n')"
	"$PY" -c 'import sys, cbor2; sys.stdout.buffer.write(cbor2.dumps(open(sys.argv[1], "rb").read()))' \
		"$raw" >block.cbor
}

@test "cs-put: real full blocks: merkle roots check, every transaction indexed (published counts)" {
	# transaction counts as tests/data/blocks/README.md gives them
	for b in 277647:213 367891:420 413567:1557 866342:4864; do
		rm -rf "$CS_STORE"
		full_block_store "${b%%:*}"
		run -0 --separate-stderr cs-put block.cbor
		assert_err_contains "1 read, 0 added, 1 bodies, 0 duplicate, 0 rejected"
		run -0 cs-stat -f json
		assert_json .bodies 1
		assert_json .transactions "${b##*:}"
		run -0 cs-check
	done
}

@test "bad input: a real segwit block with one byte of its last transaction changed: 65, nothing kept" {
	full_block_store 866342
	"$PY" -c 'import sys
d = bytearray(open("block.cbor", "rb").read())
d[-10] ^= 0x01
open("bad.cbor", "wb").write(d)'
	run -65 --separate-stderr cs-put bad.cbor
	assert_err_contains "item 1 at byte 0"
	assert_err_contains "merkle"
	run -1 --separate-stderr cs-get --body -f json -n 0
	assert_err_equal "cs-get: '$(cs-tip -f json | jq -r .hash)': no body"
	run -0 cs-stat -f json
	assert_json .transactions 0
}

@test "bad input: an orphan (unknown parent) at the end of the input" {
	h19=$(display_hash_of_hex "$(header_hex "$MAINNET" 19)")
	headers "$MAINNET" 20 20 >orphan.bin
	put_bad orphan.bin -f raw
	assert_err_contains "item 1 at byte 0: unknown parent $h19"
}

@test "cs-put: orphans are reported one a line, the connected rest is kept" {
	run -0 cs-init -q
	{ headers "$MAINNET" 1 10; headers "$MAINNET" 15 16; } >input.bin
	run -65 --separate-stderr cs-put -f raw input.bin
	assert_err_contains "item 11 at byte 800: unknown parent $(display_hash_of_hex "$(header_hex "$MAINNET" 14)")"
	assert_err_contains "item 12 at byte 880: unknown parent $(display_hash_of_hex "$(header_hex "$MAINNET" 15)")"
	run -0 cs-tip -f json
	assert_json .height 10
}

@test "cs-put: missing FILE: 66" {
	run -0 cs-init -q
	run -66 --separate-stderr cs-put -f raw "$BATS_TEST_TMPDIR/no-such-file"
	assert_err_contains "'$BATS_TEST_TMPDIR/no-such-file'"
	assert_output ''
}

@test "cs-put: missing store: 66" {
	run -66 --separate-stderr cs-put -f raw "$MAINNET"
	assert_err_contains "$CS_STORE"
	[[ ! -e $CS_STORE/db ]]
}

@test "cs-put: empty input is a success" {
	run -0 cs-init -q
	run -0 cs-put </dev/null
	run -0 cs-put -f raw </dev/null
	run -0 cs-put -f hex </dev/null
	run -0 cs-put -f json </dev/null
	run -0 cs-put -f blk </dev/null
	: >empty
	run -0 cs-put empty
	run -0 cs-tip -f json
	assert_json .height 0
}

@test "cs-put: several FILEs are one input (5001..10236 before 0..5000)" {
	headers "$MAINNET" 0 5000 >a.bin
	headers "$MAINNET" 5001 10236 >b.bin
	run -0 cs-init -q
	run -0 --separate-stderr cs-put -f raw b.bin a.bin
	assert_err_equal "cs-put: 10237 read, 10236 added, 1 duplicate, 0 rejected; tip 10236 $HASH_10236"
	run -0 cs-tip -f json
	assert_json .hash "$HASH_10236"
	assert_json .chainwork "$CW_10236"
}

@test "cs-put: a regtest chain from cs-genchain, also shuffled and with a fork" {
	has_genchain || skip "tests/tools/bin/cs-genchain not built"
	run -0 cs-init -q --network regtest
	run -0 bash -c 'cs-genchain -n 1000 | cs-put -q -f raw'
	run -0 cs-tip -f json
	assert_json .height 1000
	tip=$(jq -r .hash <<<"$output")
	run -0 cs-init -q --network regtest -s shuffled
	run -0 bash -c 'cs-genchain -n 1000 --shuffle | cs-put -q -s shuffled -f raw'
	run -0 cs-tip -s shuffled -f json
	assert_json .hash "$tip"
	# a shorter branch off 600 leaves the tip; a longer one off 900 takes it
	run -0 cs-init -q --network regtest -s forked
	run -0 bash -c 'cs-genchain -n 1000 --fork-at 600 --fork-len 50 --fork-at 900 --fork-len 150 -f hex | cs-put -q -s forked -f hex'
	run -0 cs-tip -s forked --all -f json
	assert_equal "${#lines[@]}" 3
	output=${lines[0]} assert_json '[.height, .status, .branchlen] | join(" ")' "1050 active 0"
	output=${lines[1]} assert_json '[.height, .status, .branchlen, .hash] | join(" ")' "1000 valid-headers 100 $tip"
	output=${lines[2]} assert_json '[.height, .status, .branchlen] | join(" ")' "650 valid-headers 50"
}

@test "cs-put -h, -V, unknown option, bad format" {
	run -0 --separate-stderr cs-put -h
	assert_output --regexp '^usage: cs-put '
	assert_err_empty
	run -0 --separate-stderr cs-put -V
	assert_output --regexp '^cs-put [0-9]+\.[0-9]+\.[0-9]+$'
	run -64 --separate-stderr cs-put --bogus
	assert_output ''
	assert_err_contains 'usage: cs-put'
	run -0 cs-init -q
	run -64 cs-put -f text </dev/null
	run -64 cs-put -f nonsense </dev/null
}

@test "cs-put: bodies for stored headers that have none are added" {
	init_mainnet_10k
	run -1 cs-get --body -n 170 -f hex
	run -0 cs-put -q -f blk "$BTCD_BLOCKS"
	run -0 cs-get --body -n 170 -f hex
	[[ ${#output} -gt 160 ]]
	assert_equal "${output:0:160}" "$(header_hex "$MAINNET" 170)"
	run -0 cs-tip -f json
	assert_json .hash "$HASH_10236"
}

@test "cs-put: kill -9 during an import leaves a store that opens, with a consistent chain" {
	run -0 cs-init -q --network testnet3
	for delay in 0.02 0.05 0.1 0.15 0.2; do
		cs-put -q -f raw "$TESTNET3" 3>&- &
		importer=$!
		sleep "$delay"
		kill -9 "$importer" 2>/dev/null || true
		wait "$importer" || true
		run -0 cs-tip -f json
		height=$(jq -r .height <<<"$output")
		assert_json .hash "$(display_hash_of_hex "$(header_hex "$TESTNET3" "$height")")"
		cs-get --range 0.. -f raw >got.bin
		headers "$TESTNET3" 0 "$height" >want.bin
		cmp got.bin want.bin
	done
	# and the import completes on a last run
	run -0 cs-put -q -f raw "$TESTNET3"
	run -0 cs-tip -f json
	assert_json .hash "$TESTNET3_HASH_35141"
	assert_json .chainwork "$TESTNET3_CW_35141"
}

@test "cs-put: a header, then its block in the same batch: the entry keeps the later value, with its body" {
	# entry values are put into the write batch sorted by hash at commit
	# (libcommon/chain.c); an entry given twice must keep its last one
	cs-init -q
	"$PY" -c 'import struct, sys
headers = open(sys.argv[1], "rb").read()
blk = open(sys.argv[2], "rb").read()
for h in range(1, 256):
    print(headers[80 * h:80 * h + 80].hex())
i = 0
while i < len(blk):
    size = struct.unpack("<I", blk[i + 4:i + 8])[0]
    print(blk[i + 8:i + 8 + size].hex()); i += 8 + size' "$MAINNET" "$BTCD_BLOCKS" >in.hex
	run -0 --separate-stderr cs-put -f hex in.hex
	assert_err_equal "cs-put: 510 read, 255 added, 255 bodies, 0 duplicate, 0 rejected; tip 255 $(hash_at 255)"
	run -0 cs-check
	run -0 cs-invariants
	run -0 cs-stat -f json
	assert_json .bodies 255
	run -0 cs-get --body -n 170 -f hex
	assert_equal "${output:0:160}" "$(header_hex "$MAINNET" 170)"
	[ "${#output}" -gt 160 ]
}

# peak_rss_kb CMD...: runs CMD (its status in $rss_status) and prints its
# peak resident set in kB, as getrusage reports it for the child.
peak_rss_kb() {
	"$PY" -c 'import resource, subprocess, sys
st = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=open("stderr.txt", "wb")).returncode
print(st, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)' "$@"
}

# Entries whose parent never comes are held, everything they hold counted
# (struct, header, allocator), up to 24 MiB, their bodies apart: 300,000
# of them stay within the import's ~75 MB (cs-put(1)); before, 300,000
# reversed regtest headers took 142 MB and a million 474 MB, and opaque
# entries with empty headers counted nothing at all.
@test "cs-put: 300,000 parentless entries: held up to 24 MiB, then 65; memory stays within cs-put's 75 MB" {
	has_genchain || skip "cs-genchain not built"
	local sanitized=false st rss
	grep -q __asan_init "$REPO/bin/cs-put" && sanitized=true
	cs-genchain -n 300001 --spacing 60 -f raw >chain.bin
	"$PY" -c 'import sys
d = open(sys.argv[1], "rb").read()
n = len(d) // 80
sys.stdout.buffer.write(b"".join(d[i * 80:(i + 1) * 80] for i in range(n - 1, 0, -1)))' chain.bin >reversed.bin
	cs-init -q -s reg --network regtest
	read -r st rss < <(peak_rss_kb cs-put -s reg -f raw reversed.bin)
	assert_equal "$st" 65
	grep -qE "^cs-put: 'reversed.bin': item [0-9]+ at byte [0-9]+: too many entries waiting for their parent \(24 MiB of entries, 256 MiB of bodies held\); is the input in order\?$" stderr.txt ||
		fail "$(head -3 stderr.txt)"
	$sanitized || ((rss < 75000)) || fail "peak RSS $rss kB"
	run -0 cs-tip -s reg -f json
	assert_json .height 0
	# an opaque chain's entries with empty headers are counted too
	"$PY" -c 'import os, sys, cbor2
out = sys.stdout.buffer
for i in range(300000):
    out.write(cbor2.dumps({"hash": os.urandom(32), "prev": os.urandom(32), "header": b""}))' >opaque.cbor
	"$PY" -c 'import sys, cbor2; sys.stdout.buffer.write(cbor2.dumps({"hash": bytes(32), "prev": bytes(32), "header": b""}))' |
		cs-init -q -s opq --opaque
	read -r st rss < <(peak_rss_kb cs-put -s opq opaque.cbor)
	assert_equal "$st" 65
	grep -q "too many entries waiting for their parent" stderr.txt || fail "$(head -3 stderr.txt)"
	$sanitized || ((rss < 75000)) || fail "peak RSS $rss kB"
}

# With less address space than LevelDB asks for, its C++ operator new throws
# std::bad_alloc (or its thread cannot start), which aborted the command
# (134, a message naming no command). Now: exit 70, "cs-put: out of
# memory", and the store as the last commit left it.
@test "out of memory (ulimit -v): cs-put and cs-backup --export exit 70 with a message, never 134; the store stays sound" {
	grep -q __asan_init "$REPO/bin/cs-put" &&
		skip "sanitizer build: AddressSanitizer reserves more address space than ulimit -v leaves"
	local v st hit=0
	cs-init -q -s full
	cs-put -q -s full -f raw "$MAINNET"
	for v in 8000 10000 12000 14000 16000 18000 20000 22000 24000 26000 28000 30000; do
		rm -rf "$CS_STORE"
		cs-init -q
		run --separate-stderr bash -c "ulimit -v $v && exec cs-put -q -f raw '$MAINNET'"
		case $status in
		0) ;;
		70)
			hit=$((hit + 1))
			[[ $stderr == "cs-put: out of memory" ||
				$stderr == "cs-put: LevelDB failed: out of memory, or a thread could not be started" ]] ||
				fail "ulimit -v $v: $stderr"
			;;
		*) fail "ulimit -v $v: cs-put exit $status: $stderr" ;;
		esac
		run -0 cs-check
		run --separate-stderr bash -c "ulimit -v $v && exec cs-backup -s full --export -f json >/dev/null"
		[[ $status == 0 || ($status == 70 && $stderr == cs-backup:*) ]] ||
			fail "ulimit -v $v: cs-backup --export exit $status: $stderr"
	done
	((hit > 0)) || fail "no limit made cs-put run out of memory"
	run -0 cs-check -s full
}

# first_err_is LINE: the first line cs-put printed on stderr.
first_err_is() {
	[[ ${stderr_lines[0]} == "$1" ]] || fail "first stderr line: ${stderr_lines[0]}"
}

@test "cs-put without -f: input in another format is named, with the -f to use (65)" {
	cs-init -q
	run -65 --separate-stderr cs-put <"$MAINNET"
	first_err_is "cs-put: item 1 at byte 0: an integer is not an entry (this looks like raw 80-byte headers: use -f raw)"
	headers "$MAINNET" 0 3 | xxd -p -c 80 >h.hex
	run -65 --separate-stderr cs-put h.hex
	first_err_is "cs-put: 'h.hex': item 1 at byte 0: unexpected negative integer (this looks like hex lines: use -f hex)"
	cs-get --range 0..0 -f json >e.json
	run -65 --separate-stderr cs-put <e.json
	first_err_is "cs-put: item 1 at byte 0: text string declares 2479338743163664930 bytes, more than any entry holds (this looks like JSON lines: use -f json)"
	run -65 --separate-stderr cs-put <"$BTCD_BLOCKS"
	first_err_is "cs-put: item 1 at byte 0: unexpected float (this looks like blk*.dat blocks: use -f blk)"
	# with the -f named, each goes in
	run -0 cs-put -q -f raw <"$MAINNET"
	run -0 cs-put -q -f blk <"$BTCD_BLOCKS"
}

# interrupted_put SIGNAL FIFO [cs-put args...]: starts cs-put reading FIFO
# in the background (SIGINT not ignored, as a background job of a script
# has it), waits until the store's tip is at $want_height (cs-put has
# committed and waits for more input), sends SIGNAL; leaves $status and
# put.err.
interrupted_put() {
	local sig=$1 fifo=$2 pid i
	shift 2
	env --default-signal=INT cs-put "$@" "$fifo" 2>put.err &
	pid=$!
	for ((i = 0; i < 200; i++)); do
		[[ $(cs-tip -f json 2>/dev/null | jq -r .height) == "$want_height" ]] && break
		sleep 0.05
	done
	kill -0 "$pid" || fail "cs-put ended before the signal: $(cat put.err)"
	kill -"$sig" "$pid"
	status=0
	wait "$pid" || status=$?
}

@test "cs-put: Ctrl-C while it waits for input: says what it committed, exits 130; the store holds exactly that" {
	run -0 cs-init -q
	mkfifo in
	# 5000 headers, then the writer stalls with the pipe open
	{ headers "$MAINNET" 1 5000; exec sleep 20; } >in &
	writer=$!
	want_height=5000
	interrupted_put INT in -f raw
	kill "$writer" 2>/dev/null || true
	assert_equal "$status" 130
	hash=$(display_hash_of_hex "$(header_hex "$MAINNET" 5000)")
	assert_equal "$(cat put.err)" "cs-put: interrupted: 5000 entries committed, tip 5000 $hash"
	run -0 cs-tip -f json
	assert_json .height 5000
	assert_json .hash "$hash"
	run -0 cs-check
}

@test "cs-put: SIGTERM is 143, with the same report; entries waiting for a parent are named as not stored" {
	run -0 cs-init -q
	mkfifo in
	# 1..100, then 102..150 whose ancestor 101 has not come yet
	{ headers "$MAINNET" 1 100; headers "$MAINNET" 102 150; exec sleep 20; } >in &
	writer=$!
	want_height=100
	interrupted_put TERM in -f raw
	kill "$writer" 2>/dev/null || true
	assert_equal "$status" 143
	assert_equal "$(cat put.err)" "cs-put: interrupted: 100 entries committed, tip 100 $(display_hash_of_hex "$(header_hex "$MAINNET" 100)") (49 read entries were waiting for a parent, not stored)"
	run -0 cs-tip -f json
	assert_json .height 100
}

@test "cs-put: Ctrl-C in the middle of a steady import stops between commits: the report is what cs-tip shows" {
	run -0 cs-init -q --network testnet3
	mkfifo in
	# testnet3's headers, 2000 at a time every 50 ms
	"$PY" -c '
import sys, time
data = open(sys.argv[1], "rb").read()
out = open(sys.argv[2], "wb")
for i in range(0, len(data), 160000):
    out.write(data[i:i + 160000]); out.flush(); time.sleep(0.05)
time.sleep(20)' "$TESTNET3" in &
	writer=$!
	env --default-signal=INT cs-put -f raw in 2>put.err &
	pid=$!
	sleep 0.3
	kill -INT "$pid"
	status=0
	wait "$pid" || status=$?
	kill "$writer" 2>/dev/null || true
	assert_equal "$status" 130
	[[ $(cat put.err) =~ ^cs-put:\ interrupted:\ ([0-9]+)\ entries\ committed,\ tip\ ([0-9]+)\ ([0-9a-f]{64})$ ]] ||
		fail "report: $(cat put.err)"
	added=${BASH_REMATCH[1]} height=${BASH_REMATCH[2]} hash=${BASH_REMATCH[3]}
	# the genesis was there: every entry added is one height
	assert_equal "$added" "$height"
	((height > 0 && height < 35141)) || fail "tip $height: not in the middle"
	assert_equal "$hash" "$(display_hash_of_hex "$(header_hex "$TESTNET3" "$height")")"
	run -0 cs-tip -f json
	assert_json .height "$height"
	assert_json .hash "$hash"
	run -0 cs-check
}
