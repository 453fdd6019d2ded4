#!/usr/bin/env bats
# Every command ships whole: its man page (mandoc-clean, SYNOPSIS = -h usage,
# every option documented) and its completion (offers every option -h lists).

load test_helper

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
