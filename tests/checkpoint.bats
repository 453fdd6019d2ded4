#!/usr/bin/env bats
# Checkpoint stores (cs(7) "Checkpoint stores", cs-init(1) --checkpoint): a
# store that starts at a trusted entry, as Electrum and bitcoinj wallets
# do. bitcoinj's checkpoint 822528 (tests/data/mainnet/checkpoints_bitcoinj.csv,
# decoded from its base64 lines; the lines are made again here) and the real
# headers 822528..830592 (four retargets) give the published tip 830592 and
# its chainwork, and Bitcoin Core's v27 nMinimumChainWork at 824000.

load test_helper

RECENT=$DATA/mainnet/headers_822528-830592.bin
CHECKPOINT_HASH=000000000000000000001daacd23f9cb40c69ba923085618a5f9dbdd4d97e93a
TIP_830592=00000000000000000000506183a8b30fa3224b85e82a70416e1d594bdb632fdb
CW_830592=00000000000000000000000000000000000000006a70fe70f2873330c7529db0
HASH_824000=000000000000000000026811d149d4d261995ec5b3f64f439a0a10e1a464af9a
CW_824000=000000000000000000000000000000000000000063c4ebd298db40af57541800

setup() {
	common_setup
}

# bitcoinj_line HEIGHT [V2]: the line of bitcoinj's checkpoints file for
# HEIGHT: base64 of the chainwork (12 bytes; 32 with V2), the height (4)
# and the header (80), big-endian.
bitcoinj_line() {
	"$PY" -c 'import base64, csv, sys
for r in csv.DictReader(open(sys.argv[1])):
    if r["height"] == sys.argv[2]:
        work = bytes.fromhex(r["chainwork"])[-32 if len(sys.argv) > 3 else -12:]
        raw = work + int(r["height"]).to_bytes(4, "big") + bytes.fromhex(r["header_hex"])
        print(base64.b64encode(raw).decode())' "$DATA/mainnet/checkpoints_bitcoinj.csv" "$@"
}

# recent STORE: a store from bitcoinj's checkpoint 822528 with the real
# headers to 830592.
recent() {
	bitcoinj_line 822528 > line.txt
	cs-init -q -s "$1" --network mainnet --checkpoint line.txt
	run -0 cs-put -q -s "$1" -f raw "$RECENT"
}

@test "from bitcoinj's checkpoint 822528, the real headers import whole through four retargets to 830592" {
	bitcoinj_line 822528 > line.txt
	run -0 --separate-stderr cs-init --network mainnet --checkpoint line.txt
	assert_err_contains "cs-init: created mainnet store '$CS_STORE' at checkpoint 822528 $CHECKPOINT_HASH"
	assert_err_contains "the checkpoint gives 0 of the 10 times before it"
	run -0 --separate-stderr cs-put -f raw "$RECENT"
	assert_err_equal "cs-put: 8065 read, 8064 added, 1 duplicate, 0 rejected; tip 830592 $TIP_830592"
	run -0 cs-tip -f json
	assert_json .hash "$TIP_830592"
	assert_json .chainwork "$CW_830592"
	assert_json .height 830592
	# Bitcoin Core v27's defaultAssumeValid and nMinimumChainWork
	run -0 cs-get -f json -n 824000
	assert_json .hash "$HASH_824000"
	assert_json .chainwork "$CW_824000"
	# a retarget: 824544's bits are not 824543's
	run -0 cs-get -f json --range 824543..824544
	[ "$(jq -r .header <<<"$output" | cut -c145-152 | uniq | wc -l)" -eq 2 ]
}

@test "bitcoinj's 32-byte (V2) line and a store's own printed entry start the same store" {
	recent a
	bitcoinj_line 822528 v2 | cs-init -q -s b --network mainnet --checkpoint -
	run -0 cs-put -q -s b -f raw "$RECENT"
	# an entry cs-get printed, in CBOR and in JSON, at another boundary
	cs-get -s a -n 824544 -f cbor | cs-init -q -s c --network mainnet --checkpoint -
	cs-get -s a -n 824544 -f json > entry.json
	cs-init -q -s d --network mainnet --checkpoint entry.json -f json
	for s in b c d; do
		run -0 cs-put -q -s "$s" -f raw "$RECENT" 2> /dev/null || true
		run -0 cs-tip -s "$s" -f json
		assert_json .hash "$TIP_830592"
		assert_json .chainwork "$CW_830592"
	done
}

