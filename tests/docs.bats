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

# complete [-f FILE] WORD...: what bash completes for the command line WORD...
# (the last word is the one completed), with bash-completion and FILE
# (default completions/cs.bash, as make builds it) loaded: COMPREPLY, one a
# line, sorted.
complete() {
	local file=$REPO/completions/cs.bash
	if [[ $1 == -f ]]; then
		file=$2
		shift 2
	fi
	[[ -f $file ]] || fail "no $file: make builds it"
	bash -c '
		source /usr/share/bash-completion/bash_completion
		source "$1"
		shift
		COMP_WORDS=("$@")
		COMP_CWORD=$(($# - 1))
		COMP_LINE="$*"
		COMP_LINE=${COMP_LINE// = /=}
		COMP_POINT=${#COMP_LINE}
		f=$(complete -p "$1" | sed -E "s/.*-F ([^ ]+).*/\1/")
		"$f" "$1" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
		printf "%s\n" "${COMPREPLY[@]}" | sort' _ "$file" "$@"
}

# synopsis_options CMD: the options of CMD's man SYNOPSIS, one a line
# ("[-qv]" is -q and -v).
synopsis_options() {
	MANWIDTH=1000 mandoc -Tascii "$REPO/man/$1.1" | col -b |
		sed -n '/^SYNOPSIS/,/^DESCRIPTION/p' |
		grep -oE -- '(^|[[ |])--?[A-Za-z][A-Za-z-]*' | sed 's/^[[ |]*//' |
		awk '/^--/ { print; next } { for (i = 2; i <= length($0); i++) print "-" substr($0, i, 1) }' |
		sort -u
}

@test "bash completion offers every option -h lists" {
	local c opt
	for c in $(commands); do
		run -0 complete "$c" --
		for opt in $("$c" -h | grep -oE '^  (-[A-Za-z], )?--[a-z-]+' | grep -oE -- '--[a-z-]+'); do
			assert_line "$opt"
		done
	done
}

@test "bash completion completes each option of the man SYNOPSIS, from its first letters" {
	local c opt n=0
	for c in $(commands); do
		for opt in $(synopsis_options "$c"); do
			run -0 complete "$c" "${opt:0:3}"
			assert_line --regexp "^$opt\$"
			n=$((n + 1))
		done
	done
	((n >= 60)) || fail "only $n options in the SYNOPSIS of $(commands | wc -l) pages"
}

@test "bash completion completes an option's argument as the man page says: formats, networks, directories, files" {
	mkdir adir
	touch afile
	run -0 complete cs-stat -f ''
	assert_output "$(printf '%s\n' cbor json prometheus text)"
	# cs-backup(1): raw "carries no bodies and is refused"
	run -0 complete cs-backup --format ''
	assert_output "$(printf '%s\n' cbor hex json text)"
	run -0 complete cs-put -f ''
	assert_output "$(printf '%s\n' blk cbor hex json raw)"
	run -0 complete cs-init --network ''
	assert_output "$(printf '%s\n' main mainnet regtest signet test testnet testnet3 testnet4)"
	run -0 complete cs-init --rules n
	assert_output none
	run -0 complete cs-verify --input ''
	assert_output "$(printf '%s\n' cbor hex json raw)"
	run -0 complete cs-stat --format = pr
	assert_output prometheus
	run -0 complete cs-tip -s a
	assert_output adir
	run -0 complete cs-backup -s main.cs --into a
	assert_output adir
	run -0 complete cs-prune --archive a
	assert_output "$(printf '%s\n' adir afile)"
	run -0 complete cs-init --checkpoint a
	assert_output "$(printf '%s\n' adir afile)"
	# operands: cs-put's are files, cs-backup's DEST a directory, cs-get's hashes
	run -0 complete cs-put -f raw a
	assert_output "$(printf '%s\n' adir afile)"
	run -0 complete cs-backup a
	assert_output adir
	run -0 complete cs-get ''
	assert_output ''
	# arguments that are numbers or hashes: nothing to offer
	run -0 complete cs-get -n ''
	assert_output ''
	run -0 complete cs-locator --max ''
	assert_output ''
	# a command without operands offers its options
	run -0 complete cs-tip ''
	assert_line --regexp '^--all$'
}

@test "an option a man page adds is completed with no other edit" {
	awk '{ print } /^\.It Fl h , Fl -help/ { print "help"; print ".It Fl -colour Ar FORMAT"; print "As"; print ".Cm always"; print "or"; print ".Cm never ."; print ".It Fl -log Ar FILE"; print "Log." }' \
		"$REPO/man/cs-tip.1" > cs-tip.1
	run -0 grep -c '^\.It Fl -colour Ar FORMAT$' cs-tip.1
	run -0 sh "$REPO/tests/tools/gen-completions.sh" cs-tip.1
	echo "$output" > gen.bash
	run -0 bash -n gen.bash
	run -0 complete -f gen.bash cs-tip --co
	assert_output --colour
	run -0 complete -f gen.bash cs-tip --colour ''
	assert_output "$(printf '%s\n' always never)"
	mkdir adir
	touch afile
	run -0 complete -f gen.bash cs-tip --log a
	assert_output "$(printf '%s\n' adir afile)"
}

@test "completions/cs.bash is what the man pages make now (make builds it)" {
	run -0 sh "$REPO/tests/tools/gen-completions.sh" "$REPO"/man/cs-*.1
	assert_equal "$output" "$(cat "$REPO/completions/cs.bash")"
	run -0 make -s -C "$REPO" -q completions
	# committed as generated: tracked, not ignored
	run -0 git -C "$REPO" ls-files --error-unmatch completions/cs.bash
}

@test "each command ships its bash completion, completions/CMD.bash, the one generated file" {
	local c
	for c in "$REPO"/cmd/cs-*.c; do
		c=$(basename "$c" .c)
		[[ $(readlink "$REPO/completions/$c.bash") == cs.bash ]] || fail "completions/$c.bash is not cs.bash"
		grep -q "complete -F _comp_cmd_cs .*\<$c\>" "$REPO/completions/$c.bash" || fail "$c is not registered"
	done
}

@test "zsh completion offers, for each command, every option of its man SYNOPSIS" {
	local c opt body common
	common=$(sed -n '/^common=(/,/^)/p' "$REPO/completions/_cs")
	for c in $(commands); do
		body=$(sed -n "/^  $c)\$/,/^    ;;\$/p" "$REPO/completions/_cs")
		[[ -n $body ]] || fail "$c: no branch in completions/_cs"
		for opt in $(synopsis_options "$c"); do
			# an option spec, not an exclusion list: '--all[', {-f+,--format=}, )--opt=
			grep -qE -- "[{,'*)]\\\\?${opt}[]+=[,}]" <<<"$common$body" ||
				fail "$c: $opt of its SYNOPSIS is not in completions/_cs"
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
	# bash-completion loads a command's completion from a file of its name
	local c
	for c in $(commands); do
		[[ -f $BATS_TEST_TMPDIR/root/usr/local/share/bash-completion/completions/$c ]] ||
			fail "$c: no bash completion installed"
		run -0 complete -f "$BATS_TEST_TMPDIR/root/usr/local/share/bash-completion/completions/$c" "$c" --hel
		assert_output --help
	done
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
	# crontab lines, unit files, a Prometheus rule; a node, ssh: 19 today (cs-prune(1)'s weekly --keep-bodies-since the newest)
	((skipped <= 19)) || fail "$skipped examples skipped"
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
