#!/bin/sh
# bench.sh - `make bench`: chainstore against a raw-LevelDB floor
# (bench-floor) and SQLite (bench-sqlite, the sqlite3 CLI), in one run,
# alternating the programs so that the drift of a shared machine falls on
# all of them alike. Reports medians. Writes the results between the
# "bench:begin" and "bench:end" markers of docs/benchmarks.md (the rest of
# the file, written by hand, is kept) and the plot docs/import-rate.png.
#
# Environment: BENCH_N (synthetic chain length, 1000000), BENCH_REPS
# (import repetitions, 5; three times as many for the small mainnet set),
# BENCH_OUT (the document, docs/benchmarks.md), BENCH_ONLY=proofs (only the
# proofs' table, printed, the document left alone), BENCH_ONLY=export (only
# the regtest chain's imports and exports, printed, the document left alone),
# TMPDIR (where the stores go; about 1.5 GB).
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
PATH="$root/bin:$root/tests/tools/bin:$PATH"
export PATH LC_ALL=C
N=${BENCH_N:-1000000}
REPS=${BENCH_REPS:-5}
MAINNET_REPS=$((3 * REPS))
OUT=${BENCH_OUT:-$root/docs/benchmarks.md}
PLOT=$(dirname "$OUT")/import-rate.png
MAINNET=$root/tests/data/mainnet/headers_0-10236.bin
LOOKUPS=100000
POINT_REPS=30
LOCATOR_REPS=30

tools="cs-genchain bench-floor bench-sqlite sqlite3 gnuplot jq /usr/bin/time /usr/bin/python3"
[ "${BENCH_ONLY:-}" != proofs ] || tools="xxd /usr/bin/python3"
[ "${BENCH_ONLY:-}" != export ] || tools="cs-genchain /usr/bin/time"
for tool in $tools; do
	command -v "$tool" > /dev/null || { echo "bench: '$tool' missing (run make bench)" >&2; exit 69; }
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/cs-bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM
started=$(date -u '+%Y-%m-%d %H:%M UTC')
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
SECONDS=0

log() { printf 'bench: %s\n' "$*" >&2; }

# median: of the numbers on stdin.
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print "nan"; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
# calc EXPR: awk arithmetic, printed with %.4g unless a format is given.
calc() { awk "BEGIN { printf \"${2:-%.4g}\", $1 }"; }
now() { echo "$EPOCHREALTIME"; }

# timed NAME INPUT CMD...: runs CMD under GNU time (for its peak RSS),
# sampling every 0.2 s the position of its read of INPUT (for the plot);
# appends "secs maxrss_kb" to $tmp/NAME.runs and leaves the samples in
# $tmp/NAME.samples. The wall time is taken here, to the millisecond.
timed() {
	local name=$1 input=$2 tpid pid fd f pos t0 t1 k v sp done_pid st
	shift 2
	echo "0 0" > "$tmp/$name.samples"
	t0=$EPOCHREALTIME
	/usr/bin/time -o "$tmp/time.out" -f '%M' "$@" 2> "$tmp/$name.err" &
	tpid=$!
	pid=
	fd=
	while :; do
		if [ -z "$pid" ] && [ -r "/proc/$tpid/task/$tpid/children" ]; then
			read -r pid _ < "/proc/$tpid/task/$tpid/children" || true
		fi
		if [ -n "$pid" ] && [ -z "$fd" ]; then
			for f in /proc/"$pid"/fd/*; do
				if [ "$f" -ef "$input" ]; then fd=${f##*/}; break; fi
			done 2> /dev/null
		fi
		# The input closed, its number may be reused: stop sampling.
		if [ -n "$fd" ] && [ "$fd" != closed ] && ! [ "/proc/$pid/fd/$fd" -ef "$input" ]; then
			fd=closed
		fi
		if [ -n "$fd" ] && [ "$fd" != closed ]; then
			pos=
			{ while read -r k v; do [ "$k" = pos: ] && pos=$v; done < "/proc/$pid/fdinfo/$fd"; } 2> /dev/null || true
			[ -n "$pos" ] && echo "$(calc "$(now) - $t0" %.3f) $pos" >> "$tmp/$name.samples"
		fi
		sleep 0.2 &
		sp=$!
		st=0
		done_pid=
		wait -n -p done_pid "$tpid" "$sp" || st=$?
		if [ "$done_pid" = "$tpid" ]; then
			t1=$EPOCHREALTIME
			kill "$sp" 2> /dev/null || true
			wait "$sp" 2> /dev/null || true
			break
		fi
	done
	if [ "$st" -ne 0 ]; then
		log "$name failed:"; cat "$tmp/$name.err" >&2; exit 70
	fi
	echo "$(calc "$t1 - $t0" %.3f) $(stat -c %s "$input")" >> "$tmp/$name.samples"
	echo "$(calc "$t1 - $t0" %.4f) $(cat "$tmp/time.out")" >> "$tmp/$name.runs"
}

