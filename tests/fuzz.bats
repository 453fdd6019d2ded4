#!/usr/bin/env bats
# The fuzz targets' committed inputs, replayed on every make check: the seed
# corpora (tests/fuzz/corpus/NAME, real data) and every input that once made
# a target fail (tests/fuzz/regressions/NAME). Each is run through the
# target's own checks (tests/fuzz/bin/replay_NAME, built by make all) and
# fed to the real command that reads that format, which must end with a
# status of the exit table, never a crash. Fuzzing itself is make fuzz.

load test_helper

setup_file() {
	cs-init -q -s "$BATS_FILE_TMPDIR/base"
	cs-put -q -s "$BATS_FILE_TMPDIR/base" -f raw <(headers "$MAINNET" 0 20)
}

setup() {
	common_setup
}

# inputs NAME: the committed inputs of target NAME, one path a line.
inputs() {
	find "$REPO/tests/fuzz/corpus/$1" "$REPO/tests/fuzz/regressions/$1" -type f ! -name '*.md' 2>/dev/null |
		sort
}

# replay NAME: the target's checks on every committed input.
replay() {
	local dirs=("$REPO/tests/fuzz/corpus/$1")
	[[ -d $REPO/tests/fuzz/regressions/$1 ]] && dirs+=("$REPO/tests/fuzz/regressions/$1")
	run -0 --separate-stderr "$REPO/tests/fuzz/bin/replay_$1" "${dirs[@]}"
	assert_output "replay: $(inputs "$1" | wc -l) inputs"
	[[ $output != "replay: 0 inputs" ]] || fail "no input for $1"
}

# commands NAME COMMAND...: COMMAND on each input of NAME, on stdin, in a
# fresh copy of the store: it exits 0, 1 or 65, nothing else.
commands() {
	local name=$1 f n=0
	shift
	while read -r f; do
		rm -rf "$CS_STORE"
		cp -a "$BATS_FILE_TMPDIR/base" "$CS_STORE"
		run --separate-stderr "$@" <"$f"
		case $status in
		0 | 1 | 65) ;;
		*) fail "$* < $f: exit $status: $stderr" ;;
		esac
		n=$((n + 1))
	done < <(inputs "$name")
	((n > 0)) || fail "no input for $name"
}

@test "fuzz cbor: committed inputs replayed; cs-put reads each (0 or 65)" {
	replay cbor
	commands cbor cs-put -q
}

@test "fuzz keys: committed inputs replayed; cs-get - and cs-locator --headers read each" {
	replay keys
	commands keys cs-get -f json -
	commands keys cs-locator -f json --headers
}

@test "fuzz json: committed inputs replayed; cs-put -f json reads each" {
	replay json
	commands json cs-put -q -f json
}

@test "fuzz hex: committed inputs replayed; cs-put -f hex reads each" {
	replay hex
	commands hex cs-put -q -f hex
}

@test "fuzz raw: committed inputs replayed; cs-put -f raw reads each" {
	replay raw
	commands raw cs-put -q -f raw
}

@test "fuzz blk: committed inputs replayed; cs-put -f blk reads each" {
	replay blk
	commands blk cs-put -q -f blk
}

@test "fuzz block: committed bodies replayed; cs-put reads each behind header 1 as a block" {
	replay block
	local f
	while read -r f; do
		rm -rf "$CS_STORE"
		cp -a "$BATS_FILE_TMPDIR/base" "$CS_STORE"
		{ headers "$MAINNET" 1 1; cat "$f"; } >block.bin
		run --separate-stderr cs-put -q -f blk <("$PY" -c 'import struct, sys
b = open(sys.argv[1], "rb").read()
sys.stdout.buffer.write(bytes.fromhex("f9beb4d9") + struct.pack("<I", len(b)) + b)' block.bin)
		case $status in
		0 | 65) ;;
		*) fail "cs-put of body $f: exit $status: $stderr" ;;
		esac
	done < <(inputs block)
}

@test "fuzz proof: committed proofs replayed; cs-verify reads each, told by its first byte and as raw" {
	replay proof
	commands proof cs-verify -f json
	commands proof cs-verify -f json --input raw
}
