# test_helper.bash - shared by every tests/*.bats file.
#
# Load with `load test_helper` at the top of a .bats file, then call
# common_setup from setup(). Gives:
#   REPO, DATA (tests/data), PATH with the repo's bin/ and tests/tools/bin/ first,
#   CS_STORE=$BATS_TEST_TMPDIR/store (a store that does not exist yet),
#   helpers to cut headers out of the shipped files, to hash them independently
#   of the code under test, and to decode CBOR with Debian's python3-cbor2.

bats_require_minimum_version 1.5.0

# Debian's bats-support and bats-assert (dpkg -L bats-assert).
BATS_LIB_DIR=${BATS_LIB_DIR:-/usr/lib/bats}
load "$BATS_LIB_DIR/bats-support/load.bash"
load "$BATS_LIB_DIR/bats-assert/load.bash"

REPO=$(cd "$BATS_TEST_DIRNAME/.." && pwd)
DATA=$REPO/tests/data
PATH=$REPO/bin:$REPO/tests/tools/bin:$PATH
export REPO DATA PATH

# Debian's python3, which has python3-cbor2 (the python3 first on PATH may not).
PY=/usr/bin/python3

MAINNET=$DATA/mainnet/headers_0-10236.bin
TESTNET3=$DATA/testnet3/headers_0-35141.bin
SIGNET=$DATA/signet/headers_0-2015.bin
REORG=$DATA/mainnet/btcd_reorg
BTCD_BLOCKS=$DATA/blocks/btcd_blocks_1-255.dat

# Published values (tests/data/expected_values.csv, shared/data/README.md).
GENESIS_MAINNET=000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f
GENESIS_TESTNET3=000000000933ea01ad0ee984209779baaec3ced90fa3f408719526f8d77f4943
GENESIS_TESTNET4=00000000da84f2bafbbc53dee25a72ae507ff4914b867c565be350b0da8bf043
GENESIS_SIGNET=00000008819873e925422c1ff0f99f7cc9bbb232af63a077a480a3633bee1ef6
GENESIS_REGTEST=0f9188f13cb7b2c71f2a335e3a4fc328bf5beb436012afca590b1a11466e2206
CW_GENESIS=0000000000000000000000000000000000000000000000000000000100010001
HASH_1=00000000839a8e6886ab5951d76f411475428afc90947ee320161bbf18eb6048
HASH_1000=00000000c937983704a73af28acdec37b049d214adbda81d7e2a3dd146f6ed09
HASH_10000=0000000099c744455f58e6c6e98b671e1bf7f37346bfd4cf5d0274ad8ee660cb
CW_10000=0000000000000000000000000000000000000000000000000000271127112711
HASH_10236=000000004f74d42205b9d7ae1cb5c1591e723894a71358fce73b7e0919628161
CW_10236=000000000000000000000000000000000000000000000000000027fd27fd27fd
TESTNET3_HASH_35141=0000000000dde6ce4b9ad1e2a5be59f1b7ace6ef8d077d846263b0bfbc984f7f
TESTNET3_CW_35141=0000000000000000000000000000000000000000000000000007cfab511dd7d4
SIGNET_HASH_2015=000000c0a3841a6ae64c45864ae25314b40fd522bfb299a4b6bd5ef288cae74d
SIGNET_CW_2015=0000000000000000000000000000000000000000000000000000000245661d80
# btcd reorg chain (tests/data/mainnet/btcd_reorg/headers.csv)
REORG_HASH_2=00000000952ccb1bf9b799fcd0cc654dd48363f76781f8b1c61dbf1696c39f97
REORG_HASH_3=00000000bc3589303953766cc9364130cb97bc3749bae170f476d45f1e23f850
REORG_HASH_4=000000002f264d6504013e73b9c913de9098d4d771c1bb219af475d2a01b128e
REORG_HASH_3A=00000000474284d20067a4d33f6a02284e6ef70764a3a26d6a5b9df52ef663dd
REORG_HASH_4A=00000000551dc04c148242d1f648802577df8cf7d4e1b469211016280204a2bf
REORG_HASH_5A=00000000195f85184e77c18914bd0febd11278d950f5e4731a38f71ed79f044e

