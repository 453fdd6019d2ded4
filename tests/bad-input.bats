#!/usr/bin/env bats
# Bad input, one case a test (the table of cs(7) "Bad input"): for
# each, the exact exit status, the exact message on stderr, nothing on
# stdout, and the store exactly as it was (its export compared before and
# after). Every case is the first item of its input, so nothing of it may
# land. The store: mainnet headers 0..20, bodies of blocks 1..5.

load test_helper

setup_file() {
	local base=$BATS_FILE_TMPDIR/base
	cs-init -q -s "$base"
	headers "$MAINNET" 0 20 >"$BATS_FILE_TMPDIR/h0-20"
	cs-put -q -s "$base" -f raw "$BATS_FILE_TMPDIR/h0-20"
	"$PY" -c 'import sys, struct
d = open(sys.argv[1], "rb").read()
p = 0
for _ in range(5):
    p += 8 + struct.unpack("<I", d[p + 4:p + 8])[0]
sys.stdout.buffer.write(d[:p])' "$BTCD_BLOCKS" >"$BATS_FILE_TMPDIR/blk1-5"
	cs-put -q -s "$base" -f blk "$BATS_FILE_TMPDIR/blk1-5"
	CS_STORE=$base export_store >"$BATS_FILE_TMPDIR/export"
}

setup() {
	common_setup
	cp -a "$BATS_FILE_TMPDIR/base" "$CS_STORE"
}

# export_store: everything a user can read of the store: every main-chain
# entry, the stored bodies, every chain tip.
export_store() {
	cs-get --range 0.. -f json
	cs-get --range 1..5 --body -f hex
	cs-tip --all -f json
}

# mk EXPR: writes the bytes of the Python expression EXPR to ./input. In it,
# H[i] is mainnet header i (0..20), B[i] mainnet block i (1..10, from btcd's
# file, header and body); cbor() is cbor2.dumps, tag() a CBOR tag, sha256d(), display() (a hash in
# display hex), frame() (blk*.dat framing, mainnet magic), body(b) (b's count
# and transactions), zero(n) n zero bytes.
mk() {
	"$PY" -c '
import hashlib, struct, sys
import cbor2
d = open(sys.argv[2], "rb").read(80 * 21)
H = [d[i * 80:(i + 1) * 80] for i in range(21)]
raw = open(sys.argv[3], "rb").read()
B, p = [None], 0
for _ in range(10):
    n = struct.unpack("<I", raw[p + 4:p + 8])[0]
    B.append(raw[p + 8:p + 8 + n])
    p += 8 + n
cbor = cbor2.dumps
tag = cbor2.CBORTag
def sha256d(x): return hashlib.sha256(hashlib.sha256(x).digest()).digest()
def display(h): return h[::-1].hex()
def frame(b, magic=bytes.fromhex("f9beb4d9")): return magic + struct.pack("<I", len(b)) + b
def body(b): return b[80:]
def zero(n): return bytes(n)
out = eval(sys.argv[1])
if isinstance(out, str):
    out = out.encode()
open("input", "wb").write(out)
' "$1" "$MAINNET" "$BTCD_BLOCKS"
}

# bad STATUS MESSAGE COMMAND...: COMMAND, reading ./input on stdin, exits
# STATUS with MESSAGE (exactly) on stderr and nothing on stdout, and the
# store's export is the same as before (the base store's, made once).
bad() {
	local status=$1 message=$2
	shift 2
	[[ -s $BATS_FILE_TMPDIR/export ]] || fail "the base store has no export"
	run "-$status" --separate-stderr "$@" <input
	assert_output ''
	assert_err_equal "$message"
	export_store >after
	run -0 cmp "$BATS_FILE_TMPDIR/export" after
}

# put_bad STATUS MESSAGE [cs-put options]: bad, with cs-put -q.
put_bad() {
	local status=$1 message=$2
	shift 2
	bad "$status" "cs-put: item 1 at byte 0: $message" cs-put -q "$@"
}

# --- CBOR: truncated and malformed ---------------------------------------

@test "cbor: a header byte string cut short" {
	mk 'cbor(H[11])[:40]'
	put_bad 65 'truncated item'
}

@test "cbor: an item head cut short (a 2-byte length with 1 byte)" {
	mk 'b"\x59\x01"'
	put_bad 65 'truncated item'
}

