#!/usr/bin/env bats
# The progress line of the long commands (cs-put, cs-check, cs-verify) on a
# terminal: "\r", the line, "\e[K", rewritten at most ten times a second and
# erased before the summary; never when standard error is not a terminal,
# nor with -q. The terminal is script(1)'s (util-linux). A line is due
# 100 ms after the start: each test holds the store for a second first, so
# that the first entry after the wait shows one, whatever the machine's
# speed; that first line is known to the byte but for its rate.

load test_helper

# block 1's coinbase txid, as block explorers publish it
COINBASE_1=0e3e2357e806b6cdb1f70b54c3a3a17b6714ee1f0e68bebb44a74b1efd512098


setup() {
	common_setup
	holder=
}

teardown() {
	if [[ -n $holder ]]; then
		kill "$holder" 2>/dev/null || true
		wait "$holder" 2>/dev/null || true
	fi
}

# hold_store: another process holds the store's lock for a second.
hold_store() {
	flock "$CS_STORE/lock" sleep 1 3>&- &
	holder=$!
	wait_locked "$CS_STORE/lock"
}

# on_tty 'SHELL COMMAND': runs it on a terminal of its own (stdin, stdout
# and stderr); what the terminal received goes to tty.out (with its \r\n
# line ends), the command's status to $status.
on_tty() {
	status=0
	script -qec "$1" /dev/null >tty.out || status=$?
}

# The progress line: "\r", "PROG: TEXT", "\e[K" (erase to the end of line).
CR=$'\r'
EL=$'\e[K'
EL_RE=$'\e''\[K' # the same in a regular expression

@test "cs-put on a terminal: '\\r' line with read, added, tip height, entries/s and the percent of the file, erased before the summary" {
	run -0 cs-init -q
	headers "$MAINNET" 1 1000 >h.bin
	assert_equal "$(display_hash_of_hex "$(header_hex h.bin 999)")" "$HASH_1000"
	hold_store
	on_tty 'cs-put -f raw h.bin'
	assert_equal "$status" 0
	out=$(<tty.out)
	# the first entry after the wait: 80 of 80,000 bytes read, 0%
	re="^${CR}cs-put: 1 read, 1 added, tip height 1, [0-9]+ entries/s, 0%${EL_RE}"
	[[ $out =~ $re ]] || fail "no progress line first: $(cat -v tty.out)"
	# erased, then the summary on a clean line
	[[ $out == *"${CR}${EL}cs-put: 1000 read, 1000 added, 0 duplicate, 0 rejected; tip 1000 $HASH_1000${CR}" ]] ||
		fail "no erase before the summary: $(cat -v tty.out)"
}

@test "cs-put: no progress line when standard error is a file, nor with -q on a terminal" {
	run -0 cs-init -q
	headers "$MAINNET" 1 1000 >h.bin
	hold_store
	cs-put -f raw h.bin 2>err
	assert_equal "$(cat err)" "cs-put: 1000 read, 1000 added, 0 duplicate, 0 rejected; tip 1000 $HASH_1000"
	run -0 cs-init -q -s q
	hold_store
	CS_STORE=q on_tty 'cs-put -q -f raw h.bin'
	assert_equal "$status" 0
	assert_equal "$(cat -v tty.out)" ""
}

@test "cs-put from a pipe on a terminal: no percent (its size is not known)" {
	run -0 cs-init -q
	headers "$MAINNET" 1 1000 >h.bin
	hold_store
	on_tty 'cat h.bin | cs-put -f raw'
	assert_equal "$status" 0
	out=$(<tty.out)
	re="^${CR}cs-put: 1 read, 1 added, tip height 1, [0-9]+ entries/s${EL_RE}"
	[[ $out =~ $re ]] || fail "not the line without a percent: $(cat -v tty.out)"
}

@test "cs-put: a message while the line is shown erases it first (--keep-going, a bad header)" {
	run -0 cs-init -q
	{ headers "$MAINNET" 1 999; headers "$MAINNET" 1000 1000 | flip_nonce; } >bad.bin
	hold_store
	on_tty 'cs-put --keep-going -f raw bad.bin'
	assert_equal "$status" 65
	out=$(<tty.out)
	[[ $out == *"${EL}${CR}${EL}cs-put: 'bad.bin': item 1000 at byte 79920: "* ]] ||
		fail "the message is not on a line of its own: $(cat -v tty.out)"
}

@test "cs-check on a terminal: the pass it is in, erased at the end; none with -q or into a file" {
	init_mainnet_10k
	hold_store
	on_tty 'cs-check'
	assert_equal "$status" 0
	# the first pass reads the 10,237 entries; a line every 4096 keys
	# at most: the first one once the wait is over
	out=$(<tty.out)
	re="^${CR}cs-check: reading entries: 4096${EL_RE}"
	[[ $out =~ $re ]] || fail "no progress line: $(cat -v tty.out)"
	[[ $out == *"${CR}${EL}" ]] || fail "not erased at the end: $(cat -v tty.out)"
	hold_store
	on_tty 'cs-check -q'
	assert_equal "$(cat -v tty.out)" ""
	hold_store
	run -0 --separate-stderr cs-check
	assert_err_empty
}

@test "cs-verify: progress when only standard error is a terminal, in proofs/s and the percent of the input" {
	run -0 cs-init -q
	run -0 cs-put -q -f blk "$BTCD_BLOCKS"
	cs-get --proof "$COINBASE_1" >proof.hex
	hold_store
	on_tty 'cs-verify -f json proof.hex >out.json'
	assert_equal "$status" 0
	out=$(<tty.out)
	re="^${CR}cs-verify: 1 checked, [0-9]+ proofs/s, 100%${EL_RE}${CR}${EL_RE}$"
	[[ $out =~ $re ]] || fail "no progress line: $(cat -v tty.out)"
	run -0 jq -r .txid out.json
	assert_output "$COINBASE_1"
	# results on the terminal: they are the progress, no line among them
	hold_store
	on_tty 'cs-verify -f json proof.hex'
	[[ $(<tty.out) != *"$CR"cs-verify* ]] || fail "a progress line among the results: $(cat -v tty.out)"
	[[ $(<tty.out) == *"\"txid\":\"$COINBASE_1\""* ]]
}
