#!/usr/bin/env bats
# Hardening (issue 13): what a hostile or careless environment does to a
# command: closed standard descriptors, symbolic links planted in the store,
# stores it may not open, bad option values, full disks, input of the wrong
# kind, store paths that are not UTF-8. Exact statuses and messages.

load test_helper

setup_file() {
	build_mainnet_10k || true
}

setup() {
	common_setup
}

# damaged_store: the mainnet store with entry 5000 deleted, so that
# cs-check --repair drops 5236 entries (5001..10236) to standard output.
damaged_store() {
	init_mainnet_10k || return
	cs-poke del "45$(reverse_hex "$(hash_at 5000)")"
}

# closed REDIRECTIONS COMMAND...: runs COMMAND with REDIRECTIONS (such as
# '>&-') applied to it alone, inside what run captures.
closed() {
	local redirections=$1
	shift
	eval '"$@"' "$redirections"
}

# no_text_in_store TEXT: no file of the store holds TEXT.
no_text_in_store() {
	if grep -rlaF -- "$1" "$CS_STORE"; then
		fail "'$1' landed in the store"
	fi
}

@test "closed stdout (>&-): cs-check --repair fails 74 and drops nothing into the lock file" {
	damaged_store
	run -74 --separate-stderr closed '>&-' cs-check --repair -q
	assert_err_contains "cs-check: repair of store '$CS_STORE' stopped before dropping entry $(hash_at 5001): cannot write standard output: Bad file descriptor"
	[[ ! -s $CS_STORE/lock ]] || fail "the lock file holds $(stat -c %s "$CS_STORE/lock") bytes"
	# nothing was dropped: the store still has all of its entries
	run -0 cs-get -f json -n 10236
	assert_json .hash "$HASH_10236"
}

@test "closed stdout (>&-): cs-tip fails 74, as a write error" {
	init_mainnet_10k
	run -74 --separate-stderr closed '>&-' cs-tip -f json
	assert_err_equal "cs-tip: cannot write standard output: Bad file descriptor"
}

@test "closed stdin (<&-): cs-put fails 74 and does not read its own lock file" {
	init_mainnet_10k
	run -74 --separate-stderr closed '<&-' cs-put
	assert_err_equal "cs-put: cannot read 'standard input': Bad file descriptor"
}

@test "closed stderr (2>&-, with stdin or stdout closed too): messages land in no file of the store" {
	damaged_store
	run -74 closed '<&- 2>&-' cs-check
	no_text_in_store "cs-check:"
	run -74 closed '>&- 2>&-' cs-check
	no_text_in_store "cs-check:"
}