@test "cbor: an entry map cut short after its first key" {
	mk 'cbor({"header": H[11], "height": 11})[:10]'
	put_bad 65 'truncated item'
}

@test "cbor: a reserved additional-information value (0x1c)" {
	mk 'b"\x1c"'
	put_bad 65 'malformed CBOR'
}

@test "cbor: a break (0xff) outside an indefinite-length item" {
	mk 'b"\xff"'
	put_bad 65 'unexpected break'
}

# --- CBOR: huge declared lengths ------------------------------------------

@test "cbor: an array declaring 2^27 elements (5 bytes)" {
	mk 'b"\x9a\x08\x00\x00\x00"'
	put_bad 65 'array longer than a locator (101 hashes)'
}

@test "cbor: a map declaring 2^32-1 pairs" {
	mk 'b"\xba\xff\xff\xff\xff" + cbor("header")'
	put_bad 65 'map has more keys than an entry'
}

@test "cbor: a byte string declaring 2^64-8 bytes" {
	mk 'b"\x5b\xff\xff\xff\xff\xff\xff\xff\xf8" + H[11]'
	put_bad 65 'byte string declares 18446744073709551608 bytes, more than any entry holds'
}

@test "cbor: a text string declaring 4 GiB" {
	mk 'b"\x7a\xff\xff\xff\xff" + b"x" * 100'
	put_bad 65 'text string declares 4294967295 bytes, more than any entry holds'
}

# --- CBOR: indefinite lengths ---------------------------------------------

@test "cbor: an indefinite-length map" {
	mk 'b"\xbf" + cbor("header") + cbor(H[11]) + b"\xff"'
	put_bad 65 'indefinite-length item'
}

@test "cbor: an indefinite-length byte string holding a header" {
	mk 'b"\x5f" + cbor(H[11][:40]) + cbor(H[11][40:]) + b"\xff"'
	put_bad 65 'indefinite-length item'
}

@test "cbor: an indefinite-length array" {
	mk 'b"\x9f" + cbor(sha256d(H[0])) + b"\xff"'
	put_bad 65 'indefinite-length item'
}

@test "cbor: an indefinite-length text string as a key" {
	mk 'b"\xa1\x7f" + cbor("header") + b"\xff" + cbor(H[11])'
	put_bad 65 'indefinite-length item'
}

# --- CBOR: deep nesting ---------------------------------------------------

@test "cbor: maps nested 100000 deep" {
	mk 'b"\xa1\x61x" * 100000 + b"\x00"'
	put_bad 65 'nesting deeper than an entry'
}

@test "cbor: arrays nested 100000 deep" {
	mk 'b"\x81" * 100000 + b"\x00"'
	put_bad 65 'nesting deeper than an entry'
}

@test "cbor: an entry inside an entry" {
	mk 'cbor({"header": {"header": H[11]}})'
	put_bad 65 'nesting deeper than an entry'
}

@test "cbor: a tag inside a tag (chainwork)" {
	mk 'cbor({"header": H[11], "chainwork": tag(2, tag(2, b"\x01"))})'
	put_bad 65 'unexpected tag'
}

# --- CBOR: wrong types ----------------------------------------------------

@test "cbor: an unsigned integer is not an entry" {
	mk 'cbor(5)'
	put_bad 65 'an integer is not an entry'
}

@test "cbor: an array (a locator) is not an entry" {
	mk 'cbor([sha256d(H[0])])'
	put_bad 65 'an array is not an entry'
}

@test "cbor: a text string is not an entry" {
	mk 'cbor("header")'
	put_bad 65 'unexpected text string'
}

@test "cbor: a negative integer is not an entry" {
	mk 'cbor(-1)'
	put_bad 65 'unexpected negative integer'
}

@test "cbor: a float is not an entry" {
	mk 'cbor(1.5)'
	put_bad 65 'unexpected float'
}

@test "cbor: null is not an entry" {
	mk 'cbor(None)'
	put_bad 65 'unexpected null'
}

@test "cbor: a tag other than 2 (a header in tag 24)" {
	mk 'cbor(tag(24, H[11]))'
	put_bad 65 'unexpected tag'
}

@test "cbor: a byte string of 79 bytes is not a header" {
	mk 'cbor(H[11][:79])'
	put_bad 65 'byte string of 79 bytes is not a header'
}

