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

teardown() {
	[[ -z ${RO_MOUNTED:-} ]] || umount "$RO_MOUNTED" || umount -l "$RO_MOUNTED"
	if [[ -n ${holder:-} ]]; then
		kill "$holder" 2>/dev/null || true
		wait "$holder" 2>/dev/null || true
	fi
	# what a test took away, given back so that the store can be removed
	if [[ -e $CS_STORE ]]; then
		chattr -i "$CS_STORE/lock" 2>/dev/null || true
		chmod -R u+rwX "$CS_STORE" 2>/dev/null || true
	fi
}

# unprivileged COMMAND...: runs COMMAND without the power to override file
# permissions: as it is for a user other than root; as root, with
# CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH out of its bounding set (so that
# a mode of 000 holds for it too).
unprivileged() {
	if (($(id -u) == 0)); then
		setpriv --bounding-set=-dac_override,-dac_read_search "$@"
	else
		"$@"
	fi
}

# need_unprivileged: skips when this machine cannot run a command without
# those powers.
need_unprivileged() {
	if (($(id -u) == 0)) && ! setpriv --bounding-set=-dac_override,-dac_read_search true 2>/dev/null; then
		skip "running as root, and setpriv cannot drop CAP_DAC_OVERRIDE here"
	fi
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

@test "permission: a store directory of mode 000 is 77 (not 66, not found)" {
	need_unprivileged
	init_mainnet_10k
	chmod 000 "$CS_STORE"
	run -77 --separate-stderr unprivileged cs-tip -f json
	assert_err_equal "cs-tip: cannot open store '$CS_STORE': Permission denied"
	run -77 --separate-stderr unprivileged cs-backup --export
	assert_err_equal "cs-backup: cannot open store '$CS_STORE': Permission denied"
}

@test "permission: a lockfile of mode 000 is 77 (not 74)" {
	need_unprivileged
	init_mainnet_10k
	chmod 000 "$CS_STORE/lock"
	run -77 --separate-stderr unprivileged cs-get -f json -n 0
	assert_err_equal "cs-get: cannot open '$CS_STORE/lock': Permission denied"
	run -77 --separate-stderr unprivileged cs-init
	assert_err_equal "cs-init: cannot open '$CS_STORE/lock': Permission denied"
}

@test "permission: a database directory of mode 000 is 77, with LevelDB's reason" {
	need_unprivileged
	init_mainnet_10k
	chmod 000 "$CS_STORE/db"
	run -77 --separate-stderr unprivileged cs-check
	assert_err_equal "cs-check: cannot open store '$CS_STORE': IO error: $CS_STORE/db/LOCK: Permission denied"
}

@test "permission: an immutable lockfile (chattr +i, EPERM even for root) is 77" {
	(($(id -u) == 0)) || skip "chattr +i needs root (CAP_LINUX_IMMUTABLE)"
	init_mainnet_10k
	chattr +i "$CS_STORE/lock" 2>/dev/null || skip "this file system has no immutable flag"
	run -77 --separate-stderr cs-put -f raw /dev/null
	assert_err_equal "cs-put: cannot open '$CS_STORE/lock': Operation not permitted"
}

@test "symlink: DIR/lock planted to another file is not followed: 77, the file unchanged" {
	init_mainnet_10k
	echo precious >target
	rm "$CS_STORE/lock"
	ln -s "$BATS_TEST_TMPDIR/target" "$CS_STORE/lock"
	run -77 --separate-stderr cs-tip -f json
	assert_err_equal "cs-tip: cannot open '$CS_STORE/lock': a symbolic link, not followed"
	assert_output ''
	run -77 --separate-stderr cs-put -f raw /dev/null
	assert_err_equal "cs-put: cannot open '$CS_STORE/lock': a symbolic link, not followed"
	run -77 --separate-stderr cs-init
	assert_err_equal "cs-init: cannot open '$CS_STORE/lock': a symbolic link, not followed"
	run -0 cat target
	assert_output precious
}

@test "symlink: a dangling DIR/lock creates nothing: 77" {
	init_mainnet_10k
	rm "$CS_STORE/lock"
	ln -s "$BATS_TEST_TMPDIR/made" "$CS_STORE/lock"
	run -77 --separate-stderr cs-check
	assert_err_equal "cs-check: cannot open '$CS_STORE/lock': a symbolic link, not followed"
	[[ ! -e made ]] || fail "the dangling link's target was created"
}

@test "symlink: DIR/want is not followed, even by a command that waits: 77 at once, nothing created" {
	init_mainnet_10k
	echo precious >target
	rm -f "$CS_STORE/want"
	ln -s "$BATS_TEST_TMPDIR/target" "$CS_STORE/want"
	run -77 --separate-stderr cs-get -f json -n 0
	assert_err_equal "cs-get: cannot open '$CS_STORE/want': a symbolic link, not followed"
	# a waiter opens DIR/want: with the store held, it must not create
	# what a dangling link names
	rm "$CS_STORE/want"
	ln -s "$BATS_TEST_TMPDIR/made" "$CS_STORE/want"
	flock "$CS_STORE/lock" sleep 30 &
	holder=$!
	wait_locked "$CS_STORE/lock"
	run -77 --separate-stderr cs-tip -w 0.2 -f json
	assert_err_equal "cs-tip: cannot open '$CS_STORE/want': a symbolic link, not followed"
	[[ ! -e made ]] || fail "the dangling link's target was created"
	run -0 cat target
	assert_output precious
}

@test "symlink: cs-backup --verify and --restore take the backup's lock, and refuse a link there: 77" {
	init_mainnet_10k
	cs-backup -q backup
	echo precious >target
	rm backup/lock
	ln -s "$BATS_TEST_TMPDIR/target" backup/lock
	run -77 --separate-stderr cs-backup --verify backup
	assert_err_equal "cs-backup: cannot open 'backup/lock': a symbolic link, not followed"
	run -77 --separate-stderr cs-backup -s restored --restore backup
	assert_err_equal "cs-backup: cannot open 'backup/lock': a symbolic link, not followed"
	[[ ! -e restored ]] || fail "a store was restored"
	run -0 cat target
	assert_output precious
	# a dangling link: refused the same, and nothing made
	rm backup/lock
	ln -s "$BATS_TEST_TMPDIR/made" backup/lock
	run -77 --separate-stderr cs-backup --verify backup
	assert_err_equal "cs-backup: cannot open 'backup/lock': a symbolic link, not followed"
	run -77 --separate-stderr cs-backup -s restored --restore backup
	assert_err_equal "cs-backup: cannot open 'backup/lock': a symbolic link, not followed"
	[[ ! -e made && ! -e restored ]] || fail "something was made"
}

@test "getopt: run by its absolute path, a bad option is named after the command, not the path: 64" {
	local c
	for c in cs-init cs-put cs-get cs-tip cs-locator cs-prune cs-backup cs-check cs-stat; do
		run -64 --separate-stderr "$REPO/bin/$c" --no-such-option
		assert_output ''
		assert_equal "${stderr_lines[0]}" "$c: unknown option '--no-such-option'"
		assert_equal "${stderr_lines[1]%% *}" "usage:"
	done
	run -64 --separate-stderr "$REPO/bin/cs-init" -Z
	assert_equal "${stderr_lines[0]}" "cs-init: unknown option '-Z'"
	run -64 --separate-stderr "$REPO/bin/cs-init" -w
	assert_equal "${stderr_lines[0]}" "cs-init: option '-w' requires an argument"
	run -64 --separate-stderr "$REPO/bin/cs-init" --wait
	assert_equal "${stderr_lines[0]}" "cs-init: option '--wait' requires an argument"
	run -64 --separate-stderr "$REPO/bin/cs-init" --quiet=yes
	assert_equal "${stderr_lines[0]}" "cs-init: option '--quiet' takes no argument"
	run -64 --separate-stderr "$REPO/bin/cs-tip" --ver
	assert_equal "${stderr_lines[0]}" "cs-tip: option '--ver' is ambiguous"
	[[ ! -e $CS_STORE ]]
}

@test "--wait takes plain decimal seconds only: hex, exponents, inf, nan, blanks are 64" {
	local v
	for v in 0x10 0X1 1e1 1E-1 inf nan ' 5' '5 ' +5 -1 . 1.2.3 ''; do
		run -64 --separate-stderr cs-tip -w "$v"
		assert_equal "${stderr_lines[0]}" "cs-tip: bad wait '$v': not a number of seconds"
	done
	# plain decimals are seconds (the store is missing: 66, after parsing)
	for v in 0 10 0.5 .5 31536000; do
		run -66 cs-tip -w "$v"
	done
	# $CS_WAIT the same: ignored with a warning
	CS_WAIT=0x10 run -66 --separate-stderr cs-tip
	assert_equal "${stderr_lines[0]}" "cs-tip: ignoring CS_WAIT '0x10': not a number of seconds"
}

@test "-h and -V on a full disk (>/dev/full): 74 with a message, for every command" {
	local c
	for c in cs-init cs-put cs-get cs-tip cs-locator cs-prune cs-backup cs-check cs-stat; do
		run -74 --separate-stderr closed '>/dev/full' "$c" -h
		assert_err_equal "$c: cannot write standard output: No space left on device"
		run -74 --separate-stderr closed '>/dev/full' "$c" --version
		assert_err_equal "$c: cannot write standard output: No space left on device"
	done
}

# ro_mount DIR: DIR, read-only, at ./ro (a bind mount remounted read-only,
# undone by teardown); skips where mounts are not allowed.
ro_mount() {
	(($(id -u) == 0)) || skip "a read-only bind mount needs root"
	mkdir -p ro
	mount --bind "$1" ro 2>/dev/null || skip "mount --bind is not allowed here"
	RO_MOUNTED=$PWD/ro
	mount -o remount,bind,ro ro 2>/dev/null || skip "a read-only remount is not allowed here"
}

teardown_ro() {
	[[ -z ${RO_MOUNTED:-} ]] || umount "$RO_MOUNTED" || umount -l "$RO_MOUNTED"
	RO_MOUNTED=
}

# private_copies: the private copies readers made since the test began and left.
private_copies() {
	find "${TMPDIR:-/tmp}" -maxdepth 1 -name 'cs-private-*' -newer "$BATS_TEST_TMPDIR" 2>/dev/null
}

@test "read-only media: every reader and cs-backup --verify work; a writer is 77; nothing is left in TMPDIR" {
	init_mainnet_10k
	cs-put -q -f blk "$BTCD_BLOCKS"
	ro_mount "$CS_STORE"
	local out rc=0
	run -0 --separate-stderr cs-tip -s ro -f json
	assert_json .hash "$HASH_10236"
	run -0 --separate-stderr cs-get -s ro -f json -n 10000
	assert_json .hash "$HASH_10000"
	run -0 --separate-stderr cs-get -s ro --tx f4184fc596403b9d638783cf57adfe4c75c605f6356fbc91338530e9831e9e16 -f json
	assert_json .height 170
	run -0 --separate-stderr cs-locator -s ro -f text
	assert_line -n 0 "$HASH_10236"
	run -0 --separate-stderr cs-stat -s ro -f json
	assert_json .entries 10237
	run -0 --separate-stderr cs-check -s ro
	assert_err_empty
	run -0 --separate-stderr cs-backup -v --verify ro
	assert_err_equal "cs-backup: backup 'ro' is sound: 10237 entries, tip height 10236"
	cs-get -s "$CS_STORE" --proof f4184fc596403b9d638783cf57adfe4c75c605f6356fbc91338530e9831e9e16 >proof 2>/dev/null || true
	teardown_ro
	ro_mount "$CS_STORE"
	run -0 --separate-stderr cs-verify -s ro -f json proof
	assert_json .height 170
	run -77 --separate-stderr cs-put -s ro -f raw "$MAINNET"
	assert_err_equal "cs-put: cannot open store 'ro': IO error: ro/db/LOCK: Read-only file system"
	run -77 --separate-stderr cs-check -s ro --repair
	teardown_ro
	assert_equal "$(private_copies)" ''
}

@test "another user's store: readers work from a private copy, writers are 77, the store is not written" {
	need_unprivileged
	init_mainnet_10k
	chmod -R go-w "$CS_STORE"
	find "$CS_STORE" -type f -printf '%p %s %T@\n' | sort >before
	# as root without the power to override permissions: someone else's files
	chown -R nobody "$CS_STORE"
	run -0 --separate-stderr unprivileged cs-tip -f json
	assert_json .hash "$HASH_10236"
	run -0 --separate-stderr unprivileged cs-check
	run -77 --separate-stderr unprivileged cs-put -f raw "$MAINNET"
	chown -R root "$CS_STORE"
	find "$CS_STORE" -type f -printf '%p %s %T@\n' | sort >after
	run -0 diff before after
	assert_equal "$(private_copies)" ''
}

@test "cs-backup --verify writes nothing into the backup it verifies" {
	init_mainnet_10k
	cs-backup -q backup
	find backup -type f ! -name lock -printf '%p %s %T@\n' | sort >before
	run -0 --separate-stderr cs-backup --verify backup
	find backup -type f ! -name lock -printf '%p %s %T@\n' | sort >after
	run -0 diff before after
	assert_equal "$(private_copies)" ''
}

@test "a store directory writable by every user, or another user's link to a store, is refused: 77" {
	init_mainnet_10k
	chmod o+w "$CS_STORE"
	run -77 --separate-stderr cs-tip -f json
	assert_err_equal "cs-tip: '$CS_STORE' is writable by every user: a link planted there would be followed; chmod o-w it (a store shared by a group is group-writable)"
	chmod o-w "$CS_STORE"
	chmod 1777 "$CS_STORE/db"
	run -77 --separate-stderr cs-put -f raw "$MAINNET"
	assert_err_contains "'$CS_STORE/db' is writable by every user"
	# a group's shared store is group-writable: that is meant
	chmod 2775 "$CS_STORE" "$CS_STORE/db"
	run -0 cs-tip -f json
	# another user's link to it is not followed; one's own is
	ln -s "$CS_STORE" mine
	run -0 cs-tip -s mine -f json
	if (($(id -u) == 0)); then
		ln -s "$CS_STORE" theirs
		chown -h nobody theirs
		run -77 --separate-stderr cs-tip -s theirs -f json
		assert_err_equal "cs-tip: store 'theirs' is a link of another user's (uid $(id -u nobody)) to a directory of uid 0: not followed"
	fi
}

@test "a lockfile of several hard links (one planted to another file) is refused: 77, the file unchanged" {
	init_mainnet_10k
	echo precious >target
	rm "$CS_STORE/lock"
	ln target "$CS_STORE/lock"
	run -77 --separate-stderr cs-tip -f json
	assert_err_equal "cs-tip: cannot open '$CS_STORE/lock': it has 2 hard links, not the store's own"
	run -77 --separate-stderr cs-put -f raw "$MAINNET"
	run -0 cat target
	assert_output precious
}
