#!/usr/bin/env bats
# Decoded output: entries in json and text (and cbor with --decode) as
# bitcoin-cli getblockheader prints them, transactions (cs-get --tx -f json)
# as getrawtransaction TXID true does. cs(7) FORMATS.
#
# Published values, each from outside this project:
#   block 170 (the first payment, Satoshi to Hal Finney): hash, merkle root
#     7dac2c56...4c10ff, time 1231731025, nonce 1889418792, bits 1d00ffff,
#     median time past 1231716245; its transaction f4184fc5...9e16 pays
#     10 BTC to Hal Finney's key 04ae1a62...cd84c and 40 BTC back to the
#     key of block 9's coinbase (0411db93...12a3), spending 0437cd7f...97c9:0
#     (block explorers; Bitcoin wiki "Block 170"; tests/data README).
#   block 10000: hash (tests/data/expected_values.csv), time 1238988213.
#   difficulties (getdifficulty as explorers round it): 277647 (Jan 2014)
#     1,180,923,195.26; 367891 (Aug 2015) 52,278,304,845.59; 413567 (the
#     period 413280-415295) 199,312,067,531 (samsclass.info "Understanding
#     Bitcoin Difficulty", June 2016, at block 414793); 866342 (Oct 2024)
#     92.05 T (the period before the 95.67 T retarget of 2024-10-23).
# Every other figure is computed here by Python from the same bytes
# (hashlib), and the header and transaction fields again by
# python-bitcoinlib, an implementation of its own.

load test_helper

HASH_170=00000000d1145790a8694403d4063f323d499e655c83426834d4ce2f8dd4a2ee
HASH_169=000000002a22cfee1f2c846adbd12b3e183d4f97683f85dad08a79780a84bd55
HASH_171=00000000c9ec538cab7f38ef9c67a95742f56ab07b0a37c5be6b02808dbfb4e0
MERKLE_170=7dac2c5666815c17a3b36427de37bb9d2e2c5ccec3f8633eb91a4205cb4c10ff
TX_170=f4184fc596403b9d638783cf57adfe4c75c605f6356fbc91338530e9831e9e16
TX_COINBASE_9=0437cd7f8525ceed2324359c2d0ba26006d92d856a9c20fa0241106ee5a597c9
HAL=04ae1a62fe09c5f51b13905f07f06b99a2f7159b2225f374cd378d71302fa28414e7aab37397f554a7df5f142c21c1b7303b8a0626f1baded5c72a704f7e6cd84c
SATOSHI=0411db93e1dcdb8a016b49840f8c53bc1eb68a382e97b1482ecad7b148a6909a5cb2e0eaddfb84ccf9744464f82e160bfa9b8b64f9d4c03f999b8643f656b412a3

setup_file() {
	# mainnet headers 0..10236 with btcd's bodies of 1..255 (block 170's
	# among them), built once and copied by the tests that need it
	local cache=$BATS_FILE_TMPDIR/full
	cs-init -q -s "$cache" && cs-put -q -s "$cache" -f raw "$MAINNET" &&
		cs-put -q -s "$cache" -f blk "$BTCD_BLOCKS" && touch "$cache.done" || true
}

setup() {
	common_setup
}

full_store() {
	[[ -e $BATS_FILE_TMPDIR/full.done ]] && cp -a "$BATS_FILE_TMPDIR/full" "$CS_STORE"
}

# real_block N: a store whose genesis is real block N's header, with its body.
real_block() {
	local raw=$DATA/blocks/block_$1.raw
	cs-init -q --genesis "$(head -c 80 "$raw" | xxd -p | tr -d '\n')" &&
		"$PY" -c 'import sys, cbor2; sys.stdout.buffer.write(cbor2.dumps(open(sys.argv[1], "rb").read()))' "$raw" |
		cs-put -q
}

need_bitcoinlib() {
	"$PY" -c 'import bitcoin.core' 2>/dev/null ||
		skip "python3-bitcoinlib is not installed (tests/tools/install-deps.sh installs it)"
}