@test "cbor: an entry map with an integer key" {
	mk 'cbor({1: H[11]})'
	put_bad 65 'map key is not a text string'
}

@test "cbor: an entry map whose header is an integer" {
	mk 'cbor({"header": 11})'
	put_bad 65 'wrong type for an entry field'
}

@test "cbor: an entry map whose header is a text string" {
	mk 'cbor({"header": H[11].hex()})'
	put_bad 65 'unexpected text string'
}

@test "cbor: an entry map whose height is a byte string" {
	mk 'cbor({"header": H[11], "height": b"\x0b"})'
	put_bad 65 'wrong type for an entry field'
}

@test "cbor: an entry map whose hash is 31 bytes" {
	mk 'cbor({"header": H[11], "hash": sha256d(H[11])[:31]})'
	put_bad 65 'hash is not 32 bytes'
}

@test "cbor: an entry map whose status is neither main nor fork" {
	mk 'cbor({"header": H[11], "status": "stale"})'
	put_bad 65 'status is neither "main" nor "fork"'
}

@test "cbor: an entry map whose status is main capitalised" {
	mk 'cbor({"header": H[11], "status": "Main"})'
	put_bad 65 'status is neither "main" nor "fork"'
}

@test "cbor: an entry map whose status is an integer" {
	mk 'cbor({"header": H[11], "status": 1})'
	put_bad 65 'wrong type for an entry field'
}

@test "cbor: an entry map whose status is main as a byte string" {
	mk 'cbor({"header": H[11], "status": b"main"})'
	put_bad 65 'wrong type for an entry field'
}

@test "cbor: an entry map with the key header twice" {
	mk 'b"\xa2" + cbor("header") + cbor(H[11]) + cbor("header") + cbor(H[11])'
	put_bad 65 'duplicate key in entry'
}

@test "cbor: an entry map whose chainwork is wider than 256 bits" {
	mk 'cbor({"header": H[11], "chainwork": tag(2, b"\x01" * 33)})'
	put_bad 65 'bignum wider than 256 bits'
}

@test "cbor: an entry map with more keys than an entry has" {
	mk 'cbor({"header": H[11], **{"x%d" % i: i for i in range(32)}})'
	put_bad 65 'map has more keys than an entry'
}

@test "cbor: an entry map without a header" {
	mk 'cbor({"hash": sha256d(H[11])})'
	put_bad 65 'entry has no header'
}

@test "cbor: an entry map whose header is 81 bytes" {
	mk 'cbor({"header": H[11] + b"\x00"})'
	put_bad 65 'header is 81 bytes, not 80'
}

@test "cbor: an entry map whose header is over 65536 bytes" {
	mk 'cbor({"header": zero(65537)})'
	put_bad 65 'header longer than 65536 bytes'
}

# --- chain rules: proof of work, parents, claims that do not match -------

@test "bad proof of work: header 11 with its nonce changed" {
	mk 'H[11][:76] + bytes([H[11][76] ^ 0xff]) + H[11][77:]'
	put_bad 65 'bad proof of work (high-hash)' -f raw
}

@test "bad proof of work: a target above mainnet's limit (bits 0x1e00ffff)" {
	mk 'H[11][:72] + bytes.fromhex("ffff001e") + H[11][76:]'
	put_bad 65 "bad proof of work: target above the network's limit (high-hash)" -f raw
}

@test "bad proof of work: a zero target (bits 0)" {
	mk 'H[11][:72] + zero(4) + H[11][76:]'
	put_bad 65 'bad proof of work: negative, zero or overflowing target (high-hash)' -f raw
}

@test "unknown parent: mainnet header 300000 (as the last item)" {
	headers "$DATA/mainnet/headers_300000-300499.bin" 0 0 >input
	local parent
	parent=$("$PY" -c 'import sys; print(open(sys.argv[1], "rb").read(80)[4:36][::-1].hex())' input)
	put_bad 65 "unknown parent $parent" -f raw
}

@test "mismatching hash: an entry map whose hash is another header's" {
	mk 'cbor({"hash": sha256d(H[12]), "header": H[11]})'
	put_bad 65 "hash does not match its header: $(display_hash_of_hex "$(header_hex "$MAINNET" 12)")"
}

@test "mismatching hash: given in display order instead of internal" {
	mk 'cbor({"hash": sha256d(H[11])[::-1], "header": H[11]})'
	put_bad 65 "hash does not match its header: $(reverse_hex "$(display_hash_of_hex "$(header_hex "$MAINNET" 11)")")"
}

