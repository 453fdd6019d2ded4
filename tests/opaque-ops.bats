#!/usr/bin/env bats
# The operator commands on an opaque store (cs(7) "Profiles": every
# other command works unchanged): cs-prune, cs-backup (backup, verify,
# export and replay, restore), cs-check and cs-stat, on a synthetic p2pool
# sharechain with bodies and forks (tests/tools/cs-genshares --bodies).

load test_helper

N=400

# The sharechain, its genesis and its map (the tree as the generator made
# it: one line a share), once per file.
build_fixtures() {
	local d=$BATS_FILE_TMPDIR
	[[ -e $d/fixtures.done ]] && return 0
	cs-genshares -n $N --bodies --map "$d/map" >"$d/shares.cbor" &&
		cs-genshares -n $N --bodies -f json >"$d/shares.json" &&
		cs-genshares --genesis >"$d/genesis.cbor" &&
		touch "$d/fixtures.done"
}

setup_file() {
	build_fixtures || true
}

setup() {
	common_setup
	build_fixtures || fail "cannot build the fixtures"
	F=$BATS_FILE_TMPDIR
}

# figure NAME: a figure of the map's first line ("# shares 401 forks 55 ...").
figure() {
	awk -v name="$1" 'NR == 1 { for (i = 2; i < NF; i++) if ($i == name) print $(i + 1) }' "$F/map"
}

# shares_store [DIR]: the opaque store of the whole sharechain.
shares_store() {
	cs-init -q -s "${1:-$CS_STORE}" --opaque <"$F/genesis.cbor" &&
		cs-put -q -s "${1:-$CS_STORE}" "$F/shares.cbor"
}

# chain_view [DIR]: what pruning must not change: the main chain (hash,
# height, chainwork, prev, work), the locator and a getheaders answer.
chain_view() {
	local s=${1:-$CS_STORE}
	cs-get -s "$s" --range 0.. -f json | jq -c '[.hash, .height, .chainwork, .prev, .work, .status]'
	cs-locator -s "$s" -f json
	cs-locator -s "$s" -f json --from "$(cs-get -s "$s" -n 100 -f json | jq -r .hash)"
	cs-locator -s "$s" -f json --from "$(cs-get -s "$s" -n 10 -f json | jq -r .hash)" |
		cs-locator -s "$s" --headers -f json --max 50 | jq -c '[.hash, .height]'
}

stat_field() {
	cs-stat -s "${2:-$CS_STORE}" -f json | jq -r ".$1"
}

@test "opaque cs-stat: the tree's counts (entries, main chain, forks, tips, bodies), profile opaque, no transactions" {
	shares_store
	tip=$(awk '$1 !~ /^#/ { tip = $9 } END { print tip }' "$F/map")
	tip_height=$(awk -v t="$tip" '$1 == t { print $5 }' "$F/map")
	bodies=$(jq -c 'select(has("body"))' "$F/shares.json" | wc -l)
	run -0 cs-stat -f json
	assert_json .network opaque
	assert_json .opaque true
	assert_json .entries "$(figure shares)"
	assert_json .main_chain_length $((tip_height + 1))
	assert_json .fork_entries $(($(figure shares) - tip_height - 1))
	assert_json .chain_tips "$(figure tips)"
	assert_json .bodies "$bodies"
	assert_json .pruned_bodies 0
	assert_json .transactions 0
	assert_json .tip_height "$tip_height"
	# and for Prometheus, through a real parser
	cs-stat -f prometheus >stat.prom
	run -0 "$PY" -c '
import sys
from prometheus_client.parser import text_string_to_metric_families
for f in text_string_to_metric_families(open(sys.argv[1]).read()):
    for s in f.samples:
        if s.name in ("chainstore_info", "chainstore_entries", "chainstore_transactions"):
            print(s.name, s.labels.get("profile", "-"), int(s.value))' stat.prom
	assert_line "chainstore_info opaque 1"
	assert_line "chainstore_entries - $(figure shares)"
	assert_line "chainstore_transactions - 0"
}

@test "opaque cs-check: links, heights and chainwork checked; hashes cannot be, and -v says so" {
	shares_store
	run -0 --separate-stderr cs-check
	assert_output ''
	assert_err_empty
	run -0 --separate-stderr cs-check -v
	assert_err_contains "hashes not verified: an opaque store's entries name their own"
	assert_err_contains "is sound"
}

