#!/bin/bash
# stress.sh - several writers and readers on one store at once, in rounds,
# for STRESS_SECONDS (default 20; make stress runs 120). cs(7) "Locking and pipelines" under load:
# nothing is lost, the tip is the heaviest entry, the tip a reader sees never
# loses work, and no command exits with anything but 0, or 75 after waiting
# its whole --wait.
#
# A round: a regtest chain from cs-genchain (main 1..12000, branches off
# 3000, 4000 and 5000 of lengths 6000, 9000 and 2000: the tip is the
# second branch's, at height 13000), a fresh store holding main 0..5000,
# then at once
#   writers, disjoint: main 5001..12000 (raw), each branch alone (raw, hex,
#     json); overlapping: the whole chain again shuffled (cbor), the longest
#     branch again with its path from genesis (raw);
#   readers, looping until the writers are done: cs-tip, cs-tip --all,
#     cs-get -n/--last/--range, cs-get - (keys), cs-locator, and the sync
#     pipeline of a second store, cs-locator -s copy | cs-locator --headers |
#     cs-put -s copy, 500 headers a time.
# Then every header must be in the store, the tip and the chain tips exact.
#
# Prints a line a round and, last, "N passed, N failed" (a round is a test).
# Run from anywhere; uses the repository's bin/ and tests/tools/bin/.

set -u
root=$(cd "$(dirname "$0")/../.." && pwd) || exit 70
PATH=$root/bin:$root/tests/tools/bin:$PATH
PY=/usr/bin/python3
seconds=${STRESS_SECONDS:-20}
wait_writer=120 # a writer waits this long for the store
wait_reader=30  # a reader this long

work=$(mktemp -d "${TMPDIR:-/tmp}/cs-stress.XXXXXX") || exit 70
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$work"' EXIT
trap 'exit 130' INT TERM
cd "$work" || exit 70

# The chain, its pieces, the expected result: made once.
cs-genchain -n 12000 --fork-at 3000 --fork-len 6000 --fork-at 4000 --fork-len 9000 \
	--fork-at 5000 --fork-len 2000 >all.bin || exit 70
"$PY" - <<'EOF' || exit 70
import hashlib, json, random
d = open("all.bin", "rb").read()
h = [d[i:i + 80] for i in range(0, len(d), 80)]
main, b1, b2, b3 = h[:12000], h[12000:18000], h[18000:27000], h[27000:]
def save(name, hs):
    open(name, "wb").write(b"".join(hs))
def disp(x):
    return hashlib.sha256(hashlib.sha256(x).digest()).digest()[::-1].hex()
save("pre.bin", main[:5000])        # heights 1..5000
save("w-main.bin", main[5000:])     # 5001..12000
save("w-b1.bin", b1)
open("w-b2.hex", "w").write("".join(x.hex() + "\n" for x in b2))
open("w-b3.json", "w").write("".join(json.dumps({"header": x.hex()}) + "\n" for x in b3))
s = h[:]
random.Random(1).shuffle(s)
save("w-shuffled.bin", s)
save("w-b2-path.bin", main[:4000] + b2)
open("keys", "w").write("".join(disp(x) + "\n" for x in h))
open("expect", "w").write("%s %d %s %s %s\n" % (disp(b2[-1]), len(h), disp(main[-1]), disp(b1[-1]), disp(b3[-1])))
EOF
read -r tip_hash total main_tip b1_tip b3_tip <expect

now_ms() {
	echo $(($(date +%s%N) / 1000000))
}

# run_logged NAME WAIT COMMAND...: runs COMMAND and appends
# "NAME STATUS MS" to status.log, and its stderr to NAME.err.
run_logged() {
	local name=$1 wait=$2 t0 status
	shift 2
	t0=$(now_ms)
	"$@" 2>>"$name.err"
	status=$?
	echo "$name $status $(($(now_ms) - t0)) $wait" >>status.log
	return "$status"
}

# reader NAME COMMAND...: COMMAND in a loop until ./stop exists.
reader() {
	local name=$1
	shift
	while [[ ! -e stop ]]; do
		run_logged "$name" "$wait_reader" "$@" >/dev/null
	done
}

# tip_watch: cs-tip in a loop; the chainwork it sees must never go down.
tip_watch() {
	local last=0 cw
	while [[ ! -e stop ]]; do
		cw=$(run_logged tip "$wait_reader" cs-tip -w "$wait_reader" -f json | jq -r .chainwork)
		[[ -n $cw && $cw != null ]] || continue
		# 64 hex digits each: as strings they compare as numbers
		# shellcheck disable=SC2071
		if [[ $cw < $last ]]; then
			echo "tip chainwork went down: $last then $cw" >>violations
		fi
		last=$cw
	done
}