@test "mismatching height: an entry map claiming height 12 for header 11" {
	mk 'cbor({"header": H[11], "height": 12})'
	put_bad 65 "height 12 does not match the store's 11"
}

@test "mismatching chainwork: an entry map claiming the chainwork of height 12" {
	mk 'cbor({"header": H[11], "chainwork": tag(2, (0x100010001 * 13).to_bytes(5, "big"))})'
	put_bad 65 "chainwork does not match the store's 0000000000000000000000000000000000000000000000000000000c000c000c"
}

@test "mismatching prev: an entry map whose prev is not its header's" {
	mk 'cbor({"header": H[11], "prev": sha256d(H[11])})'
	put_bad 65 "prev does not match its header: $(display_hash_of_hex "$(header_hex "$MAINNET" 11)")"
}

# --- bodies ---------------------------------------------------------------

@test "oversized body: a byte string of a header and 4000001 bytes" {
	mk 'cbor(H[11] + zero(4000001))'
	put_bad 65 'byte string longer than a block'
}

@test "oversized body: an entry map whose body is 4000001 bytes" {
	mk 'cbor({"header": H[11], "body": zero(4000001)})'
	put_bad 65 'body longer than 4000000 bytes'
}

@test "oversized body: blk framing declaring 4000081 bytes" {
	mk 'frame(H[11] + zero(4000001))'
	put_bad 65 'block length 4000081 out of range' -f blk
}

@test "oversized body: a hex line of 4000081 bytes" {
	mk '(H[11] + zero(4000001)).hex() + "\n"'
	put_bad 65 'hex line of 8000162 digits is not a header or block' -f hex
}

@test "oversized body: a JSON body of 4000001 bytes" {
	mk '"{\"header\": \"%s\", \"body\": \"%s\"}\n" % (H[11].hex(), "00" * 4000001)'
	put_bad 65 'body is not hex of at most 4000000 bytes' -f json
}

