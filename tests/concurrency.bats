#!/usr/bin/env bats
# cs(7) "Locking and pipelines" under real use: writers let go between commits, waiters are
# named, two writers both land, pipelines over one store complete.

load test_helper

setup() {
	common_setup
	cd "$BATS_TEST_TMPDIR"
}

# hashes of the 80-byte headers in FILE, display hex, one a line
header_hashes() {
	"$PY" -c '
import hashlib, sys
data = open(sys.argv[1], "rb").read()
for i in range(0, len(data), 80):
    print(hashlib.sha256(hashlib.sha256(data[i:i+80]).digest()).digest()[::-1].hex())
' "$1"
}

@test "two writers at once both land; nothing lost; the tip is the best entry" {
	# Two branches off genesis, written by two cs-put at the same time.
	cs-genchain -n 40000 --fork-at 0 --fork-len 45000 > both.bin
	head -c $((40000 * 80)) both.bin > a.bin
	tail -c $((45000 * 80)) both.bin > b.bin
	run -0 cs-init -q --network regtest
	cs-put -q -w 60 -f raw a.bin & pa=$!
	cs-put -q -w 60 -f raw b.bin & pb=$!
	wait "$pa"
	wait "$pb"
	header_hashes a.bin > keys
	header_hashes b.bin >> keys
	run -0 bash -c 'cs-get -f hex - < keys | wc -l'
	assert_output 85000
	# The longer branch has more work (same bits): its last header is the tip.
	run -0 cs-tip -f json
	assert_json .hash "$(tail -n 1 keys)"
	assert_json .height 45000
	run -0 cs-tip --all -f json
	assert_line --index 1 --partial '"branchlen":40000'
}

@test "a cs-tip during a long import waits for the next commit, not the import" {
	# a million headers: long enough (seconds) that the readers land inside
	# the import even now that cs-put runs near LevelDB's own speed; 60 s
	# apart, so that the last is not ahead of the clock (time-too-new)
	cs-genchain -n 1000000 --spacing 60 > chain.bin
	run -0 cs-init -q --network regtest
	cs-put -q -f raw chain.bin & writer=$!
	sleep 0.5
	local worst=0 t0 t1 ms
	for i in 1 2 3 4 5; do
		t0=$(date +%s%N)
		run -0 cs-tip -w 30 -f json
		t1=$(date +%s%N)
		ms=$(((t1 - t0) / 1000000))
		((ms > worst)) && worst=$ms
		kill -0 "$writer" 2>/dev/null || break
	done
	kill -0 "$writer" 2>/dev/null || skip "the import ended before the readers ran (machine too fast)"
	wait "$writer"
	# Functional bound only (timing is measured in tests/tools/bench-reader-wait.sh):
	# a reader that waited for the whole import would take many seconds.
	((worst < 5000)) || fail "a cs-tip waited $worst ms"
	run -0 cs-tip -f json
	assert_json .height 1000000
}

@test "busy: a cs command holding the store is named with pid and since when" {
	cs-genchain -n 400000 > chain.bin
	run -0 cs-init -q --network regtest
	cs-put -q -f raw chain.bin & writer=$!
	sleep 0.3
	# -w 0 asks once, without saying it waits: the writer keeps the store.
	local seen=
	for i in $(seq 1 40); do
		run --separate-stderr cs-tip -w 0 -f json
		if ((status == 75)); then
			seen=$stderr
			break
		fi
		sleep 0.05
	done
	wait "$writer"
	[[ -n $seen ]] || fail "never saw the store busy"
	[[ $seen =~ ^cs-tip:\ store\ busy:\ held\ by\ cs-put\ \(pid\ $writer\)\ since\ 20[0-9]{2}-[0-9]{2}-[0-9]{2}\ [0-9:]{8}\ UTC$ ]] ||
		fail "message: $seen"
}

@test "busy: flock(1) from a shell holds the store; the holder is named" {
	run -0 cs-init -q
	flock "$CS_STORE/lock" sleep 3 & holder=$!
	sleep 0.3
	run -75 --separate-stderr cs-get -w 0.5 -n 0 -f json
	assert_output ''
	[[ $stderr =~ ^cs-get:\ store\ busy:\ held\ by\ (flock|sleep)\ \(pid\ [0-9]+\) ]] || fail "message: $stderr"
	wait "$holder"
	run -0 cs-get -n 0 -f json
	assert_json .hash "$GENESIS_MAINNET"
}

@test "a pipeline reading and writing one store completes (no 75, no hang)" {
	init_mainnet_10k
	run -0 timeout 60 bash -c 'cs-get --range 0.. -w 30 | cs-put -w 30 -q; echo "${PIPESTATUS[*]}"'
	assert_output '0 0'
	run -0 timeout 60 bash -c 'cs-tip -w 30 | cs-get -w 30 -f json - | cs-put -w 30 -q -f json; echo "${PIPESTATUS[*]}"'
	assert_output '0 0 0'
	run -0 cs-tip -f json
	assert_json .hash "$HASH_10236"
}