@test "opaque cs-check: a chainwork changed by hand and a dangling prev are named, exit 74" {
	shares_store
	# the entry at main-chain height 50: flags(1) height(4), the chainwork's
	# length n(1) and its n bytes, prev(32) work(32) header (store.h)
	h=$(cs-get -n 50 -f json | jq -r .hash)
	key=45$(reverse_hex "$h")
	v=$(cs-poke get "$key")
	at=$((12 + 2 * 16#${v:10:2})) # the prev, in hex digits
	run -0 cs-poke put "$key" "${v:0:10}023039${v:at}"
	run -74 --separate-stderr cs-check
	assert_err_contains "entry $h"
	assert_err_contains "chainwork 3039"
	# the same entry pointing at a parent that is not stored
	run -0 cs-poke put "$key" "${v:0:at}$(printf '%064x' 99)${v:at + 64}"
	run -74 --separate-stderr cs-check
	assert_err_contains "entry $h"
	# --repair brings the store back to sound (entries cut off are written out)
	run -0 --separate-stderr cs-check --repair -f json
	run -0 cs-check
}

@test "opaque cs-prune: bodies and forks go; the main chain, locators and getheaders stay; the archive brings all back" {
	shares_store
	chain_view >before.txt
	cs-backup --export >before.cbor
	tip_height=$(stat_field tip_height)
	run -0 --separate-stderr cs-prune --force --keep-bodies 50 --forks 20 --archive arch.cbor
	assert_output ''
	assert_err_empty
	chain_view >after.txt
	cmp before.txt after.txt
	run -0 cs-check
	# what went: bodies below tip - 50, forks whose fork point is below tip - 20
	[ "$(stat_field pruned_bodies)" -gt 0 ]
	[ "$(stat_field fork_entries)" -lt "$(($(figure shares) - tip_height - 1))" ]
	# the lowest main-chain share that came with a body
	jq -r 'select(has("body")) | .hash' "$F/shares.json" | sort >with-body.txt
	low=$(cs-get --range 0..$((tip_height - 51)) -f json | jq -r .hash | grep -Fx -f with-body.txt | head -1)
	[ -n "$low" ]
	run -1 --separate-stderr cs-get --body -f json "$low"
	assert_err_equal "cs-get: '$low': body pruned"
	# the archive is entries cs-put reads: everything comes back, exactly
	run -0 cs-put -q arch.cbor
	cs-backup --export | cmp - before.cbor
	run -0 cs-check
	[ "$(stat_field pruned_bodies)" -eq 0 ]
}

@test "opaque cs-prune --dry-run: prints what would go, changes nothing" {
	shares_store
	cs-backup --export >before.cbor
	run -0 --separate-stderr cs-prune --dry-run --force --keep-bodies 50 --forks 20 -f json
	[ "${#lines[@]}" -gt 0 ]
	# forks go whole, main-chain entries lose their body
	output=${lines[0]} assert_json 'has("prev") and has("work")' true
	cs-backup --export | cmp - before.cbor
}

@test "opaque cs-backup: a backup is a sound store with the same entries; verify; restore" {
	shares_store
	run -0 cs-backup "$BATS_TEST_TMPDIR/b"
	run -0 --separate-stderr cs-backup -v --verify "$BATS_TEST_TMPDIR/b"
	assert_err_contains "(an opaque store: hashes not verified)"
	cs-backup --export >store.cbor
	cs-backup -s "$BATS_TEST_TMPDIR/b" --export | cmp - store.cbor
	cs-tip --all -f json >tips.json
	cs-tip -s "$BATS_TEST_TMPDIR/b" --all -f json | cmp - tips.json
	# restore into a new place, and it is the same store again
	run -0 cs-backup -s "$BATS_TEST_TMPDIR/restored" --restore "$BATS_TEST_TMPDIR/b"
	cs-backup -s "$BATS_TEST_TMPDIR/restored" --export | cmp - store.cbor
	run -0 cs-check -s "$BATS_TEST_TMPDIR/restored"
}

@test "opaque cs-backup --export: replayed into a fresh store of the same genesis, byte-identical, forks and bodies included" {
	shares_store
	cs-backup --export >export.cbor
	r=$BATS_TEST_TMPDIR/replay
	cs-init -q -s "$r" --opaque <"$F/genesis.cbor"
	run -0 cs-put -q -s "$r" export.cbor
	cs-backup -s "$r" --export | cmp - export.cbor
	[ "$(stat_field fork_entries "$r")" -gt 0 ]
	[ "$(stat_field bodies "$r")" -eq "$(stat_field bodies)" ]
	run -0 cs-check -s "$r"
}
