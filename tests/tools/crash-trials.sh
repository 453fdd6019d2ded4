#!/bin/sh
# crash-trials.sh [-n TRIALS] [-s SEED] [-w WORKLOAD] DIR
#
# kill -9 a cs command at a random moment, then check what cs(7) "Durability" promises:
# the store opens, cs-check passes, every commit reported done (cs-put -v)
# is there, the tip is the best entry, and running the job again completes
# it. WORKLOAD is import, prune, backup, restore, repair, invalidate or
# reconsider (cs-tip --invalidate and --reconsider, a reorg of 31,000
# entries each way: the store is as before or as after, whole), or all (import,
# prune and backup, one after another), or init: kill cs-init, then the
# store is whole or absent (cs-tip exits 66), and the next cs-init makes it
# and leaves no temporary directory.
# Prints one line a trial and a last line "N trials, N failed"; exits 1
# when any failed. Used by tests/crash.bats (CI) and `make stress`.
set -u

trials=20 seed=1 workload=all
while getopts n:s:w: opt; do
	case $opt in
	n) trials=$OPTARG ;;
	s) seed=$OPTARG ;;
	w) workload=$OPTARG ;;
	*) echo "usage: crash-trials.sh [-n TRIALS] [-s SEED] [-w WORKLOAD] DIR" >&2; exit 64 ;;
	esac