# One import of each (of PROGS, default all three), in an order that
# rotates with the repetition. INIT: cs-init's options for the store.
import_round() {
	local set=$1 init=$2 input=$3 rep=$4 i prog
	local order=(${5:-csput floor sqlite})
	for i in "${!order[@]}"; do
		prog=${order[$(((i + rep) % ${#order[@]}))]}
		case $prog in
		csput)
			rm -rf "$tmp/$set.store"
			# shellcheck disable=SC2086 # the options are words
			cs-init -q -s "$tmp/$set.store" $init
			timed "$set.csput" "$input" cs-put -q -s "$tmp/$set.store" -f raw "$input"
			;;
		floor)
			rm -rf "$tmp/$set.floor"
			timed "$set.floor" "$input" bench-floor "$tmp/$set.floor" "$input"
			;;
		sqlite)
			rm -f "$tmp/$set.sqlite"*
			timed "$set.sqlite" "$input" bench-sqlite "$tmp/$set.sqlite" "$input"
			;;
		esac
		cp "$tmp/$set.$prog.samples" "$tmp/$set.$prog.samples.$rep"
	done
}

# ms CMD...: wall milliseconds of one run of CMD, output discarded.
ms() {
	local t0 t1
	# $EPOCHREALTIME itself, not $(now): a command substitution forks a
	# subshell, which the time would count (about a millisecond).
	t0=$EPOCHREALTIME
	"$@" > /dev/null || { log "failed: $*"; exit 70; }
	t1=$EPOCHREALTIME
	calc "($t1 - $t0) * 1000" %.3f
}

# Rows of the results table, appended to $tmp/table.
row() {
	local line
	line=$(IFS='|'; echo "$*")
	printf '| %s |\n' "${line//|/ | }" >> "$tmp/table"
}

# export_measure SET INIT: three runs of cs-backup --export of SET's store
# (median ms in $export_ms, entries in $export_entries), and its round
# trip: the export put into a fresh store made with INIT, exported again,
# the same bytes.
export_measure() {
	local set=$1 init=$2 rep
	log "$set: cs-backup --export, and its round trip"
	: > "$tmp/$set.ex"
	for rep in 1 2 3; do
		ms sh -c 'exec cs-backup -s "$1" --export > "$2"' _ "$tmp/$set.store" "$tmp/$set.export" >> "$tmp/$set.ex"
		echo >> "$tmp/$set.ex"
	done
	export_ms=$(median < "$tmp/$set.ex")
	rm -rf "$tmp/$set.replay"
	# shellcheck disable=SC2086 # the options are words
	cs-init -q -s "$tmp/$set.replay" $init
	cs-put -q -s "$tmp/$set.replay" "$tmp/$set.export"
	cs-backup -v -s "$tmp/$set.replay" --export 2> "$tmp/$set.exlog" | cmp -s - "$tmp/$set.export" ||
		{ log "$set: the export put into a fresh store exports other bytes"; exit 70; }
	export_entries=$(sed -n 's/.*exported \([0-9]*\) entries.*/\1/p' "$tmp/$set.exlog")
	rm -rf "$tmp/$set.replay" "$tmp/$set.export"
}

# export_rows COUNT IMPORT_S: the export's rows, its rate beside the
# import's (COUNT headers in a median of IMPORT_S seconds).
export_rows() {
	local count=$1 import=$2
	row "export (cs-backup --export, $export_entries entries), median s (3 runs)" \
		"$(calc "$export_ms / 1000" %.3f)" "" "" ""
	row "export, entries/s" "**$(calc "$export_entries / $export_ms * 1000" %.0f)**" "" "" ""
	row "export ÷ import (rate)" "**$(calc "($export_entries / $export_ms * 1000) / ($count / $import)" %.2f)×**" \
		"" "" "≥ 0.5×"
	row "export put into a fresh store, exported again" "the same bytes" "" "" "identical"
}

bench_set() {
	local set=$1 net=$2 input=$3 reps=$4 count rep h hash i
	local csput floor sqlite csrss flrss sqrss
	count=$(($(stat -c %s "$input") / 80))
	log "$set: $count headers, $reps imports each of cs-put, the floor and SQLite"
	for rep in $(seq 1 "$reps"); do
		import_round "$set" "$net" "$input" "$rep"
	done
	csput=$(cut -d' ' -f1 "$tmp/$set.csput.runs" | median)
	floor=$(cut -d' ' -f1 "$tmp/$set.floor.runs" | median)
	sqlite=$(cut -d' ' -f1 "$tmp/$set.sqlite.runs" | median)
	csrss=$(cut -d' ' -f2 "$tmp/$set.csput.runs" | median)
	flrss=$(cut -d' ' -f2 "$tmp/$set.floor.runs" | median)
	sqrss=$(cut -d' ' -f2 "$tmp/$set.sqlite.runs" | median)
	csrss_max=$(cut -d' ' -f2 "$tmp/$set.csput.runs" | sort -g | tail -n 1)

	# Keys: 100,000 heights drawn from the chain, and their hashes.
	/usr/bin/python3 - "$input" "$LOOKUPS" "$tmp/$set" <<-'EOF'
	import hashlib, random, sys
	data = open(sys.argv[1], 'rb').read()
	n = len(data) // 80
	rng = random.Random(42)
	heights = [rng.randrange(n) for _ in range(int(sys.argv[2]))]
	def display(h):
	    raw = data[h * 80:h * 80 + 80]
	    return hashlib.sha256(hashlib.sha256(raw).digest()).digest()[::-1].hex()
	with open(sys.argv[3] + '.heights', 'w') as f:
	    f.writelines('%d\n' % h for h in heights)
	with open(sys.argv[3] + '.hashes', 'w') as f:
	    f.writelines(display(h) + '\n' for h in heights)
	EOF

	log "$set: point lookups, cs-get -n H against sqlite3"
	# The first opening after an import replays LevelDB's log: not a lookup.
	cs-get -s "$tmp/$set.store" -n 0 > /dev/null
	: > "$tmp/$set.pt.cs"
	: > "$tmp/$set.pt.sq"
	: > "$tmp/$set.pt.v"
	: > "$tmp/$set.pt.sv"
	for i in $(seq 1 "$POINT_REPS"); do
		h=$(sed -n "${i}p" "$tmp/$set.heights")
		ms cs-get -s "$tmp/$set.store" -f hex -n "$h" >> "$tmp/$set.pt.cs"; echo >> "$tmp/$set.pt.cs"
		ms sqlite3 "$tmp/$set.sqlite" "select hex(header) from headers where height = $h" >> "$tmp/$set.pt.sq"
		echo >> "$tmp/$set.pt.sq"
		# the process alone: start, version, exit
		ms cs-get -V >> "$tmp/$set.pt.v"; echo >> "$tmp/$set.pt.v"
		ms sqlite3 -version >> "$tmp/$set.pt.sv"; echo >> "$tmp/$set.pt.sv"
	done
	pt_cs=$(median < "$tmp/$set.pt.cs")
	pt_v=$(median < "$tmp/$set.pt.v")
	pt_sv=$(median < "$tmp/$set.pt.sv")
	pt_sq=$(median < "$tmp/$set.pt.sq")

	log "$set: $LOOKUPS keys through cs-get -"
	: > "$tmp/$set.bk.hash"
	: > "$tmp/$set.bk.cbor"
	: > "$tmp/$set.bk.height"
	: > "$tmp/$set.bk.floor"
	for rep in 1 2 3; do
		ms cs-get -s "$tmp/$set.store" -f raw - < "$tmp/$set.hashes" >> "$tmp/$set.bk.hash"; echo >> "$tmp/$set.bk.hash"
		ms cs-get -s "$tmp/$set.store" -f cbor - < "$tmp/$set.hashes" >> "$tmp/$set.bk.cbor"; echo >> "$tmp/$set.bk.cbor"
		ms cs-get -s "$tmp/$set.store" -f raw - < "$tmp/$set.heights" >> "$tmp/$set.bk.height"; echo >> "$tmp/$set.bk.height"
		ms bench-floor -l "$tmp/$set.floor" "$tmp/$set.hashes" 2> /dev/null >> "$tmp/$set.bk.floor"; echo >> "$tmp/$set.bk.floor"
	done
	bk_hash=$(calc "$LOOKUPS / $(median < "$tmp/$set.bk.hash") * 1000" %.0f)
	bk_cbor=$(calc "$LOOKUPS / $(median < "$tmp/$set.bk.cbor") * 1000" %.0f)
	bk_height=$(calc "$LOOKUPS / $(median < "$tmp/$set.bk.height") * 1000" %.0f)
	bk_floor=$(calc "$LOOKUPS / $(median < "$tmp/$set.bk.floor") * 1000" %.0f)

	log "$set: cs-locator --headers, 2000 headers"
	h=$((count > 2001 ? count / 2 : 0))
	[ $((h + 2000)) -lt "$count" ] || h=$((count > 2001 ? count - 2001 : 0))
	hash=$(cs-get -s "$tmp/$set.store" -f json -n "$h" | jq -r .hash)
	echo "$hash" > "$tmp/$set.locator"
	: > "$tmp/$set.loc"
	for i in $(seq 1 "$LOCATOR_REPS"); do
		ms cs-locator -s "$tmp/$set.store" --headers -f cbor < "$tmp/$set.locator" >> "$tmp/$set.loc"; echo >> "$tmp/$set.loc"
	done
	answered=$(cs-locator -s "$tmp/$set.store" --headers -f raw < "$tmp/$set.locator" | wc -c)
	loc=$(median < "$tmp/$set.loc")

	export_measure "$set" "$net"

	log "$set: backup against cp -a"
	if [ -x "$root/bin/cs-backup" ]; then
		: > "$tmp/$set.bu.cs"
		: > "$tmp/$set.bu.cp"
		for rep in 1 2 3; do
			rm -rf "$tmp/$set.backup" "$tmp/$set.copy"
			ms cs-backup -s "$tmp/$set.store" "$tmp/$set.backup" >> "$tmp/$set.bu.cs"; echo >> "$tmp/$set.bu.cs"
			ms cp -a "$tmp/$set.store" "$tmp/$set.copy" >> "$tmp/$set.bu.cp"; echo >> "$tmp/$set.bu.cp"
		done
		bu_cs=$(median < "$tmp/$set.bu.cs")
		bu_cp=$(median < "$tmp/$set.bu.cp")
		backup="$(calc "$bu_cs" %.1f) ms vs $(calc "$bu_cp" %.1f) ms: **$(calc "$bu_cs / $bu_cp" %.3f)×**"
		rm -rf "$tmp/$set.backup" "$tmp/$set.copy"
	else
		backup="n/a (cs-backup not built)"
	fi

	mb() { calc "$(du -sB1 "$@" | awk '{ s += $1 } END { print s }') / 1000000" %.1f; }
	rate() { calc "$count / $1" %.0f; }
	row "**$set** ($count headers)" "cs-put" "floor (raw LevelDB)" "SQLite" "target"
	row "---" "---" "---" "---" "---"
	row "import, median s ($reps runs)" "$(calc "$csput" %.3f)" "$(calc "$floor" %.3f)" "$(calc "$sqlite" %.3f)" ""
	row "import, headers/s" "$(rate "$csput")" "$(rate "$floor")" "$(rate "$sqlite")" ""
	row "cs-put ÷ floor (rate)" "**$(calc "$floor / $csput" %.2f)×**" "" "" "≥ 0.6×"
	row "cs-put ÷ SQLite (rate)" "**$(calc "$sqlite / $csput" %.2f)×**" "" "" "≥ 4×"
	export_rows "$count" "$csput"
	row "peak RSS, median (max) MB" "**$(calc "$csrss / 1024" %.1f)** ($(calc "$csrss_max / 1024" %.1f))" \
	    "$(calc "$flrss / 1024" %.1f)" "$(calc "$sqrss / 1024" %.1f)" "≤ 100 MB"
	row "point lookup by height, ms a process" "$(calc "$pt_cs" %.2f) (cs-get -n)" "" \
	    "$(calc "$pt_sq" %.2f) (sqlite3 CLI)" "cs-get ≤ sqlite3"
	row "cs-get ÷ sqlite3 (time)" "**$(calc "$pt_cs / $pt_sq" %.2f)×**" "" "" "≤ 1×"
	row "of which the process alone (-V, -version), ms" "$(calc "$pt_v" %.2f)" "" "$(calc "$pt_sv" %.2f)" ""
	row "$LOOKUPS hashes through cs-get -, keys/s" "**$bk_hash**" "$bk_floor (one Get a key)" "" "≥ 200,000/s"
	row "$LOOKUPS hashes through cs-get -f cbor - (with main/fork), keys/s" "$bk_cbor" "" "" ""
	row "$LOOKUPS heights through cs-get -, keys/s" "$bk_height" "" "" ""
	row "cs-locator --headers ($((answered / 80)) headers), ms a process" "**$(calc "$loc" %.2f)**" "" "" "≤ 10 ms"
	row "cs-backup vs cp -a" "$backup" "" "" "≤ 0.25×"
	row "bytes on disk, MB" "$(mb "$tmp/$set.store")" "$(mb "$tmp/$set.floor")" "$(mb "$tmp/$set.sqlite"*)" ""
	echo >> "$tmp/table"
}

# Rate along the chain: headers/s over windows of at least half a second,
# from the read positions sampled during the last repetition.
rate_curve() {
	awk 'NR == 1 { t0 = $1; p0 = $2; next }
	     $2 < p0 { next }
	     $1 - t0 >= 0.5 { if ($2 > p0) printf "%d %.0f\n", ($2 + p0) / 160, ($2 - p0) / 80 / ($1 - t0); t0 = $1; p0 = $2 }' "$1"
}

# Imports only, cs-put against the floor: a chain under header rules.
bench_imports() {
	local set=$1 init=$2 input=$3 reps=$4 count rep csput floor
	count=$(($(stat -c %s "$input") / 80))
	log "$set: $count headers, $reps imports each of cs-put and the floor"
	rate() { calc "$count / $1" %.0f; }
	for rep in $(seq 1 "$reps"); do
		import_round "$set" "$init" "$input" "$rep" "csput floor"
	done
	csput=$(cut -d' ' -f1 "$tmp/$set.csput.runs" | median)
	floor=$(cut -d' ' -f1 "$tmp/$set.floor.runs" | median)
	row "**$set** ($count headers)" "cs-put" "floor (raw LevelDB)" "" "target"
	row "---" "---" "---" "---" "---"
	row "import, median s ($reps runs)" "$(calc "$csput" %.3f)" "$(calc "$floor" %.3f)" "" ""
	row "import, headers/s" "$(rate "$csput")" "$(rate "$floor")" "" ""
	row "cs-put ÷ floor (rate)" "**$(calc "$floor / $csput" %.2f)×**" "" "" "≥ 0.6×"
	row "peak RSS, MB" "$(calc "$(cut -d' ' -f2 "$tmp/$set.csput.runs" | median) / 1024" %.1f)" \
		"$(calc "$(cut -d' ' -f2 "$tmp/$set.floor.runs" | median) / 1024" %.1f)" "" ""
	echo >> "$tmp/table"
}

# Inclusion proofs: 10,000 txids of block 866342 (its 4864 transactions,
# cycled), each made into a proof by one cs-get --proof - and checked by one
# cs-verify against a store of its header alone; CMerkleBlocks in hex and
# Electrum branches in JSON.
bench_proofs() {
	local blk=$root/tests/data/blocks/block_866342.raw hex reps=$REPS rep form t0 t1 t2
	hex=$(head -c 80 "$blk" | xxd -p -c 80)
	cs-init -q -s "$tmp/proof.full" --genesis "$hex"
	xxd -p -c 0 "$blk" | cs-put -q -s "$tmp/proof.full" -f hex
	cs-init -q -s "$tmp/proof.light" --genesis "$hex"
	/usr/bin/python3 "$root/tests/tools/merkle.py" txids "$blk" > "$tmp/proof.txids"
	awk '{ t[NR] = $0 } END { for (i = 0; i < 10000; i++) print t[i % NR + 1] }' "$tmp/proof.txids" > "$tmp/proof.10k"
	log "proofs: 10000 txids of block 866342, $reps rounds"
	for rep in $(seq 1 "$reps"); do
		for form in hex json; do
			t0=$(now)
			cs-get -s "$tmp/proof.full" --proof -f "$form" - < "$tmp/proof.10k" > "$tmp/proof.$form"
			t1=$(now)
			cs-verify -s "$tmp/proof.light" -f json "$tmp/proof.$form" > "$tmp/proof.out"
			t2=$(now)
			[ "$(wc -l < "$tmp/proof.out")" -eq 10000 ] || { log "proofs: cs-verify showed $(wc -l < "$tmp/proof.out")"; exit 1; }
			echo "$(calc "$t1 - $t0" %.4f)" >> "$tmp/proof.$form.make"
			echo "$(calc "$t2 - $t1" %.4f)" >> "$tmp/proof.$form.verify"
		done
	done
	row "**proofs** (10,000 txids of block 866342, 4864 transactions)" "made, per s" "verified, per s" "bytes a proof" ""
	row "---" "---" "---" "---" "---"
	for form in hex json; do
		row "$([ "$form" = hex ] && echo "CMerkleBlock (hex, gettxoutproof)" || echo "Electrum branch (json)")" \
			"$(calc "10000 / $(median < "$tmp/proof.$form.make")" %.0f)" \
			"$(calc "10000 / $(median < "$tmp/proof.$form.verify")" %.0f)" \
			"$(calc "$(stat -c %s "$tmp/proof.$form") / 10000" %.0f)" ""
	done
	echo >> "$tmp/table"
}

if [ "${BENCH_ONLY:-}" = proofs ]; then
	: > "$tmp/table"
	bench_proofs
	cat "$tmp/table"
	exit 0
fi

# 60 s apart, so that a million headers from the 2011 regtest genesis stay
# behind the clock (Core's time-too-new rule).
cs-genchain -n "$N" --spacing 60 -f raw > "$tmp/chain.bin"

if [ "${BENCH_ONLY:-}" = export ]; then
	count=$(($(stat -c %s "$tmp/chain.bin") / 80))
	log "regtest: $count headers, $REPS imports by cs-put"
	: > "$tmp/table"
	for rep in $(seq 1 "$REPS"); do
		import_round regtest "--network regtest" "$tmp/chain.bin" "$rep" csput
	done
	csput=$(cut -d' ' -f1 "$tmp/regtest.csput.runs" | median)
	export_measure regtest "--network regtest"
	row "**regtest** ($count headers)" "cs-put" "" "" "target"
	row "---" "---" "---" "---" "---"
	row "import, median s ($REPS runs)" "$(calc "$csput" %.3f)" "" "" ""
	row "import, headers/s" "$(calc "$count / $csput" %.0f)" "" "" ""
	export_rows "$count" "$csput"
	cat "$tmp/table"
	exit 0
fi
# testnet3's rules on a chain of the same length: a first period of fast
# headers makes the difficulty harder than the limit; then every 100
# headers a run of 10 more than 20 minutes late (the minimum difficulty),
# the rest 533 s apart (about 600 s on average), so that every header
# after a run takes the walk back.
cs-genchain --rules testnet3 -n "$N" --start 1000000000 --spacing 533 --spacing-from 0:150 \
	--spacing-from 2016:533 --min-runs 100:10 -f raw > "$tmp/testnet.bin"
testnet_init="--genesis $(cs-genchain --rules testnet3 --start 1000000000 --print-genesis) --rules testnet3 --pow-limit 207fffff"
: > "$tmp/table"
bench_set regtest "--network regtest" "$tmp/chain.bin" "$REPS"
for p in csput floor sqlite; do rate_curve "$tmp/regtest.$p.samples.$REPS" > "$tmp/curve.$p"; done
bench_imports testnet-rules "$testnet_init" "$tmp/testnet.bin" "$REPS"
bench_set mainnet "--network mainnet" "$MAINNET" "$MAINNET_REPS"
bench_proofs

gnuplot <<-EOF
set terminal png size 900,500
set output "$PLOT"
set title "Import rate along a synthetic regtest chain of $N headers ($started)"
set xlabel "headers imported"
set ylabel "headers/s (0.5 s windows)"
set format x "%.0s%c"
set format y "%.0s%c"
set key top right
set grid
plot "$tmp/curve.csput" using 1:2 with lines lw 2 title "cs-put", \
     "$tmp/curve.floor" using 1:2 with lines lw 2 title "floor (raw LevelDB)", \
     "$tmp/curve.sqlite" using 1:2 with lines lw 2 title "SQLite (WAL, synchronous=FULL)"
EOF

cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
mem=$(awk '/MemTotal/ { printf "%.1f GB", $2 / 1048576 }' /proc/meminfo)
fs=$(df -T "$tmp" | awk 'NR == 2 { print $2 }')
{
	echo "<!-- bench:begin (written by tests/tools/bench.sh: do not edit by hand) -->"
	echo
	echo "Run of $started, $((SECONDS / 60)) min $((SECONDS % 60)) s."
	echo "Machine: $cpu, $(nproc) cores, $mem, $fs, $(uname -sr)."
	echo "LevelDB $(dpkg-query -W -f='${Version}' libleveldb1d 2>/dev/null || echo '?'),"
	echo "SQLite $(sqlite3 --version | cut -d' ' -f1). Load average $load_start at the start,"
	echo "$(cut -d' ' -f1-3 /proc/loadavg) at the end (the machine is shared)."
	echo "Medians of $REPS alternated imports ($MAINNET_REPS of mainnet), $POINT_REPS point lookups, 3 batch"
	echo "lookups, $LOCATOR_REPS getheaders answers and 3 backups."
	echo
	cat "$tmp/table"
	echo "![Import rate along the chain](import-rate.png)"
	echo
	echo "<!-- bench:end -->"
} > "$tmp/section"

if [ -f "$OUT" ] && grep -q '<!-- bench:begin' "$OUT" && grep -q '<!-- bench:end' "$OUT"; then
	awk -v section="$tmp/section" '
		/<!-- bench:begin/ { while ((getline line < section) > 0) print line; skip = 1; next }
		/<!-- bench:end/ { skip = 0; next }
		!skip' "$OUT" > "$tmp/doc"
	cat "$tmp/doc" > "$OUT"
else
	{ echo "# Benchmarks"; echo; cat "$tmp/section"; } > "$OUT"
fi
cat "$tmp/section"
log "wrote $OUT and $PLOT in $((SECONDS / 60)) min $((SECONDS % 60)) s"
