#!/usr/bin/env bats
# Every command ships whole: its man page (mandoc-clean, SYNOPSIS = -h usage,
# every option documented, every example run and what it prints compared)
# and its completions (bash's made from the man page, zsh's checked against
# it).

load test_helper

setup() {
	common_setup
}

commands() {
	local c
	for c in "$REPO"/cmd/cs-*.c; do
		c=${c##*/}
		echo "${c%.c}"
	done
}

@test "man pages are clean under mandoc -Tlint" {
	run -0 mandoc -Tlint -Wwarning "$REPO"/man/*.1 "$REPO"/man/*.7
	assert_output ''
}

@test "each command's man SYNOPSIS is its -h usage" {
	local c usage synopsis
	for c in $(commands); do
		[[ -f $REPO/man/$c.1 ]] || fail "$c: no man/$c.1"
		usage=$("$c" -h | sed -n '/^$/q;p' | sed 's/^usage: //; s/^ *//' | tr -s ' \n' ' ')
		synopsis=$(MANWIDTH=1000 mandoc -Tascii "$REPO/man/$c.1" | col -b |
			sed -n '/^SYNOPSIS/,/^DESCRIPTION/p' | sed '1d;$d' | tr -s ' \t\n' ' ')
		[[ " $synopsis " == *" $usage "* || "$synopsis" == " $usage " || "$synopsis" == "$usage " ]] ||
			fail "$c: -h '$usage' vs man '$synopsis'"
	done
}

@test "every option -h lists is documented in the man page" {
	local c opt
	for c in $(commands); do
		for opt in $("$c" -h | grep -oE '^  (-[A-Za-z], )?--[a-z-]+' | grep -oE -- '--[a-z-]+'); do
			MANWIDTH=1000 mandoc -Tascii "$REPO/man/$c.1" | col -b | grep -q -- "$opt" ||
				fail "$c: $opt not in man/$c.1"
		done
	done
}

@test "bash completion offers every option -h lists" {
	local c opt
	for c in $(commands); do
		[[ -f $REPO/completions/$c.bash ]] || fail "$c: no completions/$c.bash"
		run -0 bash -c '
			source /usr/share/bash-completion/bash_completion
			source "$1"
			COMP_WORDS=("$2" --); COMP_CWORD=1; COMP_LINE="$2 --"; COMP_POINT=${#COMP_LINE}
			f=$(complete -p "$2" | sed -E "s/.*-F ([^ ]+).*/\1/")
			"$f" "$2" -- "$2"
			printf "%s\n" "${COMPREPLY[@]}"' _ "$REPO/completions/$c.bash" "$c"
		for opt in $("$c" -h | grep -oE '^  (-[A-Za-z], )?--[a-z-]+' | grep -oE -- '--[a-z-]+'); do
			assert_line "$opt"
		done
	done
}

@test "zsh completion names every command" {
	local c
	run -0 zsh -n "$REPO/completions/_cs"
	for c in $(commands); do
		grep -q "$c" "$REPO/completions/_cs" || fail "$c missing from completions/_cs"
	done
}

@test "make install puts _cs where zsh looks: \$PREFIX/share/zsh/site-functions, in Debian's fpath" {
	run -0 make -s -C "$REPO" install DESTDIR="$BATS_TEST_TMPDIR/root" PREFIX=/usr/local
	[[ -f $BATS_TEST_TMPDIR/root/usr/local/share/zsh/site-functions/_cs ]]
	[[ -f $BATS_TEST_TMPDIR/root/usr/local/share/bash-completion/completions/cs-init ]]
	run -0 zsh -fc 'print -l $fpath'
	assert_line /usr/local/share/zsh/site-functions
	run -0 make -s -C "$REPO" uninstall DESTDIR="$BATS_TEST_TMPDIR/root" PREFIX=/usr/local
	[[ ! -e $BATS_TEST_TMPDIR/root/usr/local/share/zsh/site-functions/_cs ]]
}
# examples_fixtures DIR: the stores man-examples.py copies
examples_fixtures() {
	local dir=$1 d=$DATA/mainnet/btcd_reorg g=$REPO/tests/tools/bin/cs-genshares h1 h2 genesis
	mkdir -p "$dir" && cd "$dir" || return
	cs-init -q -s light.cs && cs-put -q -s light.cs -f raw "$MAINNET" || return
	cp -a light.cs main.cs && cs-put -q -s main.cs -f blk "$BTCD_BLOCKS" || return
	cs-init -q -s empty.cs || return
	cs-init -q -s reorg.cs &&
		cs-put -q -s reorg.cs -f blk "$d"/blk_0_to_4.dat "$d"/blk_3A.dat "$d"/blk_4A.dat "$d"/blk_5A.dat || return
	"$g" --genesis | cs-init -q -s shares.cs --opaque && "$g" -n 400 | cs-put -q -s shares.cs || return
	# main.cs with its tip set back to block 5000, as cs-check.bats does
	cp -a main.cs damaged.cs &&
		cs-poke -s damaged.cs put "$(printf Mtip | xxd -p)" "$(reverse_hex "$(hash_at 5000)")" || return
	# a store written before the header rules: regtest's genesis as a custom
	# chain with no rules, a header of version 4 and one of version 1 above
	# it (mined by python), then told it is a regtest store of schema 2
	genesis=0100000000000000000000000000000000000000000000000000000000000000000000003ba3edfd7a7b12b27ac72c3e67768f617fc81bc3888a51323a9fb8aa4b1e5e4adae5494dffff7f2002000000
	cs-init -q -s old.cs --genesis "$genesis" || return
	"$PY" "$REPO/tests/tools/mine-header.py" "$GENESIS_REGTEST" 4 1296689202 207fffff > h1.bin &&
		h1=$(display_hash_of_hex "$(xxd -p -c 80 h1.bin)") &&
		"$PY" "$REPO/tests/tools/mine-header.py" "$h1" 1 1296689300 207fffff > h2.bin &&
		cat h1.bin h2.bin | cs-put -q -s old.cs -f raw &&
		cs-poke -s old.cs put "$(printf Mrules | xxd -p)" "$(printf regtest | xxd -p)" &&
		cs-poke -s old.cs put "$(printf Mschema | xxd -p)" 32 || return
	rm -f h1.bin h2.bin
}

# run_examples PAGE: run the EXAMPLES of man/PAGE with tests/tools/man-examples.py
# (the convention is there) in a scratch directory, from the stores that
# examples_fixtures made once for this file; say which examples it skipped.
run_examples() {
	local fixtures=$BATS_FILE_TMPDIR/fixtures
	if [[ ! -e $fixtures.done ]]; then
		rm -rf "$fixtures"
		(examples_fixtures "$fixtures") || fail "the stores of the examples could not be made"
		touch "$fixtures.done"
	fi
	run --separate-stderr "$PY" "$REPO/tests/tools/man-examples.py" -F "$fixtures" \
		"$REPO/man/$1" "$BATS_TEST_TMPDIR/examples"
	printf '# %s\n' "${lines[@]}" | grep '^# skipped: ' >&3 || true
	[[ $status -eq 0 ]] || fail "$(printf '%s\n' "$output" "$stderr")"
	assert_line --regexp "^[a-z-]+\([17]\): [1-9][0-9]* commands run, 0 failed"
}

@test "cs-backup(1) EXAMPLES run and print what the page shows" {
	run_examples cs-backup.1
}

@test "cs-check(1) EXAMPLES run and print what the page shows" {
	run_examples cs-check.1
}

@test "cs-get(1) EXAMPLES run and print what the page shows" {
	run_examples cs-get.1
}

@test "cs-init(1) EXAMPLES run and print what the page shows" {
	run_examples cs-init.1
}

@test "cs-locator(1) EXAMPLES run and print what the page shows" {
	run_examples cs-locator.1
}

@test "cs-prune(1) EXAMPLES run and print what the page shows" {
	run_examples cs-prune.1
}

@test "cs-put(1) EXAMPLES run and print what the page shows" {
	run_examples cs-put.1
}

@test "cs-stat(1) EXAMPLES run and print what the page shows" {
	run_examples cs-stat.1
}

@test "cs-tip(1) EXAMPLES run and print what the page shows" {
	run_examples cs-tip.1
}

@test "cs-verify(1) EXAMPLES run and print what the page shows" {
	run_examples cs-verify.1
}

@test "cs(7) EXAMPLES run and print what the page shows" {
	run_examples cs.7
}

@test "every man page's EXAMPLES have their test above, and few are skipped" {
	local page skipped=0 n
	for page in "$REPO"/man/*.[17]; do
		page=${page##*/}
		grep -q "^	run_examples $page\$" "$BATS_TEST_FILENAME" || fail "no test runs the EXAMPLES of $page"
		run -0 "$PY" "$REPO/tests/tools/man-examples.py" -l "$REPO/man/$page"
		n=$(grep -c ': skip: ' <<<"$output" || true)
		skipped=$((skipped + n))
	done
	# crontab lines, unit files, a Prometheus rule; a node, ssh: 18 today
	((skipped <= 18)) || fail "$skipped examples skipped"
}

# The harness itself: a page whose example prints something else, exits
# otherwise, or is neither a session nor marked, fails.
@test "man-examples.py fails an example that prints or exits otherwise than its page says" {
	cat > page.1 <<'PAGE'
.Sh EXAMPLES
.Bd -literal -offset indent
$ echo one; echo two
one
two
$ printf 'a\en\ee[1mb\ee[0m\en' && false   # exit 1
a
b
$ seq 1 100
1
\&...
100
.Ed
.\" example-skip: a crontab line
.Bd -literal -offset indent
* * * * * true
.Ed
.Sh SEE ALSO
PAGE
	run -0 "$PY" "$REPO/tests/tools/man-examples.py" page.1 scratch1
	assert_line "skipped: page(1) example 2 (line 15, '* * * * * true'): a crontab line"
	assert_line "page(1): 3 commands run, 0 failed, 1 blocks skipped"
	sed 's/^two$/three/; s/# exit 1$/# exit 0/' page.1 > bad.1
	run -1 "$PY" "$REPO/tests/tools/man-examples.py" bad.1 scratch2
	assert_line '  exit status 1, the page says 0'
	assert_line '    | three'
	assert_line "bad(1): 3 commands run, 2 failed, 1 blocks skipped"
	# standard output on a terminal, as a reader's; through a pipe not
	printf '%s\n' .Sh\ EXAMPLES .Bd\ -literal '$ [ -t 1 ] && echo terminal' terminal \
		'$ { [ -t 1 ] || echo pipe; } | cat' pipe '$ [ -t 0 ]   # exit 1' .Ed > tty.1
	run -0 "$PY" "$REPO/tests/tools/man-examples.py" tty.1 scratch3
	grep -v example-skip page.1 > unmarked.1
	run -2 --separate-stderr "$PY" "$REPO/tests/tools/man-examples.py" unmarked.1 scratch4
	assert_err_contains "unmarked.1:14: a literal block in EXAMPLES that is neither a session"
}
