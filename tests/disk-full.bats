#!/usr/bin/env bats
# A disk that fills up (or fails) during a commit: cs-put exits 74 naming
# the cause, the store still opens, and nothing committed before is lost
# (cs(7) "Durability" and EXIT STATUS). The disk is a small tmpfs when this runs as root and may
# mount one; else, and in the tests that need a fault no file system makes
# on demand, the LD_PRELOAD shim tests/tools/bin/faultfs.so
# (tests/tools/preload/faultfs.c) makes writes fail with ENOSPC or fsync
# with EIO.

load test_helper

setup() {
	common_setup
	SHIM=$REPO/tests/tools/bin/faultfs.so
	[[ -f $SHIM ]] || fail "$SHIM is not built (make all)"
	# A sanitizer runtime wants to come first among preloaded libraries;
	# the shim needs none of its own.
	export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0
	headers "$MAINNET" 0 2015 >a.bin
	headers "$MAINNET" 2016 10236 >b.bin
	MOUNTED=
}

teardown() {
	if [[ -n $MOUNTED ]]; then
		umount "$MOUNTED" || umount -l "$MOUNTED"
	fi
}

# try_tmpfs DIR SIZE: mounts a tmpfs of SIZE on DIR; false when not allowed
# (or when CS_TEST_NO_MOUNT is set, to try the fallback).
try_tmpfs() {
	mkdir -p "$1"
	[[ -z ${CS_TEST_NO_MOUNT:-} ]] || return 1
	[[ $(id -u) -eq 0 ]] || return 1
	mount -t tmpfs -o "size=$2" tmpfs "$1" 2>/dev/null || return 1
	MOUNTED=$1
}

# export_store: everything a user reads of the store.
export_store() {
	cs-get --range 0.. -f json && cs-tip --all -f json
}

# committed_store DIR: a mainnet store at DIR holding headers 0..2015, in
# one commit, and its export in ./before.
committed_store() {
	export CS_STORE=$1
	run -0 cs-init -q
	run -0 cs-put -q -f raw a.bin
	export_store >before
}

# the store as it was: opens, tip 2015, the same export
assert_store_as_before() {
	run -0 cs-tip -f json
	assert_json .height 2015
	export_store >after
	run -0 cmp before after
}

# faulty COMMAND...: COMMAND with the shim preloaded (FAULTFS_* set by the
# caller in the environment).
faulty() {
	LD_PRELOAD=$SHIM "$@"
}

@test "disk full during a commit: 74, the store opens, headers 0..2015 still there" {
	# 8 MiB: once there is room again, the import's log record (1.9 MB)
	# and the table LevelDB writes it out to must both fit (in 4 MiB the
	# table did not, which LevelDB's background thread kept to itself)
	if try_tmpfs "$BATS_TEST_TMPDIR/fs" 8m; then
		committed_store "$BATS_TEST_TMPDIR/fs/store"
		# leave 256 KiB: the store opens, the 1.5 MB commit does not fit
		dd if=/dev/zero of="$BATS_TEST_TMPDIR/fs/filler" bs=64k 2>/dev/null || true
		truncate -s -256K "$BATS_TEST_TMPDIR/fs/filler"
		run -74 --separate-stderr cs-put -f raw b.bin
	else
		# no mount here (not root, or a container): the shim fills the
		# disk 200,000 bytes into the commit's write-ahead log
		committed_store "$BATS_TEST_TMPDIR/store"
		FAULTFS_PATH=$CS_STORE FAULTFS_SUFFIX=.log FAULTFS_BYTES=200000 \
			run -74 --separate-stderr faulty cs-put -f raw b.bin
	fi
	assert_output ''
	# the commit's log write fails, or the table a background compaction
	# writes meanwhile (LevelDB then fails the write, or the next open)
	assert_err_regex "^cs-put: cannot (write|open) store '$CS_STORE': IO error: $CS_STORE/db/[0-9]+\.(log|ldb): No space left on device\$"
	# still full: a reader answers, or says 74; never a crash
	run --separate-stderr cs-tip -f json
	[[ $status -eq 0 || $status -eq 74 ]] || fail "cs-tip on a full disk: exit $status: $stderr"
	rm -f "$BATS_TEST_TMPDIR/fs/filler"
	assert_store_as_before
	# and the import goes through once there is room again
	run -0 --separate-stderr cs-put -f raw b.bin
	assert_err_equal "cs-put: 8221 read, 8221 added, 0 duplicate, 0 rejected; tip 10236 $HASH_10236"
}

