#!/usr/bin/env bats
# valgrind memcheck on a representative run of every command: real headers
# and bodies in every input format, reads of every kind, bad input (the
# error paths free what they took too). Every run must have no memcheck
# error and no definite or indirect leak: valgrind's --error-exitcode makes
# either a wrong exit status, and its report must be empty.
#
# Skipped on a sanitizer build (make SANITIZE=...), whose binaries valgrind
# cannot run; make check on a plain build runs it.

load test_helper

setup_file() {
	command -v valgrind >/dev/null 2>&1 || return 0
	# Inputs and a store, made once without valgrind: headers 0..300 raw,
	# blocks 1..20 in blk framing; the store holds both.
	local d=$BATS_FILE_TMPDIR
	headers "$MAINNET" 0 300 >"$d/h0-300"
	"$PY" -c 'import sys, struct
d = open(sys.argv[1], "rb").read()
p = 0
for _ in range(20):
    p += 8 + struct.unpack("<I", d[p + 4:p + 8])[0]
sys.stdout.buffer.write(d[:p])' "$BTCD_BLOCKS" >"$d/blk1-20"
	cs-init -q -s "$d/store" && cs-put -q -s "$d/store" -f raw "$d/h0-300" &&
		cs-put -q -s "$d/store" -f blk "$d/blk1-20"
}

setup() {
	common_setup
	command -v valgrind >/dev/null 2>&1 || skip "valgrind is not installed (sh tests/tools/install-deps.sh)"
	if grep -q -e __asan_init -e __ubsan_handle "$REPO/bin/cs-put"; then
		skip "sanitizer build: valgrind cannot run it"
	fi
}

# vg COMMAND...: COMMAND under memcheck; exits 99 on any error or leak, and
# with COMMAND's own status otherwise; the report goes to stderr.
vg() {
	local log
	log=$(mktemp "$BATS_TEST_TMPDIR/vg.XXXXXX")
	valgrind -q --tool=memcheck --error-exitcode=99 --leak-check=full \
		--errors-for-leak-kinds=definite,indirect --show-leak-kinds=definite,indirect \
		--log-file="$log" "$@"
	local status=$?
	if [[ -s $log ]]; then
		cat "$log" >&2
		return 99
	fi
	return "$status"
}

# store: a copy of the store of headers 0..300 and bodies 1..20.
store() {
	cp -a "$BATS_FILE_TMPDIR/store" "$CS_STORE"
}

@test "valgrind: cs-init, every network and a custom genesis" {
	run -0 vg cs-init -q
	run -0 vg cs-init -q
	run -0 vg cs-init -q -s t3 --network testnet3
	run -0 vg cs-init -q -s custom --genesis "$(header_hex "$MAINNET" 0)"
	run -65 --separate-stderr vg cs-init -s t3 --network signet
}

@test "valgrind: cs-put of real headers (raw, cbor) and blocks (blk, hex, json)" {
	run -0 vg cs-init -q
	run -0 --separate-stderr vg cs-put -f raw "$BATS_FILE_TMPDIR/h0-300"
	assert_err_contains "301 read, 300 added"
	run -0 --separate-stderr vg cs-put -f blk "$BATS_FILE_TMPDIR/blk1-20"
	assert_err_contains "20 bodies"
	cs-get --range 1..20 --body -f json >blocks.json
	cs-get --range 1..20 --body -f hex >blocks.hex
	cs-get --range 0..300 -f cbor >all.cbor
	run -0 vg cs-put -q -s "$CS_STORE" -f json blocks.json
	for f in json hex; do
		cs-init -q -s "copy-$f"
		run -0 vg cs-put -q -s "copy-$f" -f "$f" "blocks.$f"
		run -0 cs-get -s "copy-$f" -n 17 --body -f json
		assert_json .height 17
	done
	cs-init -q -s copy-cbor
	run -0 vg cs-put -q -s copy-cbor all.cbor
	run -0 cs-tip -s copy-cbor -f json
	assert_json .height 300
}

@test "valgrind: cs-put of the btcd reorg chain, and of a fork from cs-genchain" {
	run -0 vg cs-init -q
	run -0 vg cs-put -q -f blk "$REORG/blk_0_to_4.dat" "$REORG/blk_3A.dat" "$REORG/blk_4A.dat" "$REORG/blk_5A.dat"
	run -0 cs-tip -f json
	assert_json .hash "$REORG_HASH_5A"
	has_genchain || skip "cs-genchain not built"
	cs-genchain -n 200 --fork-at 100 --fork-len 120 >fork.bin
	run -0 vg cs-init -q -s regtest --network regtest
	run -0 vg cs-put -q -s regtest -f raw fork.bin
	run -0 vg cs-tip -s regtest --all -f json
}

@test "valgrind: cs-get by hash, height, range, last, keys on stdin, bodies" {
	store
	run -0 vg cs-get -n 0 -n 170 -f json
	run -0 vg cs-get "$HASH_1" -f text
	run -0 vg cs-get --last 10 -f hex
	run -0 vg cs-get --range 1..20 --body -f cbor
	cs-get --range 0..5 -f cbor >keys.cbor
	run -0 vg cs-get -f json - <keys.cbor
	printf '0\n170\n%s\n' "$HASH_1" >keys.text
	run -0 vg cs-get -f json - <keys.text
	run -1 --separate-stderr vg cs-get -n 250 -n 5000 --body -f json
}

@test "valgrind: cs-tip and cs-tip --all" {
	store
	run -0 vg cs-tip -f json
	assert_json .height 300
	run -0 vg cs-tip --all -f text
}

@test "valgrind: cs-locator, and cs-locator --headers on CBOR, JSON and text locators" {
	store
	run -0 vg cs-locator -f json
	run -0 vg cs-locator --from "$HASH_1" -f text
	cs-locator -f cbor >loc.cbor
	cs-locator -f json >loc.json
	cs-locator -f text >loc.text
	for f in cbor json; do
		run -0 vg cs-locator --headers -f json <"loc.$f"
		assert_output ''
	done
	printf '%s\n' "$HASH_1" >one
	run -0 vg cs-locator --headers --max 5 -f hex <one
	assert_equal "${#lines[@]}" 5
	run -0 vg cs-locator --headers --stop "$HASH_1" -f json </dev/null
}

@test "valgrind: bad input takes the error paths without a leak" {
	store
	printf '\x58\x50abc' >trunc.cbor
	run -65 --separate-stderr vg cs-put trunc.cbor
	headers "$MAINNET" 302 303 >orphans.bin
	headers "$MAINNET" 301 301 | flip_nonce >badpow.bin
	run -65 --separate-stderr vg cs-put -f raw --keep-going badpow.bin orphans.bin
	echo '{"header": "00' >bad.json
	run -65 --separate-stderr vg cs-put -f json bad.json
	"$PY" -c 'import sys; sys.stdout.write("[%s]\n" % ", ".join(["\"%s\"" % ("00" * 32)] * 102))' >long.json
	run -65 --separate-stderr vg cs-locator --headers <long.json
	printf 'abc\n' >bad.keys
	run -65 --separate-stderr vg cs-get - <bad.keys
	run -66 --separate-stderr vg cs-get -s nowhere -n 0
	run -0 cs-tip -f json
	assert_json .height 300
}