common_setup() {
	CS_STORE=$BATS_TEST_TMPDIR/store
	export CS_STORE
	# a test never waits long for a store held by a stray process
	export CS_WAIT=10
	# a tester's own default format would change what every test reads
	unset CS_FORMAT
	# the tools' temporary files (readers' private copies) stay in the
	# test's own directory: tests running side by side see only their own
	TMPDIR=$BATS_TEST_TMPDIR/tmp
	mkdir -p "$TMPDIR" || return 1
	export TMPDIR
	cd "$BATS_TEST_TMPDIR" || return 1
}

# headers FILE FROM TO: raw headers FROM..TO (inclusive, counted from the
# file's first header) of a shipped .bin file, to stdout.
headers() {
	dd if="$1" bs=80 skip="$2" count=$(($3 - $2 + 1)) status=none
}

# header_hex FILE N: header N of FILE in hex (wire order), one line.
header_hex() {
	headers "$1" "$2" "$2" | xxd -p -c 80
}

# display_hash_of_hex HEX: sha256d of a hex header, display (reversed) hex.
# Computed with python's hashlib, not with the code under test.
display_hash_of_hex() {
	"$PY" -c 'import hashlib, sys
h = bytes.fromhex(sys.argv[1])
print(hashlib.sha256(hashlib.sha256(h).digest()).digest()[::-1].hex())' "$1"
}

# hash_at N: display hash of mainnet header N, from the shipped file.
hash_at() {
	display_hash_of_hex "$(header_hex "$MAINNET" "$1")"
}

# reverse_hex HEX: display order <-> internal order of a hash.
reverse_hex() {
	"$PY" -c 'import sys; print(bytes.fromhex(sys.argv[1])[::-1].hex())' "$1"
}

# cbor2json [FILE|-]: decode a CBOR sequence (RFC 8742) into JSON Lines, one
# item a line: byte strings as hex (in the order they are stored), tag-2
# bignums as integers, other tags as {"tag": N, "value": V}. Keeps NUL bytes
# out of $output. Exits 1 on malformed or trailing bytes.
cbor2json() {
	"$PY" -c '
import io, json, sys
import cbor2

def conv(o):
    if isinstance(o, (bytes, bytearray)):
        return o.hex()
    if isinstance(o, dict):
        return {(k if isinstance(k, str) else json.dumps(conv(k))): conv(v)
                for k, v in o.items()}
    if isinstance(o, (list, tuple)):
        return [conv(x) for x in o]
    if isinstance(o, cbor2.CBORTag):
        return {"tag": o.tag, "value": conv(o.value)}
    return o

path = sys.argv[1] if len(sys.argv) > 1 else "-"
data = sys.stdin.buffer.read() if path == "-" else open(path, "rb").read()
fp = io.BytesIO(data)
dec = cbor2.CBORDecoder(fp)
while fp.tell() < len(data):
    try:
        item = dec.decode()
    except Exception as e:
        sys.exit("cbor2json: byte %d: %s" % (fp.tell(), e))
    print(json.dumps(conv(item), sort_keys=True))
' "${1:--}"
}

# cbor_keys FILE: the sorted keys of each CBOR map in FILE, one line each,
# space separated.
cbor_keys() {
	"$PY" -c '
import io, sys, cbor2
data = open(sys.argv[1], "rb").read()
fp = io.BytesIO(data)
dec = cbor2.CBORDecoder(fp)
while fp.tell() < len(data):
    print(" ".join(sorted(dec.decode().keys())))
' "$1"
}

# build_mainnet_10k: the cached mainnet store of headers 0..10236 in
# $BATS_FILE_TMPDIR, built once per .bats file (call it from setup_file).
build_mainnet_10k() {
	local cache=$BATS_FILE_TMPDIR/mainnet10k
	[[ -e $cache.done ]] && return 0
	# one builder at a time, should tests of one file run side by side
	(
		flock 9 || exit
		[[ -e $cache.done ]] && exit 0
		rm -rf "$cache"
		cs-init -q -s "$cache" || exit
		cs-put -q -s "$cache" -f raw "$MAINNET" || exit
		touch "$cache.done"
	) 9>"$cache.lock"
}