sync_pipeline() {
	cs-locator -w "$wait_reader" -s copy | cs-locator -w "$wait_reader" -s store --headers --max 500 |
		cs-put -q -w "$wait_reader" -s copy
	local s=("${PIPESTATUS[@]}")
	for x in "${s[@]}"; do
		[[ $x -eq 0 ]] || return "$x"
	done
}

round() {
	local n=$1 failed=0 pids=() w
	rm -rf store copy stop status.log violations ./*.err
	cs-init -q -s store --network regtest && cs-put -q -s store -f raw pre.bin &&
		cs-init -q -s copy --network regtest || return 1
	export CS_STORE=$work/store

	tip_watch &
	pids+=($!)
	reader tipall cs-tip -w "$wait_reader" --all -f json &
	pids+=($!)
	reader get cs-get -w "$wait_reader" -n 0 -n 2500 -n 5000 -f json &
	pids+=($!)
	reader last cs-get -w "$wait_reader" --last 50 -f cbor &
	pids+=($!)
	reader range cs-get -w "$wait_reader" --range 4000..5000 -f hex &
	pids+=($!)
	reader keys bash -c "head -n 5000 keys | cs-get -w $wait_reader -f cbor -" &
	pids+=($!)
	reader locator cs-locator -w "$wait_reader" -f json &
	pids+=($!)
	reader sync sync_pipeline &
	pids+=($!)

	local writers=(
		"main cs-put -q -w $wait_writer -f raw w-main.bin"
		"b1 cs-put -q -w $wait_writer -f raw w-b1.bin"
		"b2 cs-put -q -w $wait_writer -f hex w-b2.hex"
		"b3 cs-put -q -w $wait_writer -f json w-b3.json"
		"shuffled cs-put -q -w $wait_writer -f raw w-shuffled.bin"
		"b2path cs-put -q -w $wait_writer -f raw w-b2-path.bin"
	)
	local wpids=()
	for w in "${writers[@]}"; do
		# shellcheck disable=SC2086 # the command line is split on purpose
		run_logged ${w%% *} "$wait_writer" ${w#* } &
		wpids+=($!)
	done
	wait "${wpids[@]}"
	touch stop
	wait "${pids[@]}"

	# every status 0, or 75 after the whole wait
	while read -r name status ms wait; do
		if [[ $status -eq 0 ]]; then
			continue
		elif [[ $status -eq 75 && $ms -ge $((wait * 1000)) ]]; then
			continue
		fi
		echo "# round $n: $name exited $status after $ms ms: $(tail -n 3 "$name.err" 2>/dev/null)"
		failed=1
	done <status.log
	if [[ -s violations ]]; then
		sed "s/^/# round $n: /" violations
		failed=1
	fi
	# nothing lost; the tip is the heaviest; the chain tips are exact
	local found tip tips
	found=$(cs-get -f hex - <keys 2>/dev/null | wc -l)
	if [[ $found -ne $total ]]; then
		echo "# round $n: $found of $total headers in the store"
		failed=1
	fi
	tip=$(cs-tip -f json | jq -r '"\(.hash) \(.height)"')
	if [[ $tip != "$tip_hash 13000" ]]; then
		echo "# round $n: tip $tip, expected $tip_hash 13000"
		failed=1
	fi
	tips=$(cs-tip --all -f json | jq -r .hash | sort | tr '\n' ' ')
	if [[ $tips != "$(printf '%s\n' "$tip_hash" "$main_tip" "$b1_tip" "$b3_tip" | sort | tr '\n' ' ')" ]]; then
		echo "# round $n: chain tips $tips"
		failed=1
	fi
	# the second store, synced from the first, holds only what the first has
	local copy_tip
	copy_tip=$(cs-tip -s copy -f json | jq -r .hash)
	if ! cs-get -q -s store -f json "$copy_tip" >/dev/null; then
		echo "# round $n: the synced store's tip $copy_tip is not in the store"
		failed=1
	fi
	local commands
	commands=$(wc -l <status.log)
	if [[ $failed -eq 0 ]]; then
		echo "ok $n - round $n: 6 writers, $((commands - 6)) reader commands, $total headers, tip 13000"
	else
		echo "not ok $n - round $n"
	fi
	return "$failed"
}

passed=0
failed=0
start=$(date +%s)
n=0
while :; do
	n=$((n + 1))
	if round "$n"; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
	fi
	(($(date +%s) - start < seconds)) || break
done
echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