@test "bad merkle root: block 6 with a byte of its coinbase changed" {
	# block 6 has one transaction: the root of the damaged body is its txid
	mk 'frame(B[6][:-10] + bytes([B[6][-10] ^ 0xff]) + B[6][-9:])'
	local computed header
	computed=$("$PY" -c 'import hashlib, sys
b = open("input", "rb").read()[8 + 80:]
assert b[0] == 1
print(hashlib.sha256(hashlib.sha256(b[1:]).digest()).digest()[::-1].hex())')
	header=$("$PY" -c 'import sys; print(open("input", "rb").read()[8 + 36:8 + 68][::-1].hex())')
	put_bad 65 "merkle root $computed does not match the header's $header" -f blk
}

@test "bad body: block 6 cut 10 bytes short (its output script runs past the end)" {
	mk 'frame(B[6][:-10])'
	put_bad 65 "body byte 64: transaction 0: truncated output script (67 bytes declared, 61 left)" -f blk
}

@test "bad body: block 6 with a byte after its last transaction" {
	mk 'frame(B[6] + b"\x00")'
	put_bad 65 'body byte 135: trailing bytes after the last transaction' -f blk
}

@test "bad body: a block of no transactions" {
	mk 'frame(H[6] + b"\x00")'
	put_bad 65 'body byte 0: block has no transactions' -f blk
}

@test "bad body: a transaction count of 2^32 in 9 bytes" {
	mk 'frame(H[6] + b"\xff\x00\x00\x00\x00\x01\x00\x00\x00" + body(B[6])[1:])'
	put_bad 65 'body byte 0: 4294967296 transactions cannot fit in the 134 bytes left' -f blk
}

@test "bad body: a merkle tree mutated by a repeated transaction (CVE-2012-2459)" {
	# block 277647 has 213 transactions: repeating the last keeps the root
	"$PY" -c 'import sys, struct
b = open(sys.argv[1], "rb").read()
# the last transaction: parse the body to find where it starts
def compact(d, p):
    x = d[p]
    if x < 0xfd: return x, p + 1
    w = {0xfd: 2, 0xfe: 4, 0xff: 8}[x]
    return int.from_bytes(d[p + 1:p + 1 + w], "little"), p + 1 + w
def tx_end(d, p):
    p += 4
    n, p = compact(d, p)
    for _ in range(n):
        p += 36
        l, p = compact(d, p)
        p += l + 4
    n, p = compact(d, p)
    for _ in range(n):
        p += 8
        l, p = compact(d, p)
        p += l
    return p + 4
count, p = compact(b, 80)
assert count == 213
for _ in range(212):
    p = tx_end(b, p)
last = b[p:]
blk = b[:80] + bytes([214]) + b[81:] + last
open("input", "wb").write(bytes.fromhex("f9beb4d9") + struct.pack("<I", len(blk)) + blk)
' "$DATA/blocks/block_277647.raw"
	put_bad 65 'merkle tree is mutated: repeated transactions (CVE-2012-2459)' -f blk
}

# --- blk framing ----------------------------------------------------------

@test "blk: a wrong magic (testnet3's on a mainnet store)" {
	mk 'frame(B[6], bytes.fromhex("0b110907"))'
	put_bad 65 'bad magic 0b110907 (expected f9beb4d9)' -f blk
}

@test "blk: a length that runs past the end of the input" {
	mk 'frame(B[6])[:200]'
	put_bad 65 'truncated block' -f blk
}

@test "blk: a length below 80" {
	mk 'frame(H[6][:10])'
	put_bad 65 'block length 10 out of range' -f blk
}

@test "blk: a frame head cut short" {
	mk 'frame(B[6])[:6]'
	put_bad 65 'truncated block' -f blk
}

# --- raw ------------------------------------------------------------------

@test "raw: 79 bytes" {
	mk 'H[11][:79]'
	put_bad 65 'truncated header (79 bytes, not 80)' -f raw
}

# --- hex lines ------------------------------------------------------------

@test "hex: a line with a non-hex character" {
	mk 'H[11].hex()[:40] + "g" + H[11].hex()[41:] + "\n"'
	put_bad 65 'bad hex digit' -f hex
}

@test "hex: a line of an odd number of digits" {
	mk 'H[11].hex()[:159] + "\n"'
	put_bad 65 'hex line of 159 digits is not a header or block' -f hex
}

@test "hex: a line of 79 bytes" {
	mk 'H[11].hex()[:158] + "\n"'
	put_bad 65 'hex line of 158 digits is not a header or block' -f hex
}

@test "hex: a header in display (reversed) order" {
	mk 'H[11][::-1].hex() + "\n"'
	put_bad 65 'bad proof of work: negative, zero or overflowing target (high-hash)' -f hex
}

# --- JSON lines -----------------------------------------------------------

@test "json: a line that is not JSON" {
	mk '"{\"header\": \"0100\n"'
	put_bad 65 "bad JSON: premature end of input near '\"0100'" -f json
}

@test "json: a line that is an array, not an object" {
	mk '"[1, 2]\n"'
	put_bad 65 'JSON line is not an object' -f json
}

@test "json: a key given twice" {
	mk '"{\"header\": \"%s\", \"header\": \"%s\"}\n" % (H[11].hex(), H[11].hex())'
	put_bad 65 "bad JSON: duplicate object key near '\"header\"'" -f json
}

@test "json: a hash that is not 64 hex digits" {
	mk '"{\"header\": \"%s\", \"hash\": \"%s\"}\n" % (H[11].hex(), display(sha256d(H[11]))[:63])'
	put_bad 65 'hash is not 64 hex digits' -f json
}

@test "json: a header that is not hex" {
	mk '"{\"header\": \"%s\"}\n" % ("zz" + H[11].hex()[2:])'
	put_bad 65 'header is not hex of at most 65536 bytes' -f json
}

@test "json: a header that is a number" {
	mk '"{\"header\": 11}\n"'
	put_bad 65 'header is not hex of at most 65536 bytes' -f json
}

@test "json: a negative height" {
	mk '"{\"header\": \"%s\", \"height\": -1}\n" % H[11].hex()'
	put_bad 65 'height is not a non-negative integer' -f json
}

@test "json: a status that is neither main nor fork" {
	mk '"{\"header\": \"%s\", \"status\": \"stale\"}\n" % H[11].hex()'
	put_bad 65 'status is neither "main" nor "fork"' -f json
}

@test "json: a status of main capitalised" {
	mk '"{\"header\": \"%s\", \"status\": \"Main\"}\n" % H[11].hex()'
	put_bad 65 'status is neither "main" nor "fork"' -f json
}

@test "json: a status that is an integer" {
	mk '"{\"header\": \"%s\", \"status\": 1}\n" % H[11].hex()'
	put_bad 65 'status is neither "main" nor "fork"' -f json
}

@test "json: a chainwork that is not hex" {
	mk '"{\"header\": \"%s\", \"chainwork\": \"xyz\"}\n" % H[11].hex()'
	put_bad 65 'chainwork is not 64 hex digits' -f json
}

@test "json: a header given in display order (its hash then fails)" {
	mk '"{\"header\": \"%s\"}\n" % H[11][::-1].hex()'
	put_bad 65 'bad proof of work: negative, zero or overflowing target (high-hash)' -f json
}

# --- locators (cs-locator --headers) --------------------------------------

@test "locator: a CBOR array of 102 hashes" {
	mk 'cbor([sha256d(H[i % 21]) for i in range(102)])'
	bad 65 'cs-locator: item 1 at byte 0: array longer than a locator (101 hashes)' cs-locator --headers
}

@test "locator: a JSON array of 102 hashes" {
	mk '"[%s]\n" % ", ".join("\"%s\"" % display(sha256d(H[i % 21])) for i in range(102))'
	bad 65 'cs-locator: item 1 at byte 0: locator of 102 hashes is longer than 101' cs-locator --headers
}

@test "locator: 102 display-hex lines" {
	mk '"".join(display(sha256d(H[i % 21])) + "\n" for i in range(102))'
	bad 65 'cs-locator: item 102 at byte 6565: locator longer than 101 hashes' cs-locator --headers
}

@test "locator: 101 CBOR hashes then one more array (102 in all)" {
	mk 'cbor([sha256d(H[i % 21]) for i in range(101)]) + cbor([sha256d(H[0])])'
	bad 65 'cs-locator: item 2 at byte 3436: locator longer than 101 hashes' cs-locator --headers
}

@test "locator: an element of 31 bytes" {
	mk 'cbor([sha256d(H[1]), sha256d(H[0])[:31]])'
	bad 65 'cs-locator: item 1 at byte 0: locator element is not a 32-byte hash' cs-locator --headers
}

@test "locator: a JSON element that is not 64 hex digits" {
	mk '"[\"%s\", \"00\"]\n" % display(sha256d(H[1]))'
	bad 65 'cs-locator: item 1 at byte 0: locator element 2 is not 64 hex digits' cs-locator --headers
}

@test "locator: a height where a hash belongs" {
	mk '"%s\n5\n" % display(sha256d(H[1]))'
	bad 65 'cs-locator: item 2 at byte 65: a height is not a locator hash' cs-locator --headers
}

@test "locator: a CBOR locator cut short" {
	mk 'cbor([sha256d(H[1]), sha256d(H[0])])[:40]'
	bad 65 'cs-locator: item 1 at byte 0: truncated item' cs-locator --headers
}

# --- keys (cs-get -) ------------------------------------------------------

@test "keys: a line that is neither a hash nor a height" {
	mk '"abc\n"'
	bad 65 "cs-get: item 1 at byte 0: line is neither a 64-digit hash nor a height" cs-get -f json -
}

@test "keys: a height line of 11 digits" {
	mk '"12345678901\n0\n"'
	bad 65 "cs-get: item 1 at byte 0: line is neither a 64-digit hash nor a height" cs-get -f json -
}

@test "keys: a line whose first byte is not hex is read as CBOR (a text head)" {
	mk '"xyz\n"'
	bad 65 "cs-get: item 1 at byte 0: truncated item" cs-get -f json -
}

@test "keys: a CBOR byte string of 31 bytes" {
	mk 'cbor(sha256d(H[1])[:31])'
	bad 65 "cs-get: item 1 at byte 0: byte string of 31 bytes is not a hash" cs-get -f json -
}

@test "keys: a CBOR height over 2^32-1" {
	mk 'cbor(2 ** 32)'
	bad 65 "cs-get: item 1 at byte 0: height 4294967296 out of range" cs-get -f json -
}

@test "keys: an entry with neither hash nor header" {
	mk 'cbor({"height": 5})'
	bad 65 "cs-get: item 1 at byte 0: entry has no hash" cs-get -f json -
}

# --- proofs (cs-verify; the table in cs-verify(1)) ---------------------------

# P(n, hashes, flags): a CMerkleBlock on header 5 claiming n transactions,
# with the given hashes and flag bytes, in hex.
PROOF='(lambda n, hashes, flags: (H[5] + struct.pack("<I", n) + bytes([len(hashes)]) + b"".join(hashes) + bytes([len(flags)]) + bytes(flags)).hex() + "\n")'

verify_bad() {
	bad 65 "cs-verify: item 1 at byte 0: $1" cs-verify -f json
}

@test "proof: a CMerkleBlock cut short" {
	mk "($PROOF)(2, [zero(32), zero(32)], [5])[:-5] + '\n'"
	verify_bad "proof of 149 bytes is truncated"
}

@test "proof: flag bits that do not use every hash" {
	mk "($PROOF)(2, [zero(32), zero(32)], [0])"
	verify_bad "proof has 1 hash left over"
}

@test "proof: flag bits that run out" {
	mk "($PROOF)(4, [zero(32)], [0xff])"
	verify_bad "proof's hashes run out"
}

@test "proof: a flag byte more than the tree uses" {
	mk "($PROOF)(2, [zero(32), b'\x01' * 32], [5, 0])"
	verify_bad "proof has flag bytes left over"
}

@test "proof: unused flag bits that are not zero" {
	mk "($PROOF)(2, [zero(32), b'\x01' * 32], [0x85])"
	verify_bad "proof's unused flag bits are not zero"
}

@test "proof: more hashes than transactions" {
	mk "($PROOF)(2, [zero(32)] * 3, [7])"
	verify_bad "proof declares 3 hashes, more than its 2 transactions"
}

@test "proof: a hash count of 2^64-1 in 9 bytes" {
	mk "(H[5] + struct.pack('<I', 2) + b'\xff' * 9).hex() + '\n'"
	verify_bad "proof declares 18446744073709551615 hashes, more than its 2 transactions"
}

@test "proof: more transactions than a block holds (16667)" {
	mk "($PROOF)(16667, [zero(32)], [1])"
	verify_bad "proof claims 16667 transactions, more than a block holds (16666)"
}

@test "proof: a count of 0 transactions" {
	mk "($PROOF)(0, [], [])"
	verify_bad "proof claims a block of no transactions"
}

@test "proof: a tree that does not reach its header's root" {
	mk "($PROOF)(2, [zero(32), b'\x01' * 32], [5])"
	verify_bad "the proof's tree does not reach its header's merkle root"
}

@test "proof: a pos claiming more than 2^32 transactions (JSON)" {
	mk "'{\"txid\": \"' + '11' * 32 + '\", \"block_height\": 5, \"pos\": 4294967296, \"merkle\": []}\n'"
	verify_bad "pos 4294967296 claims more than 2^32 transactions"
}

@test "proof: a branch longer than a block's tree (16 hashes, CBOR)" {
	mk "cbor({'txid': zero(32), 'block_height': 5, 'pos': 0, 'merkle': [zero(32)] * 16})"
	verify_bad "branch of 16 hashes is longer than a block's tree (at most 15)"
}

@test "proof: a pos beyond its branch" {
	mk "'{\"txid\": \"' + '11' * 32 + '\", \"block_height\": 5, \"pos\": 2, \"merkle\": [\"' + '22' * 32 + '\"]}\n'"
	verify_bad "pos 2 is beyond a tree of 1 levels"
}

@test "proof: a branch that names no block" {
	mk "'{\"txid\": \"' + '11' * 32 + '\", \"pos\": 0, \"merkle\": []}\n'"
	verify_bad "proof names no block (block or block_height)"
}

@test "proof: a branch that does not reach the block's root" {
	mk "'{\"txid\": \"' + '11' * 32 + '\", \"block_height\": 5, \"pos\": 0, \"merkle\": []}\n'"
	verify_bad "the proof does not reach the merkle root of block $(hash_at 5)"
}

@test "proof: a first byte that starts no proof" {
	mk "b'\x01' + zero(10)"
	verify_bad "byte 0x01 starts no proof: hex lines, JSON lines or CBOR (binary CMerkleBlocks need --input raw)"
}

@test "proof: a height where cs-get --proof - wants a txid" {
	mk "'5\n'"
	bad 65 "cs-get: item 1 at byte 0: a height is not a txid" cs-get -f json --proof -
}