done
shift $((OPTIND - 1))
[ $# -eq 1 ] || { echo "usage: crash-trials.sh [-n TRIALS] [-s SEED] [-w WORKLOAD] DIR" >&2; exit 64; }
work=$1
repo=$(cd "$(dirname "$0")/../.." && pwd)
# CS_BIN: where the commands are (a test swaps in a broken one)
PATH=${CS_BIN:-$repo/bin}:$repo/tests/tools/bin:$PATH
export CS_WAIT=30
mkdir -p "$work" || exit 73
rm -rf "$work/bodies.ref" "$work/shares.ref" # made again by this build

# A chain whose branch overtakes the main chain late: the reorg happens
# inside the import, so kills land before, during and after it.
chain=$work/chain.bin
cs-genchain -n 60000 --fork-at 30000 --fork-len 31000 -f raw >"$chain" || exit 70
final=$(cs-genchain -n 60000 --fork-at 30000 --fork-len 31000 -f hex | tail -1)

# Blocks with bodies for prune and backup trials.
blocks=$repo/tests/data/blocks/btcd_blocks_1-255.dat

failed=0 done_trials=0

# rand N: sets r to a number in 0..N-1 from a seeded LCG (reproducible
# with -s; not in a subshell, or the state would not advance).
state=$seed
rand() {
	state=$(((state * 1103515245 + 12345) % 2147483648))
	r=$((state / 65536 % $1))
}

fail() {
	echo "trial $trial ($kind, kill after ${delay}s): $*"
	failed=$((failed + 1))
}

# check_store STORE: opens, cs-check passes, the tip is the best entry.
check_store() {
	cs-tip -s "$1" -f json >"$work/tip.json" 2>"$work/err" || { fail "cs-tip: $(cat "$work/err")"; return 1; }
	cs-check -s "$1" 2>"$work/err" || { fail "cs-check: $(cat "$work/err")"; return 1; }
	return 0
}

# kill_after SECONDS PID
kill_after() {
	sleep "$1"
	kill -9 "$2" 2>/dev/null
	wait "$2" 2>/dev/null
}

trial_import() {
	store=$work/import
	rm -rf "$store"
	cs-init -q -s "$store" --network regtest || { fail "cs-init"; return; }
	rand 900
	delay=0.$(printf '%03d' "$r")
	cs-put -v -s "$store" -f raw "$chain" 2>"$work/put.log" &
	kill_after "$delay" $!
	check_store "$store" || return
	info="tip $(jfield height <"$work/tip.json") after the kill"
	# every commit reported done is there, and the tip has at least its work
	last=$(grep 'committed:' "$work/put.log" | tail -1)
	if [ -n "$last" ]; then
		hash=${last##* }
		cs-get -s "$store" -f json "$hash" >"$work/e.json" 2>"$work/err" ||
			{ fail "reported commit $hash missing: $(cat "$work/err")"; return; }
		height=$(jfield height <"$work/e.json")
		tipheight=$(jfield height <"$work/tip.json")
		[ "$tipheight" -ge "$height" ] || { fail "tip $tipheight below reported commit $height"; return; }
	fi
	# running the import again completes the chain
	cs-put -q -s "$store" -f raw "$chain" 2>"$work/err" || { fail "re-import: $(cat "$work/err")"; return; }
	got=$(cs-tip -s "$store" -f hex)
	[ "$got" = "$final" ] || { fail "re-import ends at another tip"; return; }
	cs-check -s "$store" 2>"$work/err" || fail "cs-check after re-import: $(cat "$work/err")"
}

# jfield NAME: the number NAME of the one-line JSON object on stdin.
jfield() {
	jq -r ".$1"
}

# A store of mainnet blocks 1..255 with bodies (transactions indexed), and
# an opaque sharechain of 20,000 shares with 4,500 bodies; made once.
bodies_store() {
	[ -d "$work/bodies.ref" ] && return 0
	cs-init -q -s "$work/bodies.ref" --network mainnet &&
		cs-put -q -s "$work/bodies.ref" -f blk "$blocks"
}

shares_store() {
	[ -d "$work/shares.ref" ] && return 0
	cs-genshares -n 20000 --bodies --genesis -f cbor | cs-init -q -s "$work/shares.ref" --opaque &&
		cs-genshares -n 20000 --bodies -f cbor | cs-put -q -s "$work/shares.ref"
}

# Alternates between the two stores: the Bitcoin one prunes in about 25 ms,
# the opaque one in about 100 ms.
trial_prune() {
	store=$work/prune
	rm -rf "$store" "$work/archive"
	if [ $((trial / 3 % 2)) -eq 0 ]; then
		bodies_store && cp -a "$work/bodies.ref" "$store" || { fail "bodies store"; return; }
		rand 40
		delay=0.0$(printf '%02d' "$r")
	else
		shares_store && cp -a "$work/shares.ref" "$store" || { fail "shares store"; return; }
		rand 150
		delay=0.$(printf '%03d' "$r")
	fi
	length=$(cs-stat -s "$store" -f json | jfield main_chain_length)
	cs-prune -s "$store" --force --keep-bodies 10 --archive "$work/archive" 2>/dev/null &
	kill_after "$delay" $!
	check_store "$store" || return
	info="$(cs-stat -s "$store" -f json | jfield bodies) bodies left after the kill"
	cs-prune -s "$store" --force --keep-bodies 10 2>"$work/err" || { fail "prune again: $(cat "$work/err")"; return; }
	check_store "$store" || return
	[ "$(cs-stat -s "$store" -f json | jfield main_chain_length)" -eq "$length" ] ||
		{ fail "main-chain headers lost by prune"; return; }
	# what the archive holds comes back (an archive cut by the kill is
	# complete up to its last sync, which came before any deletion)
	if [ -s "$work/archive" ]; then
		cs-put -q -s "$store" "$work/archive" 2>"$work/err" ||
			grep -q 'truncated' "$work/err" || { fail "archive replay: $(cat "$work/err")"; return; }
		check_store "$store"
	fi
}

trial_backup() {
	bodies_store || { fail "bodies store"; return; }
	dest=$work/backup.$trial
	rm -rf "$dest" "$work"/backups.$trial
	rand 20
	delay=0.0$(printf '%02d' "$r")
	cs-backup -s "$work/bodies.ref" "$dest" 2>/dev/null &
	kill_after "$delay" $!
	check_store "$work/bodies.ref" || return
	# a backup is there whole, or not at all
	info="no backup after the kill"
	if [ -e "$dest" ]; then
		check_store "$dest" || return
		info="a whole backup after the kill"
	fi
	rm -rf "$dest"
	cs-backup -s "$work/bodies.ref" "$dest" 2>"$work/err" || { fail "backup again: $(cat "$work/err")"; return; }
	check_store "$dest"
	rm -rf "$dest"
}

# cs-backup --restore --force over a store of another chain: afterwards the
# store is the old one or the backup, whole; restoring again completes.
trial_restore() {
	bodies_store || { fail "bodies store"; return; }
	store=$work/restore
	rm -rf "$store"
	cs-init -q -s "$store" --network mainnet
	headers=$repo/tests/data/mainnet/headers_0-10236.bin
	cs-put -q -s "$store" -f raw "$headers" || { fail "old store"; return; }
	old=$(cs-tip -s "$store" -f hex) new=$(cs-tip -s "$work/bodies.ref" -f hex)
	rand 60
	delay=0.0$(printf '%02d' "$r")
	cs-backup -s "$store" --restore "$work/bodies.ref" --force 2>/dev/null &
	kill_after "$delay" $!
	check_store "$store" || return
	got=$(cs-tip -s "$store" -f hex)
	if [ "$got" = "$old" ]; then
		info="the old store after the kill"
	elif [ "$got" = "$new" ]; then
		info="the restored store after the kill"
	else
		fail "neither the old store nor the backup"
		return
	fi
	cs-backup -s "$store" --restore "$work/bodies.ref" --force 2>"$work/err" ||
		{ fail "restore again: $(cat "$work/err")"; return; }
	check_store "$store" || return
	[ "$(cs-tip -s "$store" -f hex)" = "$new" ] || fail "restore again ends at another tip"
	[ -z "$(find "$store" -maxdepth 1 -name 'cs-backup-*')" ] || fail "a restore's leftovers stay in the store"
}

# The import's store, whole, once: its tip is the branch that overtook
# the main chain at 30000; the branch's first entry is the one to mark.
marks_store() {
	[ -d "$work/marks.ref" ] && return 0
	cs-init -q -s "$work/marks.tmp" --network regtest &&
		cs-put -q -s "$work/marks.tmp" -f raw "$chain" &&
		mv "$work/marks.tmp" "$work/marks.ref"
}

# kill cs-tip --invalidate (or --reconsider) of the branch's first entry:
# the store is as before (the branch's tip) or as after (the old main
# chain's tip, 60000, and the mark), whole; doing it again completes it.
trial_mark() {
	op=$1
	marks_store || { fail "marks store"; return; }
	store=$work/$op
	rm -rf "$store"
	cp -a "$work/marks.ref" "$store" || { fail "copy"; return; }
	mark=$(cs-get -s "$store" -n 30001 -f json | jfield hash)
	# the tips as headers: the branch's, and the old main chain's (60000)
	old=$(cs-tip -s "$store" --all -f json | jq -r 'select(.status != "active") | .header')
	from=$final to=$old
	if [ "$op" = reconsider ]; then
		cs-tip -q -s "$store" --invalidate "$mark" -f hex >/dev/null || { fail "invalidate first"; return; }
		from=$old to=$final
	fi
	# kills land before, during and after: within 1.2 times what one run
	# took here, timed once (0.6 s on a quiet machine, seconds under a
	# sanitizer on a loaded one)
	if [ ! -f "$work/$op.ms" ]; then
		rm -rf "$work/timed"
		cp -a "$store" "$work/timed" || { fail "copy"; return; }
		t0=$(date +%s%N)
		cs-tip -q -s "$work/timed" --"$op" "$mark" -f hex >/dev/null 2>&1
		echo $((($(date +%s%N) - t0) / 1000000)) >"$work/$op.ms"
		rm -rf "$work/timed"
	fi
	rand $(($(cat "$work/$op.ms") * 12 / 10 + 1))
	delay=$(awk -v ms="$r" 'BEGIN { printf "%.3f", ms / 1000 }')
	cs-tip -q -s "$store" --"$op" "$mark" -f hex >/dev/null 2>&1 &
	kill_after "$delay" $!
	check_store "$store" || return
	got=$(cs-tip -s "$store" -f hex) marks=$(cs-poke -s "$store" list 49 | wc -l)
	if [ "$got" = "$from" ]; then
		info="as before the kill"
	elif [ "$got" = "$to" ]; then
		info="as after the kill"
	else
		fail "neither before nor after: tip $(jfield height <"$work/tip.json")"
		return
	fi
	# the mark and the tip move together
	case $op/$info in
	invalidate/*before* | reconsider/*after*) want=0 ;;
	*) want=1 ;;
	esac
	[ "$marks" -eq "$want" ] || { fail "$marks marks, $info"; return; }
	cs-tip -q -s "$store" --"$op" "$mark" -f hex >/dev/null 2>"$work/err" ||
		{ fail "$op again: $(cat "$work/err")"; return; }
	check_store "$store" || return
	[ "$(cs-tip -s "$store" -f hex)" = "$to" ] || fail "$op again ends at another tip"
}

trial_invalidate() {
	trial_mark invalidate
}

trial_reconsider() {
	trial_mark reconsider
}

# cs-check --repair of a sound store: a kill leaves it sound, nothing lost.
trial_repair() {
	bodies_store || { fail "bodies store"; return; }
	store=$work/repair
	rm -rf "$store"
	cp -a "$work/bodies.ref" "$store" || { fail "copy"; return; }
	rand 80
	delay=0.0$(printf '%02d' "$r")
	cs-check -s "$store" --repair >/dev/null 2>&1 &
	kill_after "$delay" $!
	check_store "$store" || return
	[ "$(cs-stat -s "$store" -f json | jfield bodies)" -eq 255 ] || { fail "bodies lost"; return; }
	[ "$(cs-tip -s "$store" -f hex)" = "$(cs-tip -s "$work/bodies.ref" -f hex)" ] || fail "another tip"
}

# Into a missing directory on odd trials, an empty one on even trials.
# cs-init takes 10-130 ms here, more on a loaded or sanitizer build: half
# the kills come in its first 10 ms, the others up to 400 ms.
trial_init() {
	store=$work/init
	rm -rf "$store" "$work"/.init.cs-init-*
	[ $((trial % 2)) -eq 0 ] && mkdir "$store"
	if [ $((trial % 4)) -lt 2 ]; then
		rand 10
		delay=0.00$r
	else
		rand 400
		delay=0.$(printf '%03d' "$r")
	fi
	cs-init -q -s "$store" --network regtest 2>/dev/null &
	kill_after "$delay" $!
	cs-tip -s "$store" >/dev/null 2>"$work/err"
	case $? in
	0) check_store "$store" || return; info="a whole store after the kill" ;;
	66) if [ -d "$store" ]; then
		want="'$store' is not a store (no db directory)"
	else
		want="store '$store' not found (create it with cs-init)"
	fi
	grep -qF "$want" "$work/err" || { fail "cs-tip: $(cat "$work/err")"; return; }
		info="no store after the kill" ;;
	*) fail "cs-tip: $(cat "$work/err")"; return ;;
	esac
	cs-init -q -s "$store" --network regtest 2>"$work/err" || { fail "cs-init again: $(cat "$work/err")"; return; }
	check_store "$store" || return
	leftover=$(find "$work" "$store" -maxdepth 1 -name '.*cs-init-*')
	[ -z "$leftover" ] || fail "left behind: $leftover"
}

trial=0
while [ "$trial" -lt "$trials" ]; do
	trial=$((trial + 1))
	case $workload in
	all) set -- import prune backup; kind=$(eval echo "\${$((trial % 3 + 1))}") ;;
	*) kind=$workload ;;
	esac
	before=$failed
	delay=0 info=
	"trial_$kind"
	done_trials=$((done_trials + 1))
	[ "$failed" -eq "$before" ] && echo "trial $trial ($kind, kill after ${delay}s): ok${info:+, $info}"
done
echo "$done_trials trials, $failed failed"
[ "$failed" -eq 0 ]
