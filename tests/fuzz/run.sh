#!/bin/sh
# run.sh - run each libFuzzer target for SECONDS (make fuzz; CI runs it
# shorter). A target starts from its committed seeds (tests/fuzz/corpus/NAME)
# and regressions (tests/fuzz/regressions/NAME); what it learns goes to
# tests/tmp/fuzz/NAME/corpus, never into the committed seeds. A crash leaves
# its input in tests/tmp/fuzz/NAME/: copy it to tests/fuzz/regressions/NAME/
# once fixed, and make check replays it from then on.
#
# Prints one line a target: "fuzz NAME: N executions in S s, K new inputs,
# ok" (or "CRASH: FILE"), then "N passed, N failed" (a target is one test).
#
# Usage: sh tests/fuzz/run.sh SECONDS tests/fuzz/bin/fuzz_NAME ...

set -u
seconds=${1:?usage: run.sh SECONDS FUZZER...}
shift
root=$(cd "$(dirname "$0")/../.." && pwd) || exit 70
cd "$root" || exit 70
passed=0
failed=0

# Inputs are capped at 64 KiB: enough for every structure (a body of
# hundreds of transactions, a 101-hash locator in any form), small enough to
# keep executions fast; the caps of 4 MB are tested by tests/bad-input.bats.
max_len=${FUZZ_MAX_LEN:-65536}

# fuzz_one FUZZER: runs it; its report line goes to its work directory's
# "result" (first word ok or CRASH), with the sanitizer's lines after it.
fuzz_one() {
	name=${1##*/fuzz_}
	work=tests/tmp/fuzz/$name
	rm -rf "$work"
	mkdir -p "$work/corpus" tests/fuzz/regressions/"$name"
	"$1" -max_total_time="$seconds" -max_len="$max_len" -timeout=10 -rss_limit_mb=2048 \
		-print_final_stats=1 -artifact_prefix="$work/" \
		"$work/corpus" "tests/fuzz/corpus/$name" "tests/fuzz/regressions/$name" \
		>"$work/log" 2>&1
	status=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/log" | tail -n 1)
	new=$(find "$work/corpus" -type f | wc -l)
	artifact=$(find "$work" -maxdepth 1 -type f \( -name 'crash-*' -o -name 'leak-*' \
		-o -name 'timeout-*' -o -name 'oom-*' \) | head -n 1)
	if [ "$status" -eq 0 ] && [ -z "$artifact" ]; then
		echo "ok fuzz $name: ${execs:-?} executions in $seconds s, $new new inputs, ok" >"$work/result"
	else
		{
			echo "CRASH fuzz $name: ${execs:-?} executions, exit $status, CRASH: ${artifact:-see $work/log}"
			grep -E '^(==[0-9]+==ERROR|SUMMARY|.*check failed|    #[0-9] )' "$work/log" | head -n 30 |
				sed 's/^/#   /'
		} >"$work/result"
	fi
}

# The targets run side by side, FUZZ_JOBS at a time (default: one a
# processor), each for SECONDS: the wall time is SECONDS times the number
# of rounds, not of targets. Reports come in the order of the arguments.
jobs=${FUZZ_JOBS:-$(nproc 2>/dev/null || echo 1)}
[ "$jobs" -ge 1 ] 2>/dev/null || jobs=1
running=0
for fuzzer in "$@"; do
	fuzz_one "$fuzzer" &
	running=$((running + 1))
	if [ "$running" -ge "$jobs" ]; then
		wait
		running=0
	fi
done
wait
for fuzzer in "$@"; do
	result=tests/tmp/fuzz/${fuzzer##*/fuzz_}/result
	if [ -f "$result" ] && [ "$(head -c 3 "$result")" = "ok " ]; then
		cut -c 4- "$result"
		passed=$((passed + 1))
	else
		if [ -f "$result" ]; then sed '1s/^CRASH //' "$result"; else echo "fuzz $fuzzer: no report"; fi
		failed=$((failed + 1))
	fi
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