# median_times FILE FROM TO: Core's GetMedianTimePast of each height in
# FROM..TO of a header file starting at the genesis, one a line.
median_times() {
	"$PY" -c 'import struct, sys
d = open(sys.argv[1], "rb").read()
t = lambda h: struct.unpack("<I", d[80 * h + 68:80 * h + 72])[0]
for h in range(int(sys.argv[2]), int(sys.argv[3]) + 1):
    s = sorted(t(k) for k in range(max(0, h - 10), h + 1))
    print(s[len(s) // 2])' "$@"
}

@test "block 170 in json: getblockheader's object, field for field, then header and status" {
	full_store
	run -0 --separate-stderr cs-get -f json "$HASH_170"
	assert_err_empty
	assert_output "{\"hash\":\"$HASH_170\",\"confirmations\":10067,\"height\":170,\"version\":1,\"versionHex\":\"00000001\",\"merkleroot\":\"$MERKLE_170\",\"time\":1231731025,\"mediantime\":1231716245,\"nonce\":1889418792,\"bits\":\"1d00ffff\",\"difficulty\":1,\"chainwork\":\"$(printf '%064x' $((171 * 0x100010001)))\",\"nTx\":2,\"previousblockhash\":\"$HASH_169\",\"nextblockhash\":\"$HASH_171\",\"header\":\"$(header_hex "$MAINNET" 170)\",\"status\":\"main\"}"
	# the median time as Python computes it from the headers
	assert_equal "$(median_times "$MAINNET" 170 170)" 1231716245
}

@test "block 10000: 237 confirmations at tip 10236, no nTx without a body; the genesis has no previous, the tip no next" {
	full_store
	run -0 cs-get -f json -n 10000 -n 0 -n 10236
	output=${lines[0]} assert_json '[.hash, .confirmations, .time, .mediantime, .difficulty, .bits, has("nTx")] | join(" ")' \
		"$HASH_10000 237 1238988213 $(median_times "$MAINNET" 10000 10000) 1 1d00ffff false"
	output=${lines[1]} assert_json '[.confirmations, has("previousblockhash"), .nextblockhash] | join(" ")' "10237 false $HASH_1"
	output=${lines[2]} assert_json '[.hash, .confirmations, has("nextblockhash")] | join(" ")' "$HASH_10236 1 false"
}

@test "mediantime is Core's GetMedianTimePast at every height of a range, and of heights asked one by one" {
	full_store
	# a run of children: each window follows from the entry before
	cs-get -f json --range 0..2100 | jq -r .mediantime >got
	median_times "$MAINNET" 0 2100 >want
	cmp want got
	# heights apart: each reads its own ancestors
	run -0 cs-get -f json -n 9 -n 5000 -n 11 -n 10236 -n 3
	assert_equal "$(jq -r .mediantime <<<"$output")" "$(for h in 9 5000 11 10236 3; do median_times "$MAINNET" $h $h; done)"
}

@test "off the main chain: confirmations -1 and no next block; the fork point's next is the main chain's" {
	cs-init -q
	cs-put -q -f blk "$REORG/blk_0_to_4.dat" "$REORG/blk_3A.dat" "$REORG/blk_4A.dat" "$REORG/blk_5A.dat"
	run -0 cs-get -f json "$REORG_HASH_4" "$REORG_HASH_2" "$REORG_HASH_5A"
	output=${lines[0]} assert_json '[.status, .confirmations, has("nextblockhash"), .previousblockhash] | join(" ")' \
		"fork -1 false $REORG_HASH_3"
	output=${lines[1]} assert_json '[.confirmations, .nextblockhash] | join(" ")' "4 $REORG_HASH_3A"
	# 5A's body: its transaction count, the byte after the 8-byte frame and the header
	output=${lines[2]} assert_json '[.confirmations, .nTx] | join(" ")' "1 $(od -An -tu1 -j88 -N1 "$REORG/blk_5A.dat" | tr -d ' ')"
	# cs-tip --all prints the fork tip the same way
	run -0 cs-tip --all -f json
	output=${lines[1]} assert_json '[.hash, .confirmations, .branchlen] | join(" ")' "$REORG_HASH_4 -1 2"
}

@test "difficulty not 1: four real blocks, as published and as Core prints the double (16 digits)" {
	local b want
	local -A ntx=([277647]=213 [367891]=420 [413567]=1557 [866342]=4864) # tests/data/blocks/README.md
	for b in 277647:1180923195.258026:1180923195.26 367891:52278304845.59168:52278304845.59 \
		413567:199312067531.243:199312067531.24 866342:92049594548485.47:92049594548485.47; do
		rm -rf "$CS_STORE"
		real_block "${b%%:*}"
		want=${b#*:}
		run -0 cs-get -f json -n 0
		# the exact text (jq would reformat a number)
		assert_output --partial "\"difficulty\":${want%%:*},"
		# rounded to cents, as explorers publish it
		assert_equal "$(printf '%.2f' "$(jq -r .difficulty <<<"$output")")" "${want#*:}"
		assert_json .nTx "${ntx[${b%%:*}]}"
	done
	# published, to the unit: 199,312,067,531 (413567's period) and 92.05 T
	[[ $(printf '%.0f' 199312067531.243) == 199312067531 ]]
}

@test "python-bitcoinlib agrees: header fields and difficulty of blocks 0, 170, 10000 and four later blocks" {
	need_bitcoinlib
	full_store
	cs-get -f json -n 0 -n 170 -n 10000 >mainnet.json
	for b in 277647 367891 413567 866342; do
		rm -rf "$BATS_TEST_TMPDIR/s$b"
		CS_STORE=$BATS_TEST_TMPDIR/s$b real_block $b
		CS_STORE=$BATS_TEST_TMPDIR/s$b cs-get -f json -n 0 >>mainnet.json
	done
	run -0 "$PY" - mainnet.json <<'PYEOF'
import json, re, sys
from bitcoin.core import CBlockHeader, b2lx
bad = 0
for line in open(sys.argv[1]):
    e = json.loads(line)
    h = CBlockHeader.deserialize(bytes.fromhex(e["header"]))
    want = {"hash": b2lx(h.GetHash()), "version": h.nVersion, "versionHex": "%08x" % (h.nVersion & 0xffffffff),
            "merkleroot": b2lx(h.hashMerkleRoot), "time": h.nTime, "nonce": h.nNonce, "bits": "%08x" % h.nBits}
    if e["height"] > 0:
        want["previousblockhash"] = b2lx(h.hashPrevBlock)
    for k, v in want.items():
        if e[k] != v:
            print("%s: %s %r != %r" % (e["hash"], k, e[k], v)); bad += 1
    # the difficulty's text as printed, against bitcoinlib's double in 16 digits
    text = re.search(r'"difficulty":([^,]*),', line).group(1)
    if text != "%.16g" % CBlockHeader.calc_difficulty(h.nBits):
        print("%s: difficulty %s" % (e["hash"], text)); bad += 1
print("checked", bad)
PYEOF
	assert_output "checked 0"
}

@test "text: the entry's line, then the decoded fields a '  key  value' line each" {
	full_store
	run -0 cs-get -f text "$HASH_170"
	assert_output "    170  $HASH_170  main  ab00ab00ab
  confirmations      10067
  version            1
  versionHex         00000001
  merkleroot         $MERKLE_170
  time               1231731025
  mediantime         1231716245
  nonce              1889418792
  bits               1d00ffff
  difficulty         1
  nTx                2
  previousblockhash  $HASH_169
  nextblockhash      $HASH_171"
}

@test "cbor keeps its compact map; --decode adds the decoded fields, hashes as bytes in internal order" {
	full_store
	cs-get -n 170 >plain.cbor
	run -0 cbor_keys plain.cbor
	assert_output "chainwork hash header height status"
	cs-get --decode -n 170 >decoded.cbor
	run -0 cbor_keys decoded.cbor
	assert_output "bits chainwork confirmations difficulty hash header height mediantime merkleroot nTx nextblockhash nonce previousblockhash status time version versionHex"
	run -0 cbor2json decoded.cbor
	assert_json '[.confirmations, .mediantime, .difficulty, .bits, .versionHex, .merkleroot, .nextblockhash] | join(" ")' \
		"10067 1231716245 1 1d00ffff 00000001 $(reverse_hex "$MERKLE_170") $(reverse_hex "$HASH_171")"
	# the same values as json's, which --decode leaves as it is
	assert_equal "$(cs-get --decode -f json -n 170)" "$(cs-get -f json -n 170)"
	# hex and raw are the header alone, with or without
	assert_equal "$(cs-get --decode -f hex -n 170)" "$(header_hex "$MAINNET" 170)"
	# cs-put reads a decoded map back, as any other entry
	cs-init -q -s copy
	cs-put -q -s copy -f raw "$MAINNET"
	run -0 --separate-stderr bash -c 'cs-get --decode --range 0..300 | cs-put -s copy'
	assert_err_contains "301 read, 0 added"
}

@test "round trips stay byte-identical: decoded json exports replay into the same export" {
	full_store
	cs-backup --export -f json >export.json
	[ "$(head -1 export.json | jq -r .confirmations)" = 10237 ]
	cs-init -q -s copy
	cs-put -q -s copy -f json export.json
	cs-backup -s copy --export -f json | cmp - export.json
	# and what cs-get prints, read back the same way
	cs-get -f json --range 1..255 --body >range.json
	cs-init -q -s copy2
	cs-put -q -s copy2 -f json range.json
	cs-get -s copy2 -f json --range 1..255 --body | jq -c 'del(.confirmations, .nextblockhash)' >again.json
	jq -c 'del(.confirmations, .nextblockhash)' range.json | cmp - again.json
}

@test "an opaque store has no Bitcoin header: no decoded field" {
	run -0 cs-init -q --opaque -f json <<<"$(printf '{"hash":"%064x","prev":"%064x","header":"aa"}' 1 0)"
	run -0 cs-tip -f json
	assert_json 'keys | join(" ")' "chainwork hash header height prev status work"
	run -0 cs-tip -f text
	assert_equal "${#lines[@]}" 1
}

@test "cs-get --tx -f json: block 170's payment as getrawtransaction verbose prints it" {
	full_store
	run -0 --separate-stderr cs-get --tx -f json "$TX_170"
	assert_err_empty
	tx=$(jq -r .hex <<<"$output")
	assert_output "{\"txid\":\"$TX_170\",\"hash\":\"$TX_170\",\"version\":1,\"size\":275,\"vsize\":275,\"weight\":1100,\"locktime\":0,\"vin\":[{\"txid\":\"$TX_COINBASE_9\",\"vout\":0,\"scriptSig\":{\"hex\":\"${tx:84:144}\"},\"sequence\":4294967295}],\"vout\":[{\"value\":10.00000000,\"n\":0,\"scriptPubKey\":{\"hex\":\"41${HAL}ac\"}},{\"value\":40.00000000,\"n\":1,\"scriptPubKey\":{\"hex\":\"41${SATOSHI}ac\"}}],\"hex\":\"$tx\",\"blockhash\":\"$HASH_170\",\"confirmations\":10067,\"time\":1231731025,\"blocktime\":1231731025,\"tx\":\"$tx\",\"block\":\"$HASH_170\",\"height\":170,\"index\":1}"
	# the scriptSig: 72 bytes (0x48) at byte 41, a push of a 71-byte
	# signature (0x47); and the transaction hashes to its txid
	[ "${tx:82:4}" = 4847 ]
	run -0 "$PY" -c 'import hashlib, sys
print(hashlib.sha256(hashlib.sha256(bytes.fromhex(sys.argv[1])).digest()).digest()[::-1].hex())' "$tx"
	assert_output "$TX_170"
}

@test "cs-get --tx: a coinbase input prints coinbase and sequence; text a line, then key value lines" {
	full_store
	run -0 cs-get --tx -f json "$TX_COINBASE_9"
	assert_json '.vin | tojson' '[{"coinbase":"04ffff001d0134","sequence":4294967295}]'
	assert_output --partial '"vout":[{"value":50.00000000,"n":0,'
	run -0 cs-get --tx -f text "$TX_170"
	assert_output "$TX_170      170  $HASH_170  main      1  275 bytes
  hash               $TX_170
  version            1
  size               275
  vsize              275
  weight             1100
  locktime           0
  vin 0              $TX_COINBASE_9:0 $(cs-get --tx -f json "$TX_170" | jq -r '.vin[0].scriptSig.hex') sequence 4294967295
  vout 0             10.00000000 41${HAL}ac
  vout 1             40.00000000 41${SATOSHI}ac
  confirmations      10067
  time               1231731025"
}

@test "cs-get --tx: a segwit transaction of block 866342: wtxid, size, vsize, weight and witnesses as computed by Python" {
	real_block 866342
	# the first transaction spending a witness after the coinbase, measured
	# by an independent parser
	"$PY" - "$DATA/blocks/block_866342.raw" >want.json <<'PYEOF'
import hashlib, json, sys
d = open(sys.argv[1], "rb").read()
h = lambda b: hashlib.sha256(hashlib.sha256(b).digest()).digest()[::-1].hex()
def varint(i):
    b = d[i]
    if b < 0xfd: return b, i + 1
    n = {0xfd: 2, 0xfe: 4, 0xff: 8}[b]
    return int.from_bytes(d[i + 1:i + 1 + n], "little"), i + 1 + n
n, i = varint(80)
for index in range(n):
    start = i
    i += 4
    segwit = d[i] == 0 and d[i + 1] == 1
    if segwit: i += 2
    nin, i = varint(i)
    for _ in range(nin):
        i += 36
        l, i = varint(i); i += l + 4
    nout, i = varint(i)
    for _ in range(nout):
        i += 8
        l, i = varint(i); i += l
    endout = i
    wit = []
    if segwit:
        for _ in range(nin):
            items, i = varint(i)
            stack = []
            for _ in range(items):
                l, i = varint(i); stack.append(d[i:i + l].hex()); i += l
            wit.append(stack)
    i += 4
    whole = d[start:i]
    base = d[start:start + 4] + (d[start + 6:endout] if segwit else d[start + 4:endout]) + d[i - 4:i]
    if index == 0:
        coinbase_witness, coinbase_txid = wit, h(base)
    if segwit and index > 0:
        print(json.dumps({"index": index, "txid": h(base), "hash": h(whole), "size": len(whole),
            "weight": len(base) * 3 + len(whole), "vsize": (len(base) * 3 + len(whole) + 3) // 4,
            "txinwitness": wit, "coinbase_witness": coinbase_witness, "coinbase_txid": coinbase_txid}))
        break
PYEOF
	txid=$(jq -r .txid want.json)
	run -0 cs-get --tx -f json "$txid"
	got=$(jq -c '{index, txid, hash, size, weight, vsize, txinwitness: [.vin[].txinwitness]}' <<<"$output")
	assert_equal "$got" "$(jq -c 'del(.coinbase_witness, .coinbase_txid)' want.json)"
	# a witness: the wtxid is not the txid, the size not the weight / 4
	[ "$(jq -r .hash want.json)" != "$txid" ]
	[ "$(jq -r '.weight < 4 * .size' want.json)" = true ]
	# the coinbase carries its witness reserved value, under "coinbase"
	run -0 cs-get --tx -f json "$(jq -r .coinbase_txid want.json)"
	assert_json '.vin[0].txinwitness | tojson' "$(jq -c '.coinbase_witness[0]' want.json)"
	assert_json '.vin[0] | keys_unsorted | join(" ")' "coinbase txinwitness sequence"
	assert_json .confirmations 1
}

@test "python-bitcoinlib agrees on block 866342's first segwit transaction" {
	need_bitcoinlib
	real_block 866342
	run -0 "$PY" - "$DATA/blocks/block_866342.raw" <<'PYEOF'
import sys
from bitcoin.core import CBlock, b2lx
b = CBlock.deserialize(open(sys.argv[1], "rb").read())
tx = next(t for t in b.vtx[1:] if t.has_witness())
print(b2lx(tx.GetTxid()))
PYEOF
	txid=$output
	cs-get --tx -f json "$txid" >got.json
	run -0 "$PY" - "$DATA/blocks/block_866342.raw" got.json <<'PYEOF'
import json, re, sys
from bitcoin.core import CBlock, CTransaction, b2lx
b = CBlock.deserialize(open(sys.argv[1], "rb").read())
line = open(sys.argv[2]).read()
e = json.loads(line)
tx = next(t for t in b.vtx if b2lx(t.GetTxid()) == e["txid"])
whole = tx.serialize()
base = CTransaction(tx.vin, tx.vout, tx.nLockTime, tx.nVersion).serialize()
want = {"txid": b2lx(tx.GetTxid()), "hash": b2lx(tx.GetHash()), "version": tx.nVersion, "size": len(whole),
        "weight": 3 * len(base) + len(whole), "vsize": (3 * len(base) + len(whole) + 3) // 4, "locktime": tx.nLockTime}
bad = [k for k in want if e[k] != want[k]]
for i, (vin, txin) in enumerate(zip(e["vin"], tx.vin)):
    if vin["txid"] != b2lx(txin.prevout.hash) or vin["vout"] != txin.prevout.n or vin["sequence"] != txin.nSequence:
        bad.append("vin %d" % i)
    if vin.get("txinwitness", []) != [w.hex() for w in tx.wit.vtxinwit[i].scriptWitness.stack]:
        bad.append("witness %d" % i)
values = re.findall(r'"value":([0-9.]+)', line)
for i, (vout, txout) in enumerate(zip(e["vout"], tx.vout)):
    if vout["scriptPubKey"]["hex"] != txout.scriptPubKey.hex() or values[i] != "%d.%08d" % divmod(txout.nValue, 10**8):
        bad.append("vout %d" % i)
print("bad", bad, len(e["vin"]) == len(tx.vin), len(e["vout"]) == len(tx.vout))
PYEOF
	assert_output "bad [] True True"
}

@test "cs-get --tx: a transaction in a block off the main chain: 0 confirmations, no time, as getrawtransaction" {
	cs-init -q
	cs-put -q -f blk "$REORG/blk_0_to_4.dat" "$REORG/blk_3A.dat" "$REORG/blk_4A.dat" "$REORG/blk_5A.dat"
	# block 4's coinbase (4 is on a fork now): the first transaction of its
	# body, a pre-segwit one, hashed here
	txid=$(cs-get --body -f json "$REORG_HASH_4" | jq -r .body | "$PY" -c 'import hashlib, sys
b = bytes.fromhex(sys.stdin.read().strip())
def varint(i):
    return (b[i], i + 1) if b[i] < 0xfd else (int.from_bytes(b[i + 1:i + 1 + {0xfd: 2, 0xfe: 4, 0xff: 8}[b[i]]], "little"), i + 1 + {0xfd: 2, 0xfe: 4, 0xff: 8}[b[i]])
_, i = varint(0)
start = i
i += 4
n, i = varint(i)
for _ in range(n):
    i += 36; l, i = varint(i); i += l + 4
n, i = varint(i)
for _ in range(n):
    i += 8; l, i = varint(i); i += l
i += 4
print(hashlib.sha256(hashlib.sha256(b[start:i]).digest()).digest()[::-1].hex())')
	run -0 cs-get --tx -f json "$txid"
	assert_json '[.blockhash, .confirmations, has("time"), has("blocktime"), .height] | join(" ")' "$REORG_HASH_4 0 false false 4"
}

@test "--decode: for entries only; in -h and usage" {
	full_store
	run -64 --separate-stderr cs-get --decode --tx -f json "$TX_170"
	assert_err_contains "--decode decodes entries"
	run -64 cs-get --decode --proof "$TX_170"
	run -0 cs-get -h
	assert_output --partial "  --decode              "
}

@test "--decode: completed by bash (from -h) and zsh; in the man page" {
	run -0 grep -c -- '--decode\[' "$REPO/completions/_cs"
	run -0 grep -c -- '^\.Op Fl -decode$' "$REPO/man/cs-get.1"
	assert_output 4
}
