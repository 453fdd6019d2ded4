#!/bin/sh
# make-corpus.sh - make the seed corpora tests/fuzz/corpus/NAME/ from the real
# data in tests/data, with the built commands (run `make` first). The seeds
# are committed; run this again only to change them. Each seed is small (a
# few headers, blocks 1..3 and 170, a few transactions of a segwit block), so
# that libFuzzer mutates real structure rather than padding.
#
# Usage: sh tests/fuzz/make-corpus.sh

set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
PATH=$root/bin:$PATH
PY=/usr/bin/python3
data=tests/data
out=tests/fuzz/corpus
tmp=$(mktemp -d "${TMPDIR:-/tmp}/cs-corpus.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

for d in cbor keys json hex raw blk block proof; do
	rm -rf "${out:?}/$d"
	mkdir -p "$out/$d"
done

# A mainnet store of headers 0..2015 and blocks 1..255 with their bodies; a
# store of btcd's reorg chain (a fork).
s=$tmp/main.cs
cs-init -q -s "$s"
dd if=$data/mainnet/headers_0-10236.bin bs=80 count=2016 status=none >"$tmp/h2016"
cs-put -q -s "$s" -f raw "$tmp/h2016"
cs-put -q -s "$s" -f blk $data/blocks/btcd_blocks_1-255.dat
r=$tmp/reorg.cs
cs-init -q -s "$r"
cs-put -q -s "$r" -f blk $data/mainnet/btcd_reorg/blk_0_to_4.dat $data/mainnet/btcd_reorg/blk_3A.dat \
	$data/mainnet/btcd_reorg/blk_4A.dat $data/mainnet/btcd_reorg/blk_5A.dat

# cbor: entries as the tools print them, and byte strings (header, block)
cs-get -s "$s" -n 0 -f cbor >$out/cbor/genesis
cs-get -s "$s" --range 1..3 -f cbor >$out/cbor/entries-1-3
cs-get -s "$s" -n 170 --body -f cbor >$out/cbor/entry-170-body
cs-tip -s "$r" --all -f cbor >$out/cbor/tips-all
cs-get -s "$s" -n 2015 -n 2016 -f raw >"$tmp/h" 2>/dev/null || true
cs-get -s "$s" -n 170 --body -f hex | xxd -r -p >"$tmp/b170"
$PY -c 'import sys, cbor2
h = open(sys.argv[1], "rb").read()
b = open(sys.argv[2], "rb").read()
open(sys.argv[3], "wb").write(cbor2.dumps(h[:80]) + cbor2.dumps(b))
# an opaque entry: its own hash and parent, work given
open(sys.argv[4], "wb").write(cbor2.dumps({"hash": bytes(range(32)), "prev": bytes(32),
    "header": b"p2pool share", "work": 5, "body": b"\x01\x02"}))
' "$data/mainnet/headers_0-10236.bin" "$tmp/b170" $out/cbor/bstr-header-block $out/cbor/opaque-entry

# keys: locators in every form, heights, hashes, entries
cs-locator -s "$s" -f cbor >$out/keys/locator-cbor
cs-locator -s "$s" -f json >$out/keys/locator-json
cs-locator -s "$s" -f text >$out/keys/locator-text
cs-locator -s "$r" -f cbor >$out/keys/locator-fork
printf '0\n170\n' >$out/keys/lines
cs-get -s "$s" -n 1000 -f json | jq -r .hash >>$out/keys/lines
$PY -c 'import sys, cbor2
sys.stdout.buffer.write(cbor2.dumps(0) + cbor2.dumps(170) + cbor2.dumps(2015) + cbor2.dumps(bytes(32)))' \
	>$out/keys/heights-hash
cs-get -s "$s" --range 5..6 -f cbor >$out/keys/entries

# json and hex lines
cs-get -s "$s" --range 0..2 -f json >$out/json/entries
cs-get -s "$s" -n 170 --body -f json >$out/json/entry-170-body
cs-tip -s "$r" --all -f json >$out/json/tips-all
printf '{"hash":"%s","prev":"%s","header":"7032706f6f6c","work":5}\n' \
	"$(printf '%064x' 1)" "$(printf '%064x' 0)" >$out/json/opaque
cs-get -s "$s" --range 0..2 -f hex >$out/hex/headers
cs-get -s "$s" -n 170 --body -f hex >$out/hex/block-170

# raw headers
dd if=$data/mainnet/headers_0-10236.bin bs=80 count=4 status=none >$out/raw/mainnet-0-3
dd if=$data/testnet3/headers_0-35141.bin bs=80 skip=2015 count=2 status=none >$out/raw/testnet3-2015

# blk framing: btcd's reorg files, the first blocks of btcd's file, padding
cp $data/mainnet/btcd_reorg/blk_3A.dat $out/blk/blk_3A
cp $data/mainnet/btcd_reorg/blk_0_to_4.dat $out/blk/blk_0_to_4
$PY -c 'import sys
d = open(sys.argv[1], "rb").read()
pos = 0
for _ in range(3):
    pos += 8 + int.from_bytes(d[pos + 4:pos + 8], "little")
open(sys.argv[2], "wb").write(d[:pos] + bytes(16))
' $data/blocks/btcd_blocks_1-255.dat $out/blk/blocks-1-3-padded

# block bodies: block 170 (the first spend), block 1 (coinbase only), and
# the coinbase and next transactions of a segwit block (866342), re-counted
tail -c +81 "$tmp/b170" >$out/block/body-170
cs-get -s "$s" -n 1 --body -f hex | xxd -r -p | tail -c +81 >$out/block/body-1
$PY -c 'import sys
d = open(sys.argv[1], "rb").read()[80:]
def compact(d, p):
    b = d[p]
    if b < 0xfd: return b, p + 1
    w = {0xfd: 2, 0xfe: 4, 0xff: 8}[b]
    return int.from_bytes(d[p + 1:p + 1 + w], "little"), p + 1 + w
def tx_end(d, p):
    p += 4
    n, p = compact(d, p)
    segwit = n == 0
    if segwit:
        p += 1
        n, p = compact(d, p)
    ins = n
    for _ in range(n):
        p += 36
        l, p = compact(d, p)
        p += l + 4
    n, p = compact(d, p)
    for _ in range(n):
        p += 8
        l, p = compact(d, p)
        p += l
    if segwit:
        for _ in range(ins):
            k, p = compact(d, p)
            for _ in range(k):
                l, p = compact(d, p)
                p += l
    return p + 4
count, p = compact(d, 0)
start = p
for _ in range(3):
    p = tx_end(d, p)
open(sys.argv[2], "wb").write(bytes([3]) + d[start:p])
' $data/blocks/block_866342.raw $out/block/body-866342-first3

# proofs: block 170's payment and coinbase, and block 9's coinbase (a tree
# of one), in each form cs-get --proof prints
pay=f4184fc596403b9d638783cf57adfe4c75c605f6356fbc91338530e9831e9e16
cb=b1fea52486ce0c62bb442b530a3f0132b826c74e473d1f2c220bfa78111c5082
cs-get -s "$s" --proof -f hex $pay $cb >$out/proof/hex-170
cs-get -s "$s" --proof -f json $pay $cb >$out/proof/json-170
cs-get -s "$s" --proof -f cbor $pay >$out/proof/cbor-170
cs-get -s "$s" --proof -f raw $cb >$out/proof/raw-170
cs-get -s "$s" -n 9 --body -f hex | xxd -r -p | tail -c +82 | $PY -c 'import sys, hashlib
tx = sys.stdin.buffer.read()
print(hashlib.sha256(hashlib.sha256(tx).digest()).digest()[::-1].hex())' >"$tmp/txid9"
cs-get -s "$s" --proof -f hex "$(cat "$tmp/txid9")" >$out/proof/hex-9

# hostile seeds: the shapes of tests/bad-input.bats, a few bytes each
$PY - "$out" <<'PY'
import os, sys
out = sys.argv[1]
def put(name, data):
    open(os.path.join(out, name), "wb").write(data)
h = bytes(80)
put("cbor/hostile-indefinite-map", b"\xbf\x66header\x58\x50" + h + b"\xff")
put("cbor/hostile-array-2e27", b"\x9a\x08\x00\x00\x00")
put("cbor/hostile-bstr-2e64", b"\x5b\xff\xff\xff\xff\xff\xff\xff\xf8" + h)
put("cbor/hostile-nested", b"\xa1\x61x" * 8 + b"\x00")
put("cbor/hostile-tags", b"\xa1\x69chainwork\xc2\xc2\x41\x01")
put("keys/hostile-json-locator", b'["' + b"0" * 64 + b'", "00"]\n')
put("keys/hostile-lines", b"12345678901\n" + b"f" * 63 + b"\n")
put("json/hostile-duplicate", b'{"header": "00", "header": "00"}\n')
put("json/hostile-types", b'{"header": 1, "height": -1, "chainwork": "0x", "status": []}\n')
put("hex/hostile-odd", b"0" * 159 + b"\n" + b"g" * 160 + b"\n")
put("blk/hostile-short-length", bytes.fromhex("f9beb4d9") + (10).to_bytes(4, "little") + bytes(10))
put("blk/hostile-padding", bytes(64))
put("block/hostile-noncanonical-count", b"\xfd\x01\x00" + bytes(10))
put("block/hostile-empty-witness", bytes.fromhex("0100000000000101") + bytes(36) + b"\x00" + bytes(4)
    + b"\x01" + bytes(8) + b"\x00" + b"\x00" + bytes(4))
h170 = bytes.fromhex("0100000055bd840a78798ad0da853f68974f3d183e2bd1db6a842c1feecf222a00000000ff104ccb05421ab93e63f8c3ce5c2c2e9dbb37de2764b3a3175c8166562cac7d51b96a49ffff001d283e9e70")
put("proof/hostile-hash-count-2e64", (h170 + bytes.fromhex("02000000") + b"\xff" * 9).hex().encode() + b"\n")
put("proof/hostile-json-branch-16", b'{"txid":"' + b"1" * 64 + b'","block_height":1,"pos":0,"merkle":[' +
    b",".join([b'"' + b"2" * 64 + b'"'] * 16) + b']}\n')
put("proof/hostile-cbor-pos-2e64", bytes.fromhex("a4647478696458201111111111111111111111111111111111111111111111111111111111111111"
    "6c626c6f636b5f68656967687401" + "63706f731bffffffffffffffff" + "666d65726b6c6580"))
PY

ls -l $out/*
