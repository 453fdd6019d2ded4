#!/usr/bin/env bats
# Crash consistency (cs(7) "Durability"): kill -9 at seeded random moments during an
# import, a prune, a backup, a restore, a repair, cs-init and cs-tip
# --invalidate and --reconsider; after each,
# the store opens, cs-check passes, every commit cs-put -v reported is
# there, the tip is the best entry, and running the job again completes it. tests/tools/crash-trials.sh
# does the work; `make stress` runs it longer.

load test_helper

setup() {
	common_setup
}

@test "crash trials: 21 kill -9s during import, prune and backup lose nothing" {
	run -0 "$REPO/tests/tools/crash-trials.sh" -n 21 -s 1 "$BATS_TEST_TMPDIR/trials"
	assert_line '21 trials, 0 failed'
	# the kills landed in every workload
	[ "$(grep -c '(import, ' <<<"$output")" -eq 7 ]
	[ "$(grep -c '(prune, ' <<<"$output")" -eq 7 ]
	[ "$(grep -c '(backup, ' <<<"$output")" -eq 7 ]
}

@test "crash trials: 10 kill -9s during a restore --force and 10 during a repair lose nothing" {
	run -0 "$REPO/tests/tools/crash-trials.sh" -n 10 -s 3 -w restore "$BATS_TEST_TMPDIR/trials"
	assert_line '10 trials, 0 failed'
	run -0 "$REPO/tests/tools/crash-trials.sh" -n 10 -s 5 -w repair "$BATS_TEST_TMPDIR/trials"
	assert_line '10 trials, 0 failed'
}

@test "crash trials: 8 kill -9s during cs-tip --invalidate and 8 during --reconsider leave the store before or after" {
	local all
	run -0 "$REPO/tests/tools/crash-trials.sh" -n 8 -s 1 -w invalidate "$BATS_TEST_TMPDIR/trials"
	assert_line '8 trials, 0 failed'
	all=$output
	run -0 "$REPO/tests/tools/crash-trials.sh" -n 8 -s 3 -w reconsider "$BATS_TEST_TMPDIR/trials"
	assert_line '8 trials, 0 failed'
	all+=$output
	# the kills landed before the write and after it
	grep -q 'as before the kill' <<<"$all"
	grep -q 'as after the kill' <<<"$all"
}

@test "crash trials: 20 kill -9s during cs-init leave a whole store or none" {
	run -0 "$REPO/tests/tools/crash-trials.sh" -n 20 -s 1 -w init "$BATS_TEST_TMPDIR/trials"
	assert_line '20 trials, 0 failed'
	# the kills landed before and after the store appeared
	grep -q 'no store after the kill' <<<"$output"
	grep -q 'a whole store after the kill' <<<"$output"
}

@test "crash trials: a lost commit is caught (the harness can fail)" {
	# a cs-put that reports a commit it never made, then hangs until the
	# kill: the trial must fail
	mkdir -p fake
	for c in "$REPO"/bin/cs-*; do ln -s "$c" fake/; done
	rm fake/cs-put
	cat >fake/cs-put <<FAKE
#!/bin/sh
echo "cs-put: committed: 1 read, 1 added; tip 1 $(printf '%064x' 7)" >&2
exec sleep 10
FAKE
	chmod +x fake/cs-put
	CS_BIN=$PWD/fake run -1 "$REPO/tests/tools/crash-trials.sh" -n 1 -w import "$BATS_TEST_TMPDIR/t"
	assert_line --partial 'reported commit'
	assert_line '1 trials, 1 failed'
}