@test "disk full on the first byte of the commit (shim): 74, nothing lost" {
	committed_store "$BATS_TEST_TMPDIR/store"
	FAULTFS_PATH=$CS_STORE FAULTFS_SUFFIX=.log FAULTFS_BYTES=0 \
		run -74 --separate-stderr faulty cs-put -f raw b.bin
	assert_err_regex "^cs-put: cannot write store '$CS_STORE': IO error: .*: No space left on device\$"
	assert_store_as_before
}

@test "disk full in the middle of the commit's log record (shim): the torn record is dropped" {
	committed_store "$BATS_TEST_TMPDIR/store"
	# 100,000 bytes: the record is cut inside one of its 32 KiB log blocks
	FAULTFS_PATH=$CS_STORE FAULTFS_SUFFIX=.log FAULTFS_BYTES=100000 \
		run -74 --separate-stderr faulty cs-put -f raw b.bin
	assert_err_regex "No space left on device\$"
	assert_store_as_before
	# a later import starts from what is there
	run -0 cs-put -q -f raw b.bin
	run -0 cs-tip -f json
	assert_json .hash "$HASH_10236"
}

@test "disk full for every store file, tables too (shim): 74 at open or commit, nothing lost" {
	committed_store "$BATS_TEST_TMPDIR/store"
	FAULTFS_PATH=$CS_STORE FAULTFS_BYTES=0 run -74 --separate-stderr faulty cs-put -f raw b.bin
	assert_err_regex "^cs-put: cannot (open|write) store '$CS_STORE': IO error: .*No space left on device\$"
	assert_store_as_before
}

@test "fsync fails during a commit (shim, EIO): 74; the commit is whole or absent" {
	committed_store "$BATS_TEST_TMPDIR/store"
	FAULTFS_PATH=$CS_STORE FAULTFS_SUFFIX=.log FAULTFS_FSYNC=eio \
		run -74 --separate-stderr faulty cs-put -f raw b.bin
	assert_err_regex "^cs-put: cannot write store '$CS_STORE': IO error: .*: Input/output error\$"
	# The write reached the file before its sync failed: LevelDB may read
	# it back. Either the batch is all there or none of it; never a part.
	run -0 cs-tip -f json
	local height
	height=$(jq -r .height <<<"$output")
	[[ $height == 2015 || $height == 10236 ]] || fail "tip height $height after a failed sync"
	run -0 bash -c "cs-get --range 0.. -f raw | cmp - <(head -c $(((height + 1) * 80)) '$MAINNET')"
	# what the tip's height changes (getblockheader's confirmations, and
	# block 2015's nextblockhash) aside, entries 0..2015 read as before
	local moved='del(.confirmations, .nextblockhash)'
	cs-get --range 0..2015 -f json | jq -c "$moved" >after
	run -0 cmp <(head -n 2016 before | jq -c "$moved") after
}

@test "disk full on standard output: 74, and the store is untouched" {
	[[ -w /dev/full ]] || skip "no /dev/full"
	committed_store "$BATS_TEST_TMPDIR/store"
	run -74 --separate-stderr bash -c 'cs-get --range 0.. -f raw >/dev/full'
	assert_err_regex "^cs-get: .*No space left on device\$"
	run -74 --separate-stderr bash -c 'cs-tip --all -f json >/dev/full'
	assert_store_as_before
}

