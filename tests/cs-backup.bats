#!/usr/bin/env bats
# cs-backup: consistent backups of a live store (hard links, held for
# O(files)), timestamped backups with --keep, an export that cs-put replays
# byte for byte, and an atomic restore.

load test_helper

setup_file() {
	# built here once, copied by the tests that need it; a failure shows
	# in those tests
	build_mainnet_10k || true
}

setup() {
	common_setup
}

teardown() {
	exec 7>&-
	local p
	for p in ${watchdog:-} ${bg:-} ${holder:-} ${writer:-} ${holder2:-} ${waiter:-}; do
		kill "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	[[ -z ${other:-} ]] || rm -rf "$other"
}

# The mainnet headers 0..10236 plus the btcd reorg blocks, whose chain
# branches off the genesis: forks 1' 2' 3 4 and 3A 4A 5A, all with bodies
# (the genesis gets its body from blk_0_to_4.dat).
reorg_forks_store() {
	init_mainnet_10k "${1:-$CS_STORE}" &&
		cs-put -q -s "${1:-$CS_STORE}" -f blk "$REORG/blk_0_to_4.dat" "$REORG/blk_3A.dat" \
			"$REORG/blk_4A.dat" "$REORG/blk_5A.dat"
}

# start_paused CMD...: runs CMD in the background with CS_TEST_BACKUP_PAUSE
# set, and returns once it has reached its pause (the store let go), with
# fd 7 open on the FIFO; `exec 7>&-` lets it go on. Nothing timed: a
# watchdog only keeps a broken build from hanging the suite.
start_paused() {
	local fifo=$BATS_TEST_TMPDIR/pause
	rm -f "$fifo"
	mkfifo "$fifo"
	[[ -z ${watchdog:-} ]] || kill "$watchdog" 2>/dev/null || true
	CS_TEST_BACKUP_PAUSE=$fifo "$@" 3>&- &
	bg=$!
	# opening read-write never blocks, and lets a blocked writer open
	{ sleep 120; exec 4<>"$fifo"; } >/dev/null 2>&1 3>&- &
	watchdog=$!
	exec 7>"$fifo"
	kill -0 "$bg" 2>/dev/null || fail "'$*' ended before its pause"
}

# hold_lock SECONDS: flock(1) holds the store's lock in the background.
hold_lock() {
	flock "$CS_STORE/lock" sleep "$1" 3>&- &
	holder=$!
	wait_locked "$CS_STORE/lock"
}

# other_fs: a new directory on a file system other than the test's, or
# nothing (the test is then skipped).
other_fs() {
	local d
	for d in /dev/shm ${CS_TEST_OTHER_FS:-}; do
		[[ -d $d && -w $d ]] || continue
		[[ $(stat -c %d "$d") != $(stat -c %d "$BATS_TEST_TMPDIR") ]] || continue
		mktemp -d "$d/cs-backup-test.XXXXXX"
		return
	done
}

# leftovers DIR: the temporary names cs-backup may leave in DIR.
leftovers() {
	find "$1" -mindepth 1 -maxdepth 1 -name '*cs-backup-*' | sort
}

