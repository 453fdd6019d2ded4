#!/bin/sh
# run-tests.sh - run the unit tests (tests/unit/bin/test_*, TAP) and the bats
# suite (tests/*.bats), from the repository root, with the repository's bin/
# first on PATH. Prints the TAP streams as they come, then as its last line
# "N passed, N failed" (", N skipped" when some were skipped).
# Exit status 0 only when nothing failed.
#
# Under a sanitizer build (make SANITIZE=address,undefined) every finding
# aborts the program that made it, so the test that ran it fails on its exit
# status; the report goes to a file, and every report file left at the end
# is printed and counted as one more failure (this catches a finding in a
# pipeline member whose status a test does not look at). Leak detection is on
# unless LeakSanitizer cannot run here (under ptrace, some containers).

set -u

root=$(cd "$(dirname "$0")/../.." && pwd) || exit 70
cd "$root" || exit 70
PATH="$root/bin:$root/tests/tools/bin:$PATH"
export PATH

passed=0
failed=0
skipped=0

tmp=$(mktemp -d "${TMPDIR:-/tmp}/cs-run-tests.XXXXXX") || exit 70
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM

sanitized=false
if grep -q __asan_init bin/cs-tip 2>/dev/null || grep -q __ubsan_handle bin/cs-tip 2>/dev/null; then
	sanitized=true
	mkdir -p "$tmp/sanitizer"
	leaks=1
	if ! ASAN_OPTIONS=detect_leaks=1 bin/cs-tip -V >/dev/null 2>&1; then
		echo "# LeakSanitizer does not run here: leak detection off"
		leaks=0
	fi
	common_opts="halt_on_error=1:abort_on_error=1:print_stacktrace=1:log_path=$tmp/sanitizer/report"
	ASAN_OPTIONS=${ASAN_OPTIONS:-$common_opts:detect_leaks=$leaks:strict_string_checks=1:detect_stack_use_after_return=1:check_initialization_order=1}
	UBSAN_OPTIONS=${UBSAN_OPTIONS:-$common_opts}
	LSAN_OPTIONS=${LSAN_OPTIONS:-print_suppressions=0}
	export ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS
	echo "# sanitizer build: ASAN_OPTIONS=$ASAN_OPTIONS"
fi

# count_tap FILE STATUS NAME: add FILE's TAP results to the totals. A program
# that fails without reporting a failing test (crash, bad plan) counts as one
# failure, and so does a TAP plan that does not match the tests seen.
count_tap() {
	counts=$(awk '
		/^ok / {
			if ($0 ~ /#[ \t]*[Ss][Kk][Ii][Pp]/) s++; else p++; n++; next }
		/^not ok / {
			if ($0 ~ /#[ \t]*[Tt][Oo][Dd][Oo]/) s++; else f++; n++; next }
		/^Bail out!/ { bail = 1 }
		/^1\.\.[0-9]+/ { sub(/^1\.\./, ""); plan = $0 + 0; hasplan = 1 }
		END {
			if (bail || (hasplan && plan != n)) f++
			printf "%d %d %d\n", p, f, s
		}' "$1")
	set -- "$@" $counts
	# $1 file, $2 status, $3 name, $4 passed, $5 failed, $6 skipped
	if [ "$2" -ne 0 ] && [ "$5" -eq 0 ]; then
		echo "# $3 exited with status $2"
		set -- "$1" "$2" "$3" "$4" 1 "$6"
	fi
	passed=$((passed + $4))
	failed=$((failed + $5))
	skipped=$((skipped + $6))
}

for t in tests/unit/bin/test_*; do
	[ -f "$t" ] && [ -x "$t" ] || continue
	echo "# $t"
	"$t" >"$tmp/unit.tap" 2>"$tmp/unit.err"
	status=$?
	cat "$tmp/unit.tap"
	sed 's/^/# /' "$tmp/unit.err"
	count_tap "$tmp/unit.tap" "$status" "$t"
done

# The bats files run side by side (bats --jobs, through GNU parallel), as
# many at a time as CS_TEST_JOBS (default: twice the processors, since most
# tests wait on fsync and on each other's processes, not on a processor);
# CS_TEST_JOBS=1 runs them one by one. Every test works in its own
# $BATS_TEST_TMPDIR (its TMPDIR too), so none sees another's files; the
# tests of one file run in order, as a file's fixtures are built for it
# once. The slowest files start first, so that the run does not end
# waiting on one of them.
jobs=${CS_TEST_JOBS:-$(($(nproc 2>/dev/null || echo 1) * 2))}
if [ "$jobs" -gt 1 ] && ! command -v parallel >/dev/null 2>&1; then
	echo "# GNU parallel not found (sh tests/tools/install-deps.sh): the bats files run one by one"
	jobs=1
fi
slow_first="opaque valgrind cs-put bad-input proof cs-check rules pipeline hardening cs-backup cs-prune"

if command -v bats >/dev/null 2>&1; then
	set --
	for name in $slow_first; do
		[ -e "tests/$name.bats" ] && set -- "$@" "tests/$name.bats"
	done
	for f in tests/*.bats; do
		case " $slow_first " in
		*" $(basename "$f" .bats) "*) ;;
		*) [ -e "$f" ] && set -- "$@" "$f" ;;
		esac
	done
	# CS_TEST_SKIP: bats files (names without .bats) this run leaves out,
	# each named on a line of its own (CI's sanitizer pass: see .ci/run)
	if [ -n "${CS_TEST_SKIP:-}" ]; then
		for f in "$@"; do
			shift
			case " $CS_TEST_SKIP " in
			*" $(basename "$f" .bats) "*) echo "# not run here (CS_TEST_SKIP): $f" ;;
			*) set -- "$@" "$f" ;;
			esac
		done
	fi
	if [ $# -gt 0 ]; then
		echo "# bats tests/*.bats, $jobs at a time"
		# tee so that a long run shows its progress
		if [ "$jobs" -gt 1 ]; then
			set -- --jobs "$jobs" --no-parallelize-within-files "$@"
		fi
		{ bats --timing --formatter tap "$@" 2>&1; echo $? >"$tmp/bats.status"; } |
			tee "$tmp/bats.tap"
		status=$(cat "$tmp/bats.status")
		count_tap "$tmp/bats.tap" "$status" bats
	fi
else
	echo "# bats not found (sh tests/tools/install-deps.sh)"
	failed=$((failed + 1))
fi

if $sanitized; then
	for report in "$tmp"/sanitizer/report*; do
		[ -f "$report" ] || continue
		echo "not ok - sanitizer report ${report##*/}"
		sed 's/^/# /' "$report"
		failed=$((failed + 1))
	done
fi

if [ "$skipped" -gt 0 ]; then
	echo "$passed passed, $failed failed, $skipped skipped"
else
	echo "$passed passed, $failed failed"
fi
[ "$failed" -eq 0 ]