# init_mainnet_10k [DIR]: make DIR (default $CS_STORE) a mainnet store holding
# the real headers 0..10236, as a copy of the cached one (cp -a), so that
# each test gets a fresh store cheaply.
init_mainnet_10k() {
	local dir=${1:-$CS_STORE}
	build_mainnet_10k || return
	cp -a "$BATS_FILE_TMPDIR/mainnet10k" "$dir"
}

# tip_field FIELD [cs-tip args...]: one field of cs-tip -f json.
tip_field() {
	local field=$1
	shift
	cs-tip -f json "$@" | jq -r ".$field"
}

# store_dump [DIR]: every main-chain header of a store in hex, into stdout;
# used to check that a store did not change.
store_dump() {
	cs-get -s "${1:-$CS_STORE}" --range 0.. -f hex
}

# Assertions on $stderr (run --separate-stderr); bats-assert 2.1 has none.
assert_err_contains() {
	if [[ $stderr != *"$1"* ]]; then
		batslib_print_kv_single_or_multi 8 expected "$1" stderr "$stderr" |
			batslib_decorate 'stderr does not contain substring' | fail
	fi
}

assert_err_regex() {
	if ! [[ $stderr =~ $1 ]]; then
		batslib_print_kv_single_or_multi 8 regex "$1" stderr "$stderr" |
			batslib_decorate 'stderr does not match regular expression' | fail
	fi
}

assert_err_equal() {
	if [[ $stderr != "$1" ]]; then
		batslib_print_kv_single_or_multi 8 expected "$1" stderr "$stderr" |
			batslib_decorate 'stderr differs' | fail
	fi
}

assert_err_empty() {
	if [[ -n $stderr ]]; then
		batslib_print_kv_single_or_multi 8 stderr "$stderr" |
			batslib_decorate 'stderr is not empty' | fail
	fi
}

# wait_locked FILE: wait (up to 5 s) until another process holds FILE's flock.
wait_locked() {
	local i
	for ((i = 0; i < 100; i++)); do
		flock -n "$1" true 2>/dev/null || return 0
		sleep 0.05
	done
	echo "wait_locked: '$1' never got locked" >&2
	return 1
}

# raw2cbor: raw 80-byte headers on stdin -> CBOR sequence of 80-byte byte
# strings (each item 82 bytes) on stdout.
raw2cbor() {
	"$PY" -c 'import sys, cbor2
d = sys.stdin.buffer.read()
sys.stdout.buffer.write(b"".join(cbor2.dumps(d[i:i + 80]) for i in range(0, len(d), 80)))'
}

# flip_nonce: raw headers on stdin -> the same with the first nonce byte of
# each flipped (byte 76), so that proof of work fails.
flip_nonce() {
	"$PY" -c 'import sys
d = bytearray(sys.stdin.buffer.read())
for i in range(76, len(d), 80):
    d[i] ^= 0xff
sys.stdout.buffer.write(d)'
}

# assert_json FILTER EXPECTED: jq -r FILTER applied to $output equals EXPECTED.
assert_json() {
	local got
	got=$(jq -r "$1" <<<"$output") || fail "assert_json: output is not JSON: $output"
	assert_equal "$got" "$2"
}

# btcd_tx_counts: "HEIGHT COUNT" for each of btcd's blocks 1..255, the
# number of transactions counted by python from the file (the varint after
# each 80-byte header), independently of the code under test.
btcd_tx_counts() {
	"$PY" -c 'import struct, sys
d = open(sys.argv[1], "rb").read()
i = h = 0
while i < len(d):
    size = struct.unpack_from("<I", d, i + 4)[0]
    b = d[i + 8:i + 8 + size]
    i += 8 + size
    h += 1
    c = b[80]
    n = c if c < 0xfd else struct.unpack_from({0xfd: "<H", 0xfe: "<I", 0xff: "<Q"}[c], b, 81)[0]
    print(h, n)' "$BTCD_BLOCKS"
}

# has_genchain: true when the regtest chain generator is built.
has_genchain() {
	command -v cs-genchain >/dev/null 2>&1
}