# chain_check RAWFILE: raw headers that must link from the regtest genesis;
# prints "COUNT LASTHASH" (display hex), exits 1 on a broken link.
chain_check() {
	"$PY" -c '
import hashlib, sys
d = open(sys.argv[1], "rb").read()
assert len(d) % 80 == 0 and len(d) > 0, "not whole headers"
h = lambda b: hashlib.sha256(hashlib.sha256(b).digest()).digest()
prev = None
for i in range(0, len(d), 80):
    hd = d[i:i + 80]
    if prev is not None and hd[4:36] != prev:
        sys.exit("broken link at height %d" % (i // 80))
    prev = h(hd)
print(len(d) // 80, prev[::-1].hex())
' "$1"
}

# export_check FILE: an export (CBOR) in the order cs-backup(1) promises:
# the main chain by height from 0, then forks by height and (internal) hash,
# each entry after its parent; prints "main N forks M bodies K" and the
# fork hashes (display hex), one a line.
export_check() {
	"$PY" -c '
import io, sys, cbor2
data = open(sys.argv[1], "rb").read()
fp = io.BytesIO(data)
dec = cbor2.CBORDecoder(fp)
seen, main, forks, bodies, last = set(), 0, [], 0, None
while fp.tell() < len(data):
    e = dec.decode()
    h, hd = e["hash"], e["header"]
    if e["status"] == "main":
        assert not forks, "a main entry after the forks"
        assert e["height"] == main, "main chain out of order at %d" % main
        main += 1
    else:
        assert e["status"] == "fork"
        key = (e["height"], h)
        assert last is None or key > last, "forks out of order"
        last = key
        forks.append(h)
    assert e["height"] == 0 or hd[4:36] in seen, "an entry before its parent"
    seen.add(h)
    bodies += "body" in e
print("main %d forks %d bodies %d" % (main, len(forks), bodies))
for h in forks:
    print(h[::-1].hex())
' "$1"
}

# replay FILE [FORMAT] [INIT ARGS...]: a new store ($BATS_TEST_TMPDIR/replay)
# made by cs-init, FILE put into it; prints its path.
replay() {
	local file=$1 format=${2:-cbor} dir=$BATS_TEST_TMPDIR/replay
	shift 2 || shift $#
	rm -rf "$dir"
	cs-init -q -s "$dir" "$@" && cs-put -q -s "$dir" -f "$format" "$file" && echo "$dir"
}

@test "cs-backup DEST: a store every tool opens, same entries; quiet" {
	init_mainnet_10k
	run -0 --separate-stderr cs-backup backup
	assert_output ''
	assert_err_empty
	# a store's layout, without LevelDB's LOCK and info logs
	[[ -f backup/lock && -f backup/db/CURRENT ]]
	[[ ! -e backup/db/LOCK && ! -e backup/db/LOG ]]
	assert_equal "$(leftovers .)" ''
	run -0 cs-tip -s backup -f json
	assert_json .hash "$HASH_10236"
	assert_json .chainwork "$CW_10236"
	cmp <(store_dump) <(store_dump backup)
	run -0 cs-get -s backup -f raw --range 0..
	cs-get -s backup -f raw --range 0.. | cmp - "$MAINNET"
}

@test "cs-backup DEST: tables hard-linked; later writes to either side stay there" {
	init_mainnet_10k
	run -0 cs-backup backup
	# checking the backup opened it: LevelDB may have added tables of its
	# own, whose numbers the store may use for other tables since
	local t n=0
	for t in backup/db/*.ldb; do
		[[ -e $CS_STORE/db/${t##*/} ]] || continue
		[[ $(stat -c %i "$t") == "$(stat -c %i "$CS_STORE/db/${t##*/}")" ]] && n=$((n + 1))
	done
	((n > 0)) || fail "no table file was linked"
	# the mutable files are copies
	assert_not_equal "$(stat -c %i backup/db/CURRENT)" "$(stat -c %i "$CS_STORE/db/CURRENT")"
	run -0 cs-put -q -f blk "$REORG/blk_0_to_4.dat" "$REORG/blk_3A.dat"
	run -1 cs-get -s backup -f json "$REORG_HASH_3A"
	run -0 cs-put -q -s backup -f blk "$REORG/blk_0_to_4.dat"
	run -0 cs-get -s backup -f json "$REORG_HASH_4"
	run -1 cs-get -f json "$REORG_HASH_4A"
	run -0 cs-tip -s backup -f json
	assert_json .hash "$HASH_10236"
	run -0 cs-get -f json "$REORG_HASH_3A"
	assert_json .status fork
}

@test "cs-backup DEST: a table file the MANIFEST does not list is left out, never linked" {
	init_mainnet_10k
	# what a compaction cut short by a close leaves: LevelDB gives its
	# number out again and rewrites the file in place
	head -c 4096 /dev/urandom > "$CS_STORE/db/999999.ldb"
	run -0 --separate-stderr cs-backup -v backup
	# (the store may hold such files of its own too)
	assert_err_regex ', [1-9][0-9]* unused tables? left out; store held [0-9.]+ ms$'
	[[ ! -e backup/db/999999.ldb ]]
	cmp <(store_dump) <(store_dump backup)
}

@test "cs-backup DEST: an existing DEST or a missing directory is 73; nothing written" {
	init_mainnet_10k
	mkdir taken
	touch taken/mine
	run -73 --separate-stderr cs-backup taken
	assert_err_equal "cs-backup: cannot create backup 'taken': it exists"
	assert_equal "$(ls -A taken)" mine
	mkdir empty
	run -73 cs-backup empty
	assert_equal "$(ls -A empty)" ''
	touch file
	run -73 cs-backup file
	run -73 --separate-stderr cs-backup nodir/backup
	assert_err_equal "cs-backup: cannot create backup 'nodir/backup': No such file or directory"
	assert_equal "$(leftovers .)" ''
}

@test "cs-backup: a missing store is 66, for every mode; nothing created" {
	run -66 --separate-stderr cs-backup backup
	assert_err_equal "cs-backup: store '$CS_STORE' not found (create it with cs-init)"
	mkdir notastore
	run -66 --separate-stderr cs-backup -s notastore backup
	assert_err_equal "cs-backup: 'notastore' is not a store (no db directory)"
	[[ ! -e backup ]]
	run -66 cs-backup --into backups
	[[ ! -e backups ]]
	run -66 --separate-stderr cs-backup --export
	assert_output ''
	run -66 --separate-stderr cs-backup -s "$CS_STORE" --restore nowhere
	assert_err_equal "cs-backup: backup 'nowhere' not found: No such file or directory"
	mkdir notabackup
	run -66 --separate-stderr cs-backup --restore notabackup
	assert_err_equal "cs-backup: 'notabackup' is not a backup: it has no db"
}

@test "cs-backup: a busy store is 75 after --wait, naming the holder; nothing created" {
	init_mainnet_10k
	hold_lock 5
	run -75 --separate-stderr cs-backup -w 0.3 backup
	assert_err_regex '^cs-backup: store busy: held by (flock|sleep) \(pid [0-9]+\)'
	[[ ! -e backup ]]
	assert_equal "$(leftovers .)" ''
	run -75 --separate-stderr cs-backup -w 0.3 --export
	assert_output ''
	assert_equal "$(leftovers "$CS_STORE")" ''
}

@test "cs-backup DEST on another file system: staged under the lock, copied after" {
	other=$(other_fs)
	[[ -n $other ]] || skip "no second file system (set CS_TEST_OTHER_FS)"
	init_mainnet_10k
	start_paused cs-backup "$other/backup"
	# paused once the store is let go: it is free, the tables wait in a
	# staging directory inside the store, hard-linked; DEST is not there
	run -0 cs-tip -w 0 -f json
	run -0 leftovers "$CS_STORE"
	assert_equal "${#lines[@]}" 1
	local staging=${lines[0]} t n=0
	for t in "$staging"/*.ldb; do
		assert_equal "$(stat -c %i "$t")" "$(stat -c %i "$CS_STORE/db/${t##*/}")"
		n=$((n + 1))
	done
	((n > 0)) || fail "nothing was staged"
	[[ ! -e $other/backup ]]
	exec 7>&-
	wait "$bg"
	assert_equal "$(leftovers "$CS_STORE")" ''
	assert_equal "$(leftovers "$other")" ''
	for t in "$other"/backup/db/*.ldb; do
		assert_equal "$(stat -c %h "$t")" 1
	done
	cmp <(store_dump) <(store_dump "$other/backup")
}

@test "cs-backup: killed midway, no DEST and no half backup; the next run cleans up" {
	init_mainnet_10k
	start_paused cs-backup backup
	[[ ! -e backup ]]
	assert_equal "$(leftovers . | wc -l)" 1
	kill -9 "$bg"
	exec 7>&-
	wait "$bg" || true
	[[ ! -e backup ]]
	# a backup to another name in the same directory removes it too
	run -0 cs-backup other-name
	assert_equal "$(leftovers .)" ''
	run -0 cs-backup backup
	assert_equal "$(leftovers .)" ''
	run -0 cs-tip -s backup -f json
	assert_json .hash "$HASH_10236"

	# the same on another file system leaves a staging directory in the store
	other=$(other_fs)
	[[ -n $other ]] || skip "no second file system (set CS_TEST_OTHER_FS)"
	start_paused cs-backup "$other/backup"
	assert_equal "$(leftovers "$CS_STORE" | wc -l)" 1
	kill -9 "$bg"
	exec 7>&-
	wait "$bg" || true
	[[ ! -e $other/backup ]]
	run -0 cs-backup backup2
	assert_equal "$(leftovers "$CS_STORE")" ''
}

@test "cs-backup --into --keep: names by UTC time sort by age, never collide; the oldest go" {
	init_mainnet_10k
	mkdir backups backups/notes backups/2020-01-01
	touch backups/20000101T000000.000000Z backups/README
	local made=() newest i
	for i in 1 2 3 4 5; do
		run -0 --separate-stderr cs-backup --into backups --keep 3
		assert_output ''
		assert_err_empty
		newest=$(ls backups | grep -E '^[0-9]{8}T[0-9]{6}\.[0-9]{6}Z$' | tail -n 1)
		made+=("$newest")
	done
	# five distinct names, each after the one before (made within a second or so)
	assert_equal "$(printf '%s\n' "${made[@]}" | sort -u | wc -l)" 5
	assert_equal "$(printf '%s\n' "${made[@]}")" "$(printf '%s\n' "${made[@]}" | sort)"
	[[ ${made[0]} == $(date -u +%Y%m%d)T* || ${made[0]} == $(date -u -d '1 min ago' +%Y%m%d)T* ]]
	# the newest three remain, and what is not a backup stays
	run -0 bash -c 'ls -A backups | sort'
	assert_output "$(printf '%s\n' 20000101T000000.000000Z 2020-01-01 README "${made[2]}" "${made[3]}" "${made[4]}" notes | sort)"
	for i in 2 3 4; do
		run -0 cs-tip -s "backups/${made[$i]}" -f json
		assert_json .hash "$HASH_10236"
	done
	# without --keep, nothing is removed
	run -0 cs-backup --into backups
	assert_equal "$(ls backups | grep -c 'Z$')" 5
}

@test "cs-backup --into: a clock behind the newest name still sorts the new backup last" {
	init_mainnet_10k
	mkdir -p backups/29991231T235959.999999Z
	run -0 cs-backup --into backups --keep 1
	# the new one is named just after it, and --keep 1 keeps the new one
	assert_equal "$(ls -A backups)" 30000101T000000.000000Z
	run -0 cs-tip -s backups/30000101T000000.000000Z -f json
	assert_json .hash "$HASH_10236"
	run -73 cs-backup --into nodir/backups
}

@test "cs-backup: usage errors are 64" {
	run -64 --separate-stderr cs-backup
	assert_err_contains "cs-backup: nothing to do"
	assert_err_contains "usage: cs-backup [-qv] [-s DIR] [-w SECONDS] [--copy] DEST"
	run -64 cs-backup a b
	run -64 cs-backup --export a
	run -64 cs-backup --into a --export
	run -64 cs-backup --keep 3 a
	run -64 cs-backup --into a --keep 0
	run -64 cs-backup --into a --keep x
	run -64 cs-backup --force a
	run -64 cs-backup -f json a
	run -64 --separate-stderr cs-backup -f raw --export
	assert_err_contains "raw carries headers only"
	run -64 cs-backup -f blk --export
	run -64 cs-backup --bogus
	run -0 cs-backup -h
	assert_line --index 0 "usage: cs-backup [-qv] [-s DIR] [-w SECONDS] [--copy] DEST"
	run -0 cs-backup -V
	assert_output "cs-backup 0.1.0"
}

@test "cs-backup --export: mainnet 0..10236 then the btcd forks; cs-put replays it byte for byte" {
	reorg_forks_store
	cs-backup --export > export.cbor
	run -0 export_check export.cbor
	assert_line --index 0 "main 10237 forks 7 bodies 8"
	# the forks are the btcd chain's seven blocks after its genesis
	assert_equal "$(printf '%s\n' "${lines[@]:1}" | sort)" "$(tail -n +3 "$REORG/headers.csv" | cut -d, -f3 | sort)"
	# published values
	cbor2json export.cbor > export.jsonl
	assert_equal "$(sed -n 10001p export.jsonl | jq -r .height)" 10000
	assert_equal "$(reverse_hex "$(sed -n 10001p export.jsonl | jq -r .hash)")" "$HASH_10000"
	assert_equal "$(sed -n 10237p export.jsonl | jq -r .chainwork)" "$((16#27fd27fd27fd))"
	# into a fresh store made the same way, and out again: the same bytes
	dir=$(replay export.cbor)
	run -0 cs-tip -s "$dir" -f json
	assert_json .hash "$HASH_10236"
	cs-backup -s "$dir" --export | cmp - export.cbor
	# json carries the same
	cs-backup -f json --export > export.json
	assert_equal "$(wc -l < export.json)" 10244
	dir=$(replay export.json json)
	cs-backup -s "$dir" --export | cmp - export.cbor
}

@test "cs-backup --export: btcd blocks 1..255 with their bodies; replays exactly, also from hex" {
	run -0 cs-init -q
	run -0 cs-put -q -f blk "$BTCD_BLOCKS"
	cs-backup --export > export.cbor
	run -0 export_check export.cbor
	assert_output "main 256 forks 0 bodies 255"
	# each header and body is the block as it is in the file
	"$PY" -c '
import io, struct, sys, cbor2
d = open(sys.argv[1], "rb").read()
blocks, i = [], 0
while i < len(d):
    n = struct.unpack("<I", d[i + 4:i + 8])[0]
    blocks.append(d[i + 8:i + 8 + n])
    i += 8 + n
data = open(sys.argv[2], "rb").read()
fp = io.BytesIO(data)
dec = cbor2.CBORDecoder(fp)
entries = []
while fp.tell() < len(data):
    entries.append(dec.decode())
assert len(blocks) == 255 and len(entries) == 256
for b, e in zip(blocks, entries[1:]):
    assert e["header"] + e["body"] == b, e["height"]
' "$BTCD_BLOCKS" export.cbor
	dir=$(replay export.cbor)
	cs-backup -s "$dir" --export | cmp - export.cbor
	cs-backup -f hex --export > export.hex
	dir=$(replay export.hex hex)
	cs-backup -s "$dir" --export | cmp - export.cbor
	# text is for people: a line an entry, then its decoded header indented
	run -0 bash -c "cs-backup -f text --export | grep -v '^  [a-zA-Z]'"
	assert_equal "${#lines[@]}" 256
	assert_line --index 255 --partial "body"
}

@test "cs-backup --export: an opaque store, forks included, replays exactly" {
	local g
	g=$(printf '{"hash":"%064x","prev":"%064x","header":"aa"}' 1 0)
	run -0 cs-init -q --opaque -f json <<<"$g"
	{
		printf '{"hash":"%064x","prev":"%064x","header":"bb01","body":"cafe"}\n' 2 1
		printf '{"hash":"%064x","prev":"%064x","header":"cc","work":5}\n' 3 2
		printf '{"hash":"%064x","prev":"%064x","header":"dd","work":3}\n' 4 1
		printf '{"hash":"%064x","prev":"%064x","header":"ee"}\n' 5 4
	} > entries.json
	run -0 cs-put -q -f json entries.json
	run -0 cs-backup -f json --export
	assert_equal "${#lines[@]}" 5
	output=${lines[3]} assert_json '[.height, .status, .work] | join(" ")' "1 fork 3"
	output=${lines[4]} assert_json '[.height, .status, .prev] | join(" ")' "2 fork $(printf '%064x' 4)"
	cs-backup --export > export.cbor
	dir=$BATS_TEST_TMPDIR/replay
	cs-init -q -s "$dir" --opaque -f json <<<"$g"
	cs-put -q -s "$dir" export.cbor
	cs-backup -s "$dir" --export | cmp - export.cbor
}

@test "cs-backup --export: forks above the tip and beside main entries, parents first; replays exactly" {
	local g
	g=$(printf '{"hash":"%064x","prev":"%064x","header":"aa"}' 1 0)
	run -0 cs-init -q --opaque -f json <<<"$g"
	# the best chain is the short one: 1-2 (work 100); the fork 3-4-5 off
	# the genesis reaches heights 1 to 3, two of them above the tip, and
	# 6 off 2 stands at height 2 too
	{
		printf '{"hash":"%064x","prev":"%064x","header":"b1","work":100}\n' 2 1
		printf '{"hash":"%064x","prev":"%064x","header":"c1"}\n' 3 1
		printf '{"hash":"%064x","prev":"%064x","header":"c2"}\n' 4 3
		printf '{"hash":"%064x","prev":"%064x","header":"c3","body":"beef"}\n' 5 4
		printf '{"hash":"%064x","prev":"%064x","header":"b2"}\n' 6 2
	} > entries.json
	run -0 cs-put -q -f json entries.json
	run -0 cs-tip -f json
	assert_json '[.height, .hash] | join(" ")' "2 $(printf '%064x' 6)"
	run -0 cs-put -q -f json <<<"$(printf '{"hash":"%064x","prev":"%064x","header":"b3","work":1}' 7 2)"
	run -0 cs-tip -f json
	assert_json .height 2
	run -0 cs-backup -f json --export
	assert_equal "$(printf '%s\n' "${lines[@]}" | jq -r '[.height, .status, .hash[-1:]] | join(" ")')" \
		"$(printf '%s\n' '0 main 1' '1 main 2' '2 main 6' '1 fork 3' '2 fork 4' '2 fork 7' '3 fork 5')"
	output=${lines[6]} assert_json .body beef
	cs-backup --export > export.cbor
	dir=$BATS_TEST_TMPDIR/replay
	cs-init -q -s "$dir" --opaque -f json <<<"$g"
	cs-put -q -s "$dir" export.cbor
	cs-backup -s "$dir" --export | cmp - export.cbor
}

@test "cs-backup --export: one moment of the store; writers go on meanwhile" {
	init_mainnet_10k
	start_paused sh -c 'cs-backup --export > export.cbor'
	# the store is free while the export is read: a writer lands
	run -0 cs-put -w 0 -q -f blk "$REORG/blk_0_to_4.dat"
	exec 7>&-
	wait "$bg"
	# the export is the store as it was when it began
	run -0 export_check export.cbor
	assert_output "main 10237 forks 0 bodies 0"
	assert_equal "$(leftovers "$CS_STORE")" ''
	cs-backup --export > now.cbor
	run -0 export_check now.cbor
	assert_line --index 0 "main 10237 forks 4 bodies 5"
}

@test "cs-backup --export: a reader that goes away is no error" {
	init_mainnet_10k
	run -0 --separate-stderr bash -c 'cs-backup --export | head -c 100 > /dev/null; echo "${PIPESTATUS[0]}"'
	assert_output 0
	assert_err_empty
	assert_equal "$(leftovers "$CS_STORE")" ''
}

@test "cs-backup --verify: a sound backup is silent (0); -v counts; an opaque one says hashes are not verified" {
	reorg_forks_store
	run -0 cs-backup "$BATS_TEST_TMPDIR/b"
	run -0 --separate-stderr cs-backup --verify "$BATS_TEST_TMPDIR/b"
	assert_output ''
	assert_err_empty
	run -0 --separate-stderr cs-backup -v --verify "$BATS_TEST_TMPDIR/b"
	assert_err_equal "cs-backup: backup '$BATS_TEST_TMPDIR/b' is sound: 10244 entries, tip height 10236"
	# missing: 66
	run -66 --separate-stderr cs-backup --verify "$BATS_TEST_TMPDIR/none"
	assert_err_contains "$BATS_TEST_TMPDIR/none"
	# an opaque store's backup: links, heights and chainwork, not hashes
	o=$BATS_TEST_TMPDIR/opaque
	printf '{"hash":"%064x","prev":"%064x","header":"aa"}' 1 0 | cs-init -q -s "$o" --opaque -f json
	printf '{"hash":"%064x","prev":"%064x","header":"bb","work":7}\n' 2 1 | cs-put -q -s "$o" -f json
	run -0 cs-backup -s "$o" "$BATS_TEST_TMPDIR/ob"
	run -0 --separate-stderr cs-backup -v --verify "$BATS_TEST_TMPDIR/ob"
	assert_err_equal "cs-backup: backup '$BATS_TEST_TMPDIR/ob' is sound: 2 entries, tip height 1 (an opaque store: hashes not verified)"
}

@test "cs-backup --verify: a damaged backup is 74, naming what is wrong; the store is not touched" {
	init_mainnet_10k
	run -0 cs-backup "$BATS_TEST_TMPDIR/b"
	# the backup loses the height index at 100, and its tip key
	run -0 cs-poke -s "$BATS_TEST_TMPDIR/b" del "$(printf '48%08x' 100)"
	run -74 --separate-stderr cs-backup --verify "$BATS_TEST_TMPDIR/b"
	assert_err_contains "cs-backup: backup '$BATS_TEST_TMPDIR/b' is corrupt: "
	assert_err_contains "height 100"
	assert_err_contains "problem"
	# the same findings as cs-check gives
	run -74 --separate-stderr cs-check -s "$BATS_TEST_TMPDIR/b"
	run -0 cs-check
}

@test "cs-backup --restore: makes the store; refuses an existing one without --force (73)" {
	init_mainnet_10k backup
	run -0 --separate-stderr cs-backup --restore backup
	assert_output ''
	assert_err_empty
	[[ -f $CS_STORE/lock ]]
	cmp <(store_dump) <(store_dump backup)
	assert_equal "$(leftovers .)" ''
	# the store is its own: writing to it leaves the backup as it was
	run -0 cs-put -q -f blk "$REORG/blk_0_to_4.dat"
	run -1 cs-get -s backup -f json "$REORG_HASH_4"
	run -73 --separate-stderr cs-backup --restore backup
	assert_err_equal "cs-backup: store '$CS_STORE' exists: use --force to replace it"
	run -0 cs-get -f json "$REORG_HASH_4"
	# a directory that is not a store is never replaced; an empty one is
	mkdir -p other/x
	run -73 --separate-stderr cs-backup -s other --restore backup --force
	assert_err_equal "cs-backup: 'other' exists and is not a store"
	[[ -d other/x ]]
	mkdir empty
	run -0 cs-backup -s empty --restore backup
	run -0 cs-tip -s empty -f json
	assert_json .hash "$HASH_10236"
	run -64 cs-backup -s backup --restore backup
	run -73 cs-backup -s nodir/store --restore backup
}

@test "cs-backup --restore --force: replaces the store whole; busy is 75" {
	reorg_forks_store
	init_mainnet_10k backup
	hold_lock 5
	run -75 cs-backup -w 0.3 --restore backup --force
	kill "$holder"
	wait "$holder" || true
	holder=
	run -0 cs-get -f json "$REORG_HASH_5A"
	assert_equal "$(leftovers .)" ''
	run -0 --separate-stderr cs-backup -v --restore backup --force
	assert_err_equal "cs-backup: restored '$CS_STORE' from 'backup', replacing the store that was there"
	run -1 cs-get -f json "$REORG_HASH_5A"
	cmp <(store_dump) <(store_dump backup)
	assert_equal "$(leftovers .)" ''
	assert_equal "$(leftovers "$CS_STORE")" ''
}

@test "cs-backup --restore --force: killed before the swap, the old store stays; the next run cleans up" {
	reorg_forks_store
	init_mainnet_10k backup
	start_paused cs-backup --restore backup --force
	# the new database is made inside the store, to be exchanged for its own
	assert_equal "$(leftovers "$CS_STORE" | wc -l)" 1
	kill -9 "$bg"
	exec 7>&-
	wait "$bg" || true
	run -0 cs-get -f json "$REORG_HASH_5A"
	# any command that opens the store removes what the killed one left
	assert_equal "$(leftovers "$CS_STORE")" ''
	run -0 cs-backup --restore backup --force
	assert_equal "$(leftovers .)" ''
	assert_equal "$(leftovers "$CS_STORE")" ''
	run -1 cs-get -f json "$REORG_HASH_5A"
}

@test "cs-backup --restore --force: only the store's database is replaced; a backup inside the store is refused (64)" {
	reorg_forks_store
	run -0 cs-backup --into "$CS_STORE/backups"
	run -0 cs-backup "$CS_STORE/one"
	echo notes >"$CS_STORE/NOTES"
	run -64 --separate-stderr cs-backup --restore "$CS_STORE/one" --force
	assert_err_equal "cs-backup: backup '$CS_STORE/one' lies inside the store '$CS_STORE' it would replace"
	run -64 --separate-stderr cs-backup --restore "$CS_STORE/backups/$(ls "$CS_STORE/backups")" --force
	assert_err_contains "lies inside the store"
	# from outside: the database is replaced, everything else stays
	init_mainnet_10k backup
	run -0 cs-backup --restore backup --force
	run -1 cs-get -f json "$REORG_HASH_5A"
	[[ $(cat "$CS_STORE/NOTES") == notes ]]
	run -0 cs-get -s "$CS_STORE/one" -f json "$REORG_HASH_5A"
	run -0 cs-tip -s "$CS_STORE/backups/$(ls "$CS_STORE/backups")" -f json
	assert_equal "$(leftovers "$CS_STORE")" ''
}

@test "cs-backup --restore: tables of another user's backup are copied, never linked; our own are linked" {
	[[ $(id -u) -eq 0 ]] || skip "needs root to give the backup's files to another user"
	init_mainnet_10k theirs
	init_mainnet_10k mine
	chown -R nobody theirs
	run -0 cs-backup -s restored --restore theirs
	local t shared=0 linked=0
	for t in restored/db/*.ldb; do
		[[ $(stat -c %i "$t") == "$(stat -c %i "theirs/db/${t##*/}" 2>/dev/null)" ]] && shared=$((shared + 1))
	done
	assert_equal "$shared" 0
	run -0 cs-backup -s restored2 --restore mine
	for t in restored2/db/*.ldb; do
		[[ $(stat -c %i "$t") == "$(stat -c %i "mine/db/${t##*/}" 2>/dev/null)" ]] && linked=$((linked + 1))
	done
	((linked > 0)) || fail "none of our own tables was linked"
	cmp <(store_dump restored) <(store_dump theirs)
}