@test "disk full in a background compaction after the last commit: 74 naming it, the commits stay" {
	if try_tmpfs "$BATS_TEST_TMPDIR/fs" 8m; then
		committed_store "$BATS_TEST_TMPDIR/fs/store"
		# 2800 KiB left: the commit's 1.9 MB log record fits, the table
		# LevelDB then writes it out to does not
		dd if=/dev/zero of="$BATS_TEST_TMPDIR/fs/filler" bs=64k 2>/dev/null || true
		truncate -s -2800K "$BATS_TEST_TMPDIR/fs/filler"
		run -74 --separate-stderr cs-put -f raw b.bin
	else
		committed_store "$BATS_TEST_TMPDIR/store"
		FAULTFS_PATH=$CS_STORE FAULTFS_SUFFIX=.ldb FAULTFS_BYTES=0 \
			run -74 --separate-stderr faulty cs-put -f raw b.bin
	fi
	assert_output ''
	assert_err_regex "^cs-put: store '$CS_STORE': LevelDB background compaction failed: IO error: $CS_STORE/db/[0-9]+\.ldb: No space left on device\$"
	if [[ -n $MOUNTED ]]; then
		# Why every later command fails while the disk stays full: opening
		# replays LevelDB's log into a table, which needs the room the
		# failed one did. Nothing is corrupt.
		run -74 --separate-stderr cs-tip
		assert_err_regex "^cs-tip: cannot open store '$CS_STORE': IO error: $CS_STORE/db/[0-9]+\.ldb: No space left on device\$"
		rm -f "$BATS_TEST_TMPDIR/fs/filler"
	fi
	# the commit was reported nowhere as done, yet it is there whole
	run -0 cs-tip -f json
	assert_json .height 10236
	assert_json .hash "$HASH_10236"
	run -0 cs-check
}

@test "disk full in cs-prune's compaction (shim): 74 naming it, what was pruned stays pruned" {
	export CS_STORE=$BATS_TEST_TMPDIR/store
	run -0 cs-init -q
	run -0 cs-put -q -f blk "$DATA/blocks/btcd_blocks_1-255.dat"
	# the deletions go to LevelDB's log; the tables its compactions write
	# do not fit
	FAULTFS_PATH=$CS_STORE FAULTFS_SUFFIX=.ldb FAULTFS_BYTES=0 \
		run -74 --separate-stderr faulty cs-prune --force --keep-bodies 10
	assert_err_regex "^cs-prune: store '$CS_STORE': LevelDB background compaction failed: IO error: $CS_STORE/db/[0-9]+\.ldb: No space left on device\$"
	run -0 cs-stat -f json
	assert_json .bodies 11
	assert_json .pruned_bodies 244
	run -0 cs-check
	run -0 cs-prune -q --force --keep-bodies 10
}

@test "disk full during cs-init: 73, nothing left behind, the name is free" {
	local parent=$BATS_TEST_TMPDIR/fs
	if try_tmpfs "$parent" 1m; then
		# 16 KiB left: LevelDB's first files do not fit
		dd if=/dev/zero of="$parent/filler" bs=64k 2>/dev/null || true
		truncate -s -16K "$parent/filler"
		export CS_STORE=$parent/store
		run -73 --separate-stderr cs-init
	else
		mkdir -p "$parent"
		export CS_STORE=$parent/store
		FAULTFS_PATH=$parent FAULTFS_BYTES=0 run -73 --separate-stderr faulty cs-init
	fi
	assert_err_regex "^cs-init: cannot create store '$CS_STORE': IO error: .*: No space left on device\$"
	run -0 find "$parent" -mindepth 1 -not -name filler
	assert_output ''
	run -66 --separate-stderr cs-tip
	assert_err_equal "cs-tip: store '$CS_STORE' not found (create it with cs-init)"
	# into an empty directory (a mount point, say): it stays empty
	mkdir "$CS_STORE"
	if [[ -n $MOUNTED ]]; then
		run -73 cs-init
	else
		FAULTFS_PATH=$parent FAULTFS_BYTES=0 run -73 faulty cs-init
	fi
	run -0 find "$CS_STORE" -mindepth 1
	assert_output ''
	rm -f "$parent/filler"
	run -0 cs-init -q
	run -0 cs-check
}