@test "the times of the ten entries before the checkpoint make the median-time rule Core's (regtest)" {
	# regtest 1..144, 600 s apart, mined here; a checkpoint at 144 (a
	# regtest period's first) with and without the times of 143..134
	"$PY" -c 'import hashlib, struct, sys
sys.path.insert(0, sys.argv[1])
mine = __import__("mine-header")
prev = "0f9188f13cb7b2c71f2a335e3a4fc328bf5beb436012afca590b1a11466e2206"
out = b""
for i in range(1, 145):
    h = mine.mine(prev, 4, 1296688602 + 600 * i, 0x207fffff, "h%d" % i)
    prev = hashlib.sha256(hashlib.sha256(h).digest()).digest()[::-1].hex()
    out += h
sys.stdout.buffer.write(out)' "$REPO/tests/tools" > chain.bin
	cs-init -q -s full --network regtest
	run -0 cs-put -q -s full -f raw chain.bin
	t=$(cs-get -s full -f raw --range 134..143 | "$PY" -c 'import struct, sys
d = sys.stdin.buffer.read()
print([struct.unpack_from("<I", d, i + 68)[0] for i in range(0, len(d), 80)][::-1])')
	cs-get -s full -f json -n 144 | jq -c --argjson t "$t" '. + {times: $t}' > with.json
	cs-get -s full -f json -n 144 > without.json
	run -0 --separate-stderr cs-init -s with --network regtest --checkpoint with.json -f json
	[[ $stderr != *"times before it"* ]]
	run -0 --separate-stderr cs-init -s without --network regtest --checkpoint without.json -f json
	assert_err_contains "the checkpoint gives 0 of the 10 times before it"
	tip=$(cs-tip -s full -f json | jq -r .hash)
	# the median of 134..144 is the time of 139: at it, too old; a second
	# later, accepted where the times are known, too old where the only
	# time known is the checkpoint's own
	"$PY" "$REPO/tests/tools/mine-header.py" "$tip" 4 $((1296688602 + 600 * 139)) 207fffff a > at.bin
	"$PY" "$REPO/tests/tools/mine-header.py" "$tip" 4 $((1296688602 + 600 * 139 + 1)) 207fffff b > above.bin
	run -65 --separate-stderr cs-put -s with -f raw at.bin
	assert_err_contains "time-too-old"
	run -0 cs-put -q -s with -f raw above.bin
	run -0 cs-put -q -s full -f raw above.bin
	run -65 --separate-stderr cs-put -s without -f raw above.bin
	assert_err_contains "time-too-old"
	# the CBOR form carries the times too
	cs-get -s full -f cbor -n 144 | "$PY" -c 'import cbor2, json, sys
e = cbor2.loads(sys.stdin.buffer.read()); e["times"] = json.loads(sys.argv[1])
sys.stdout.buffer.write(cbor2.dumps(e))' "$t" | cs-init -q -s cbor --network regtest --checkpoint -
	run -0 cs-put -q -s cbor -f raw above.bin
}

@test "a checkpoint off a retarget boundary, or otherwise wrong, is refused" {
	recent a
	run -65 --separate-stderr cs-init -s b --network mainnet --checkpoint <(cs-get -s a -n 822529 -f cbor)
	assert_err_equal "cs-init: checkpoint at height 822529 is not on a retarget boundary of mainnet (a multiple of 2016): the header rules after it need a period's first header"
	[ ! -e b/db/CURRENT ] || { run -66 cs-tip -s b; }
	# a hash that is not its header's
	cs-get -s a -n 824544 -f json | jq -c '.hash = "00" * 32' > bad.json
	run -65 --separate-stderr cs-init -s c --network mainnet --checkpoint bad.json -f json
	assert_err_equal "cs-init: checkpoint: its hash does not match its header"
	# no chainwork
	cs-get -s a -n 824544 -f json | jq -c 'del(.chainwork)' > nowork.json
	run -65 --separate-stderr cs-init -s d --network mainnet --checkpoint nowork.json -f json
	assert_err_equal "cs-init: checkpoint: its height and chainwork must be given"
	# not a checkpoint at all
	echo 'TXT CHECKPOINTS 1' > notone.txt
	run -65 --separate-stderr cs-init -s e --network mainnet --checkpoint notone.txt
	assert_err_contains "not a line of bitcoinj's checkpoints file"
	# a regtest checkpoint must be on a multiple of 144
	run -65 --separate-stderr cs-init -s f --network regtest --checkpoint <(cs-get -s a -n 822600 -f cbor)
	assert_err_contains "not on a retarget boundary of regtest (a multiple of 144)"
	# options that do not go together
	run -64 --separate-stderr cs-init -s g --genesis 00 --checkpoint line.txt
	assert_err_contains "--checkpoint goes with a built-in network, not --genesis or --opaque"
	# the same checkpoint again is fine; another, or none, is not
	run -0 --separate-stderr cs-init -s a --network mainnet --checkpoint line.txt
	assert_err_contains "is already a mainnet store"
	run -65 --separate-stderr cs-init -s a --network mainnet
	assert_err_contains "starts at $CHECKPOINT_HASH (height 822528), not 000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f (height 0)"
}

@test "a header whose parent lies below the checkpoint is an unknown parent" {
	recent a
	bitcoinj_line 824544 > later.txt
	cs-init -q -s b --network mainnet --checkpoint later.txt
	head -c $(((824544 - 822528) * 80)) "$RECENT" | tail -c 160 > below.bin
	run -65 --separate-stderr cs-put -s b -f raw below.bin
	assert_err_contains "item 1 at byte 0: unknown parent"
	assert_err_contains "2 read, 0 added, 0 duplicate, 2 rejected; tip 824544"
}

@test "locators end at the checkpoint, --headers answers from it, and two stores sync" {
	recent a
	run -0 cs-locator -s a -f json
	[ "$(jq -r '.[-1]' <<<"$output")" = "$CHECKPOINT_HASH" ]
	[ "$(jq -r '.[0]' <<<"$output")" = "$TIP_830592" ]
	# a locator the store does not know: the answer starts after the checkpoint
	printf '%064x\n' 7 | cs-locator -s a --headers -f json --max 3 > answer
	[ "$(jq -r .height answer | head -1)" -eq 822529 ]
	# the sync loop of cs-locator(1) brings a store from the checkpoint to the tip
	bitcoinj_line 822528 | cs-init -q -s b --network mainnet --checkpoint -
	tip=
	while [ "$tip" != "$(cs-tip -s b -f hex)" ]; do
		tip=$(cs-tip -s b -f hex)
		cs-locator -s b | cs-locator -s a --headers | cs-put -q -s b
	done
	run -0 cs-tip -s b -f json
	assert_json .hash "$TIP_830592"
	assert_json .chainwork "$CW_830592"
}

@test "prune, backup, export and replay, check and stat work on a checkpoint store" {
	recent a
	run -0 cs-prune -s a --forks 10
	run -0 cs-backup -s a bk
	run -0 cs-backup --verify bk
	bitcoinj_line 822528 | cs-init -q -s b --network mainnet --checkpoint -
	cs-backup -s a --export > all.cbor
	run -0 cs-put -q -s b all.cbor
	cs-backup -s b --export > again.cbor
	cmp all.cbor again.cbor
	# the export starts at the checkpoint and holds every entry
	[ "$(cbor2json < all.cbor | wc -l)" -eq 8065 ]
	run -0 cs-check -s b
	run -0 cs-stat -s a -f json
	assert_json .checkpoint_height 822528
	assert_json .checkpoint_hash "$CHECKPOINT_HASH"
	assert_json .rules mainnet
	assert_json .main_chain_length 8065
	run -0 cs-stat -s a -f prometheus
	assert_line 'chainstore_checkpoint_height{store="a"} 822528'
	run -0 --separate-stderr cs-tip -s a -f text
	assert_err_equal "cs-tip: store 'a' starts at checkpoint 822528 $CHECKPOINT_HASH"
	run -0 cs-get -s a -f text --range ..822529
	assert_line --index 0 --partial "822528  $CHECKPOINT_HASH"
	run -1 cs-get -s a -n 5
}

@test "a bitcoinj line may have white space around it, but is the only line" {
	{ printf '\n \t'; bitcoinj_line 822528 | tr -d '\n'; printf '\r\n\n'; } > spaced.txt
	run -0 cs-init -q -s a --network mainnet --checkpoint spaced.txt
	run -0 cs-put -q -s a -f raw "$RECENT"
	run -0 cs-tip -s a -f json
	assert_json .hash "$TIP_830592"
	{ bitcoinj_line 822528; bitcoinj_line 824544; } > two.txt
	run -65 --separate-stderr cs-init -s b --network mainnet --checkpoint two.txt
	assert_err_equal "cs-init: line 2: only the checkpoint's line goes to cs-init, one line of bitcoinj's checkpoints file"
	{ echo 'TXT CHECKPOINTS 1'; echo 0; echo 1; bitcoinj_line 822528; } > file.txt
	run -65 --separate-stderr cs-init -s c --network mainnet --checkpoint file.txt
	assert_err_equal "cs-init: checkpoint: not a line of bitcoinj's checkpoints file but the whole file: give the line of the checkpoint to start at"
	# padding only at the end
	bitcoinj_line 822528 v2 | sed 's/^\(.\{100\}\)./\1=/' > padded.txt
	run -65 --separate-stderr cs-init -s d --network mainnet --checkpoint padded.txt
	assert_err_contains "not a line of bitcoinj's checkpoints file"
	[ ! -e b/db/CURRENT ] && [ ! -e c/db/CURRENT ] && [ ! -e d/db/CURRENT ]
}