@test "cs-backup --copy: a backup that shares no file with the store" {
	init_mainnet_10k
	run -0 --separate-stderr cs-backup -v --copy backup
	assert_err_regex "^cs-backup: backed up '.*' to 'backup': [0-9]+ files: 0 linked, [1-9][0-9]* staged and copied"
	local t
	for t in backup/db/*; do
		[[ $(stat -c %h "$t") == 1 ]] || fail "$t has $(stat -c %h "$t") links"
	done
	cmp <(store_dump) <(store_dump backup)
	run -0 cs-backup --copy --into backups
	run -64 --separate-stderr cs-backup --copy --export
	assert_err_contains "cs-backup: --copy goes with DEST or --into"
	assert_equal "$(leftovers "$CS_STORE")" ''
}

@test "cs-backup --restore --force: a command waiting for the old store takes the new store's lock" {
	# What the swap does to waiters, step by step and without timing: the
	# old store is held, a cs-tip waits for it, the store is swapped for
	# one that is held too; when the old one is let go, the cs-tip must
	# wait for the new one's lock, not open the new database under the old.
	init_mainnet_10k
	run -0 cs-init -q -s new
	headers "$MAINNET" 0 999 | cs-put -q -s new -f raw
	mkfifo go1 go2
	flock "$CS_STORE/lock" sh -c 'read -r x < go1' 3>&- &
	holder=$!
	wait_locked "$CS_STORE/lock"
	cs-tip -w 60 -f json > tip.json 3>&- &
	waiter=$!
	wait_locked "$CS_STORE/want"
	flock new/lock sh -c 'read -r x < go2' 3>&- &
	holder2=$!
	wait_locked new/lock
	mv "$CS_STORE" old
	mv new "$CS_STORE"
	echo > go1
	wait "$holder"
	holder=
	wait_locked "$CS_STORE/want"
	echo > go2
	wait "$holder2"
	holder2=
	wait "$waiter"
	waiter=
	run -0 jq -r .height tip.json
	assert_output 999
}

@test "cs-backup: backups taken while cs-put imports are whole stores with linked main chains" {
	run -0 cs-init -q --network regtest
	cs-genchain -n 300000 -f raw > chain.bin
	cs-put -q -f raw chain.bin 3>&- &
	writer=$!
	# as many backups as the import leaves room for, at least one; each
	# waits for the writer to let go at a commit
	local n=0
	while ((n < 4)); do
		n=$((n + 1))
		run -0 cs-backup -w 60 "backup$n"
		run -0 cs-backup -w 60 --into backups
		kill -0 "$writer" 2>/dev/null || break
	done
	cs-backup -w 60 --export > export.cbor
	wait "$writer"
	writer=
	local b tip count last
	for b in backup[0-9]* backups/*; do
		run -0 cs-tip -s "$b" -f json
		tip=$(jq -r .height <<<"$output")
		last=$(jq -r .hash <<<"$output")
		cs-get -s "$b" -f raw --range 0.. > main.raw
		read -r count hash < <(chain_check main.raw)
		assert_equal "$count" "$((tip + 1))"
		assert_equal "$hash" "$last"
		# the genesis, then the first headers of the input
		cmp main.raw <(cs-get -n 0 -f raw; head -c $(((count - 1) * 80)) chain.bin)
	done
	run -0 export_check export.cbor
	[[ ${lines[0]} == "main "*" forks 0 bodies 0" ]]
	run -0 cs-tip -f json
	assert_json .height 300000
}

@test "cs-backup --export killed midway: the private copy it left in the store goes at the next command" {
	init_mainnet_10k
	start_paused cs-backup --export -f json
	assert_equal "$(leftovers "$CS_STORE" | wc -l)" 1
	kill -9 "$bg"
	exec 7>&-
	wait "$bg" || true
	assert_equal "$(leftovers "$CS_STORE" | wc -l)" 1
	run -0 cs-tip -f json
	assert_equal "$(leftovers "$CS_STORE")" ''
}

@test "cs-backup --export on a terminal: a '\\r' line of entries exported of all, erased at the end; none when the export itself goes to the terminal, with -q, or off a terminal" {
	init_mainnet_10k
	CR=$'\r' EL=$'\e[K' EL_RE=$'\e''\[K'
	# held for a second: the line is due (100 ms) by the first entry
	flock "$CS_STORE/lock" sleep 1 3>&- &
	holder=$!
	wait_locked "$CS_STORE/lock"
	script -qec 'cs-backup --export >export.cbor' /dev/null >tty.out
	out=$(<tty.out)
	re="^${CR}cs-backup: 1 of 10237 exported, [0-9]+ entries/s, 0%${EL_RE}"
	[[ $out =~ $re ]] || fail "no progress line first: $(cat -v tty.out)"
	[[ $out == *"${CR}${EL}" ]] || fail "the line is not erased at the end: $(cat -v tty.out)"
	# the export is whole
	run -0 bash -c 'cs-backup --export | cmp - export.cbor'
	# to the terminal itself, or with -q: no line, held a second as above
	flock "$CS_STORE/lock" sleep 1 3>&- &
	holder=$!
	wait_locked "$CS_STORE/lock"
	script -qec 'cs-backup --export -f hex' /dev/null >tty.out
	assert_equal "$(grep -c exported tty.out)" 0
	assert_equal "$(grep -c . tty.out)" 10237
	flock "$CS_STORE/lock" sleep 1 3>&- &
	holder=$!
	wait_locked "$CS_STORE/lock"
	script -qec 'cs-backup -q --export >/dev/null' /dev/null >tty.out
	assert_equal "$(cat -v tty.out)" ""
	cs-backup --export >/dev/null 2>err
	assert_equal "$(cat err)" ""
}
