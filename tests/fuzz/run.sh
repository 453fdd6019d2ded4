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

for fuzzer in "$@"; do
	name=${fuzzer##*/fuzz_}
	work=tests/tmp/fuzz/$name
	rm -rf "$work"
	mkdir -p "$work/corpus" tests/fuzz/regressions/"$name"
	"$fuzzer" -max_total_time="$seconds" -max_len="$max_len" -timeout=10 -rss_limit_mb=2048 \
		-print_final_stats=1 -artifact_prefix="$work/" \
		"$work/corpus" "tests/fuzz/corpus/$name" "tests/fuzz/regressions/$name" \
		>"$work/log" 2>&1
	status=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/log" | tail -n 1)
	new=$(find "$work/corpus" -type f | wc -l)
	artifact=$(find "$work" -maxdepth 1 -type f \( -name 'crash-*' -o -name 'leak-*' \
		-o -name 'timeout-*' -o -name 'oom-*' \) | head -n 1)
	if [ "$status" -eq 0 ] && [ -z "$artifact" ]; then
		echo "fuzz $name: ${execs:-?} executions in $seconds s, $new new inputs, ok"
		passed=$((passed + 1))
	else
		echo "fuzz $name: ${execs:-?} executions, exit $status, CRASH: ${artifact:-see $work/log}"
		grep -E '^(==[0-9]+==ERROR|SUMMARY|.*check failed|    #[0-9] )' "$work/log" | head -n 30 |
			sed 's/^/#   /'
		failed=$((failed + 1))
	fi
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
