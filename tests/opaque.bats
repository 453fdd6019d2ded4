#!/usr/bin/env bats
# Opaque stores (cs(7) "Profiles"): a synthetic p2pool sharechain
# (tests/tools/cs-genshares.c) in an opaque store must give the same
# heights, chainwork, tips, reorganisations, locators and getheaders answers
# as the same tree of Bitcoin headers in a custom-genesis store, share i for
# header i; and both must give what the tree itself says (the generator's
# --map, checked here against the shares' own bytes in Python).

load test_helper

# shares after the genesis
N=400
ZERO=0000000000000000000000000000000000000000000000000000000000000000

# build_fixtures: the generated chain, in every form the tests use, and the
# two stores made from it, once per file in $BATS_FILE_TMPDIR.
build_fixtures() {
	local d=$BATS_FILE_TMPDIR
	[[ -e $d/fixtures.done ]] && return 0
	cs-genshares -n $N --map "$d/map" >"$d/shares.cbor" &&
		cs-genshares -n $N -f json >"$d/shares.json" &&
		cs-genshares -n $N --bitcoin >"$d/headers.raw" &&
		cs-genshares -n $N --bitcoin -f hex >"$d/headers.hex" &&
		cs-genshares --genesis >"$d/genesis.cbor" &&
		cs-genshares --genesis -f json >"$d/genesis.json" &&
		cs-genshares --genesis --bitcoin -f hex >"$d/genesis.hex" &&
		cs-init -q -s "$d/opaque" --opaque <"$d/genesis.cbor" &&
		cs-put -q -s "$d/opaque" "$d/shares.cbor" &&
		cs-init -q -s "$d/bitcoin" --genesis "$(cat "$d/genesis.hex")" --pow-limit 207fffff &&
		cs-put -q -s "$d/bitcoin" -f raw "$d/headers.raw" &&
		touch "$d/fixtures.done"
}

setup_file() {
	build_fixtures || true
}

setup() {
	common_setup
	build_fixtures || fail "cannot build the fixtures"
	F=$BATS_FILE_TMPDIR
	MAP=$F/map
	OPQ=$F/opaque
	BTC=$F/bitcoin
}

# figure NAME [MAP]: a figure of the map's first line
# ("# shares 401 forks 56 reorgs 11 ...").
figure() {
	awk -v name="$1" 'NR == 1 { for (i = 2; i < NF; i++) if ($i == name) print $(i + 1) }' "${2:-$MAP}"
}

# to_index COLUMN [MAP]: stdin with every hash of the map's COLUMN (2: the
# shares, 3: their Bitcoin headers) replaced by #INDEX.
to_index() {
	awk -v col="$1" 'NR == FNR { if ($1 !~ /^#/) idx[$col] = "#" $1; next }
		{ for (i = 1; i <= NF; i++) if ($i in idx) $i = idx[$i]; print }' "${2:-$MAP}" -
}

# translate FROM TO [MAP]: stdin with the hashes of column FROM replaced by
# those of column TO (a locator of shares -> the same of headers).
translate() {
	awk -v from="$1" -v to="$2" 'NR == FNR { if ($1 !~ /^#/) t[$from] = $to; next }
		{ for (i = 1; i <= NF; i++) if ($i in t) $i = t[$i]; print }' "${3:-$MAP}" -
}

# hash_of INDEX COLUMN [MAP]
hash_of() {
	awk -v i="$1" -v col="$2" '$1 !~ /^#/ && $1 == i { print $col }' "${3:-$MAP}"
}

# project: JSON entries on stdin -> "hash height chainwork status [branchlen]"
project() {
	jq -r '"\(.hash) \(.height) \(.chainwork) \(.status)" + (if .branchlen == null then "" else " \(.branchlen)" end)'
}

# entries STORE COLUMN [MAP]: every entry of the map, in map order, as STORE
# holds it, by index.
entries() {
	awk -v col="$2" '$1 !~ /^#/ { print $col }' "${3:-$MAP}" |
		cs-get -s "$1" -f json - | project | to_index "$2" "${3:-$MAP}"
}

# tips STORE COLUMN [MAP]: cs-tip --all by index, sorted; the model knows
# no bodies, so getchaintips's statuses are main (active) or fork here.
tips() {
	cs-tip -s "$1" --all -f json | jq -c '.status = if .status == "active" then "main" else "fork" end' |
		project | to_index "$2" "${3:-$MAP}" | sort
}

# main_chain STORE COLUMN [MAP]: the main chain by index, genesis first.
main_chain() {
	cs-get -s "$1" --range 0.. -f json | project | to_index "$2" "${3:-$MAP}"
}

# model_entries [MAP]: what a store holding every share must say of each:
# "#i height chainwork status", main on the branch of the last tip.
model_entries() {
	awk '$1 !~ /^#/ { n = $1; parent[n] = $4; line[n] = "#" $1 " " $5 " " $8; tip = $9 }
	END {
		for (i = tip; i >= 0; i = parent[i]) main[i] = 1
		for (i = 0; i <= n; i++) print line[i], (i in main ? "main" : "fork")
	}' "${1:-$MAP}"
}

# model_tips [MAP]: the shares without children, "#i height chainwork
# status branchlen", sorted; branchlen counts from the fork point.
model_tips() {
	awk '$1 !~ /^#/ { n = $1; parent[n] = $4; height[n] = $5; cw[n] = $8; tip = $9; if ($4 >= 0) kids[$4]++ }
	END {
		for (i = tip; i >= 0; i = parent[i]) main[i] = 1
		for (i = 0; i <= n; i++) {
			if (i in kids) continue
			for (j = i; !(j in main); j = parent[j]) ;
			print "#" i, height[i], cw[i], (i in main ? "main" : "fork"), height[i] - height[j]
		}
	}' "${1:-$MAP}" | sort
}

# model_locator INDEX [MAP]: the locator of share INDEX by index: its
# ancestors at the heights of Bitcoin Core's LocatorEntries.
model_locator() {
	awk -v from="$1" '$1 !~ /^#/ { parent[$1] = $4; height[$1] = $5 }
	END {
		h = height[from]; step = 1; n = 0; i = from
		for (;;) {
			while (height[i] > h) i = parent[i]
			print "#" i; n++
			if (h == 0) break
			h = h > step ? h - step : 0
			if (n > 10) step *= 2
		}
	}' "${2:-$MAP}"
}

# model_headers MAX [MAP] < locator-by-index: the main-chain entries after
# the fork point (the first locator entry on the main chain, else the
# genesis), at most MAX, by index. Lines "== ... max M" start a new locator,
# answered with at most M, after that line.
model_headers() {
	awk -v max="$1" 'NR == FNR { if ($1 !~ /^#/) { parent[$1] = $4; height[$1] = $5; tip = $9 } next }
	function answer(   k, fork, h) {
		fork = 0
		for (k = 0; k < n; k++) if (loc[k] in main) { fork = height[substr(loc[k], 2)]; break }
		for (h = fork + 1; h <= height[tip] && h <= fork + max; h++) print "#" at[h]
		n = 0
	}
	FNR == 1 { for (i = tip; i >= 0; i = parent[i]) { main["#" i] = 1; at[height[i]] = i } }
	/^==/ { if (started) answer(); started = 1; max = $NF; print; next }
	{ loc[n++] = $1 }
	END {
		if (!started) for (i = tip; i >= 0; i = parent[i]) { main["#" i] = 1; at[height[i]] = i }
		answer()
	}' "${2:-$MAP}" -
}

# last_tip [MAP]: the index of the tip once every share has arrived.
last_tip() {
	awk '!/^#/ { t = $9 } END { print t }' "${1:-$MAP}"
}

# load_map [MAP]: the map into arrays by share index: SHARE and HEADER
# (display hashes), PARENT, TIP_AT (the tip once that share has arrived)
# and REORG (1 when its arrival reorganised).
load_map() {
	local index share header parent height bits work chainwork tip reorg
	SHARE=() HEADER=() PARENT=() TIP_AT=() REORG=()
	while read -r index share header parent height bits work chainwork tip reorg; do
		[[ $index == \#* ]] && continue
		SHARE[index]=$share HEADER[index]=$header PARENT[index]=$parent TIP_AT[index]=$tip REORG[index]=$reorg
	done <"${1:-$MAP}"
}

# h N: a made-up display hash (N in hex, 64 digits).
h() {
	printf '%064x' "$1"
}

# jline HASH PREV HEADER [MORE]: one opaque entry as a JSON line.
jline() {
	printf '{"hash":"%s","prev":"%s","header":"%s"%s}\n' "$1" "$2" "$3" "${4:+,$4}"
}

# small_opaque: an opaque store: genesis #1, then #2 <- #3 <- #4 on it and
# a fork #5 on #1; work 1 each, so the tip is #4 at height 3.
small_opaque() {
	jline "$(h 1)" "$ZERO" 67656e65736973 | cs-init -q --opaque -f json &&
		{
			jline "$(h 2)" "$(h 1)" 6131
			jline "$(h 3)" "$(h 2)" 6132
			jline "$(h 4)" "$(h 3)" 6133
			jline "$(h 5)" "$(h 1)" 6231
		} | cs-put -q -f json
}

# small_dump: everything small_opaque holds, to see that it did not change.
small_dump() {
	cs-tip --all -f json
	cs-get -f json "$(h 1)" "$(h 2)" "$(h 3)" "$(h 4)" "$(h 5)"
	cs-get --range 0.. -f json
}

# put_bad STATUS MESSAGE [cs-put args...] < input: cs-put into the small
# store exits STATUS with MESSAGE on stderr and leaves the store as it was.
put_bad() {
	local status=$1 message=$2 before
	shift 2
	small_opaque || fail "cannot make the small store"
	before=$(small_dump)
	run "-$status" --separate-stderr cs-put "$@"
	assert_output ''
	assert_err_contains "$message"
	assert_equal "$(small_dump)" "$before"
}

# cbor PYTHON-EXPRESSION: the CBOR of a Python value (h(n): a made-up hash
# in internal order, as h above), to stdout.
cbor() {
	"$PY" -c 'import sys, cbor2
def h(n): return bytes.fromhex("%064x" % n)[::-1]
sys.stdout.buffer.write(cbor2.dumps(eval(sys.argv[1])))' "$1"
}

@test "cs-genshares: p2pool-like shares, 200-400 bytes, prev links, work of their targets, forks that reorganise" {
	# Checked in Python from the bytes alone: each share's hash is the
	# SHA-256d of its header; the header names its parent; the work is
	# floor(2^256 / (target + 1)) of the share's bits; the embedded Bitcoin
	# header meets those bits and names its parent share's header; and
	# the map's heights, chainwork, tips and reorganisations (most work,
	# first seen wins a tie) follow from the links.
	run -0 "$PY" - "$F/genesis.json" "$F/shares.json" "$MAP" <<'EOF'
import hashlib, json, sys

def sha256d(b):
    return hashlib.sha256(hashlib.sha256(b).digest()).digest()

def target(bits):
    size, word = bits >> 24, bits & 0x7fffff
    return word >> 8 * (3 - size) if size <= 3 else word << 8 * (size - 3)

def work(bits):
    return (1 << 256) // (target(bits) + 1)

shares = [json.loads(l) for f in sys.argv[1:3] for l in open(f)]
rows = [l.split() for l in open(sys.argv[3]) if not l.startswith("#")]
figures = open(sys.argv[3]).readline().split()[1:]
figures = dict(zip(figures[::2], map(int, figures[1::2])))
assert len(shares) == len(rows) == figures["shares"]
index = {}
height, chainwork, kids = [], [], [0] * len(rows)
best, reorgs, deepest, shorter, forks = 0, 0, 0, 0, 0
for i, (s, r) in enumerate(zip(shares, rows)):
    hdr = bytes.fromhex(s["header"])
    assert 200 <= len(hdr) <= 400, (i, len(hdr))
    assert sha256d(hdr)[::-1].hex() == s["hash"] == r[1], i
    assert hdr[4:36][::-1].hex() == s["prev"], i
    nuncles = hdr[36]
    assert nuncles <= 3
    p = 37 + 32 * nuncles + 33 + 32
    bits = int.from_bytes(hdr[p:p + 4], "little")
    btc = hdr[p + 8:p + 88]
    assert sha256d(btc)[::-1].hex() == r[2], i
    assert int.from_bytes(btc[72:76], "little") == bits, i
    assert int.from_bytes(sha256d(btc), "little") <= target(bits), i
    assert s["work"] == work(bits) == int(r[6]), i
    parent = int(r[3])
    if i == 0:
        assert parent == -1 and s["prev"] == "0" * 64 and btc[4:36] == bytes(32)
        height.append(0)
        chainwork.append(s["work"])
    else:
        assert s["prev"] == shares[parent]["hash"], i
        assert btc[4:36][::-1].hex() == rows[parent][2], i
        forks += kids[parent] > 0
        kids[parent] += 1
        height.append(height[parent] + 1)
        chainwork.append(chainwork[parent] + s["work"])
        if chainwork[i] > chainwork[best]:
            if parent != best:
                reorgs += 1
                a, b = best, i
                while a != b:
                    if height[a] >= height[b]:
                        a = int(rows[a][3])
                    else:
                        b = int(rows[b][3])
                deepest = max(deepest, height[best] - height[a])
                shorter += height[i] < height[best]
            assert r[9] == str(int(parent != best)), i
            best = i
        else:
            assert r[9] == "0", i
    assert int(r[4]) == height[i] and int(r[7], 16) == chainwork[i], i
    assert int(r[8]) == best, i
assert figures == dict(shares=len(rows), forks=forks, reorgs=reorgs, deepest=deepest,
                       shorter=shorter, tips=kids.count(0)), figures
EOF
	# the figures the comparisons below rest on
	(($(figure shares) == N + 1))
	(($(figure forks) >= 40))
	(($(figure reorgs) >= 8))
	(($(figure deepest) >= 3))
	# at least one reorganisation to a shorter branch with more work
	(($(figure shorter) >= 1))
	(($(figure tips) >= 40))
	# the output depends only on the options
	cmp "$F/shares.cbor" <(cs-genshares -n $N)
	run -1 cmp -s "$F/shares.cbor" <(cs-genshares -n $N --seed 1)
	# the shares' form and the headers' form of one share are one share
	run -64 --separate-stderr cs-genshares --bitcoin -f json
	assert_err_contains "--bitcoin writes raw or hex"
}

@test "opaque and Bitcoin stores of one tree: the same height, chainwork and status for every entry" {
	local want
	want=$(model_entries)
	assert_equal "$(wc -l <<<"$want")" $((N + 1))
	run -0 entries "$OPQ" 2
	assert_output "$want"
	run -0 entries "$BTC" 3
	assert_output "$want"
	# the main chain by height, from both
	run -0 main_chain "$OPQ" 2
	assert_output "$(grep ' main$' <<<"$want" | sort -n -k2)"
	run -0 main_chain "$BTC" 3
	assert_output "$(grep ' main$' <<<"$want" | sort -n -k2)"
}

@test "opaque and Bitcoin stores of one tree: the same tips, branch lengths and active tip" {
	local want
	want=$(model_tips)
	assert_equal "$(wc -l <<<"$want")" "$(figure tips)"
	run -0 tips "$OPQ" 2
	assert_output "$want"
	run -0 tips "$BTC" 3
	assert_output "$want"
	# the active tip is below a fork tip: a shorter branch with more work
	run -0 cs-tip -s "$OPQ" -f json
	assert_json .hash "$(hash_of "$(last_tip)" 2)"
	(($(jq .height <<<"$output") < $(cs-tip -s "$OPQ" --all -f json | jq -s 'map(.height) | max')))
	run -0 cs-tip -s "$BTC" -f json
	assert_json .hash "$(hash_of "$(last_tip)" 3)"
}

@test "reorganisations: fed in steps, both stores move their tip as the tree says, reorg by reorg" {
	local a=$BATS_TEST_TMPDIR/a b=$BATS_TEST_TMPDIR/b from=1 to old reorgs=0 steps=0
	load_map
	cs-init -q -s "$a" --opaque <"$F/genesis.cbor"
	cs-init -q -s "$b" --genesis "$(cat "$F/genesis.hex")" --pow-limit 207fffff
	# a step ends after every share that reorganises, and every 50 shares
	for to in $( (awk '!/^#/ && $10 == 1 { print $1 }' "$MAP"; seq 50 50 $N) | sort -nu); do
		sed -n "${from},${to}p" "$F/shares.json" | cs-put -q -s "$a" -f json
		sed -n "${from},${to}p" "$F/headers.hex" | cs-put -q -s "$b" -f hex
		assert_equal "$(cs-tip -s "$a" -f text | awk '{ print $2 }')" "${SHARE[TIP_AT[to]]}"
		assert_equal "$(cs-tip -s "$b" -f text | awk 'NR == 1 { print $2 }')" "${HEADER[TIP_AT[to]]}"
		if ((REORG[to])); then
			# the tip before this share is on a fork now, in both
			old=${TIP_AT[to - 1]}
			assert_equal "$(cs-get -s "$a" -f text "${SHARE[old]}" | awk '{ print $3 }')" fork
			assert_equal "$(cs-get -s "$b" -f text "${HEADER[old]}" | awk 'NR == 1 { print $3 }')" fork
			reorgs=$((reorgs + 1))
		fi
		steps=$((steps + 1))
		from=$((to + 1))
	done
	assert_equal "$reorgs" "$(figure reorgs)"
	((steps > reorgs))
	# in the end, the same as the stores built in one go
	assert_equal "$(entries "$a" 2)" "$(model_entries)"
	assert_equal "$(entries "$b" 3)" "$(model_entries)"
}

@test "cs-locator: the same locators, from the tip and from every tip and every 25th share" {
	local i count=0 d=$BATS_TEST_TMPDIR
	load_map
	run -0 cs-locator -s "$OPQ" -f text
	assert_equal "$(to_index 2 <<<"$output")" "$(model_locator "$(last_tip)")"
	run -0 cs-locator -s "$BTC" -f text
	assert_equal "$(to_index 3 <<<"$output")" "$(model_locator "$(last_tip)")"
	for i in $( (model_tips | awk '{ print substr($1, 2) }'; seq 0 25 $N) | sort -nu); do
		echo "from $i" | tee -a "$d/a" "$d/b" >>"$d/want"
		cs-locator -s "$OPQ" --from "${SHARE[i]}" -f text >>"$d/a"
		cs-locator -s "$BTC" --from "${HEADER[i]}" -f text >>"$d/b"
		model_locator "$i" >>"$d/want"
		count=$((count + 1))
	done
	((count >= 55))
	cmp "$d/want" <(to_index 2 <"$d/a")
	cmp "$d/want" <(to_index 3 <"$d/b")
	# CBOR: one array of 32-byte hashes, the same length in both
	assert_equal "$(cs-locator -s "$OPQ" | cbor2json | jq length)" "$(cs-locator -s "$BTC" | cbor2json | jq length)"
}

@test "cs-locator --headers: the same answers to locators from every tip, with --max and --stop" {
	local i d=$BATS_TEST_TMPDIR count=0 max fork_tip stop
	load_map
	for i in $(model_tips | awk '{ print substr($1, 2) }'); do
		cs-locator -s "$OPQ" --from "${SHARE[i]}" -f text >"$d/loc"
		translate 2 3 <"$d/loc" >"$d/loc.b"
		for max in 2000 7; do
			echo "== from $i max $max" | tee -a "$d/a" "$d/b" >>"$d/locs"
			cat "$d/loc" >>"$d/locs"
			cs-locator -s "$OPQ" --headers --max "$max" -f text <"$d/loc" >>"$d/a"
			# (each entry's decoded header lines left out: cs(7))
			cs-locator -s "$BTC" --headers --max "$max" -f text <"$d/loc.b" | sed '/^  [a-zA-Z]/d' >>"$d/b"
			count=$((count + 1))
		done
	done
	((count >= 80))
	to_index 2 <"$d/locs" | model_headers 2000 >"$d/want"
	cmp "$d/want" <(awk '/^==/ { print; next } { print $2 }' "$d/a" | to_index 2)
	cmp "$d/want" <(awk '/^==/ { print; next } { print $2 }' "$d/b" | to_index 3)
	# --stop: 5 entries after the fork point of a fork tip's locator
	# (not $i: bats' run sets i)
	fork_tip=$(model_tips | awk '$4 == "fork" && $5 >= 2 { print substr($1, 2); exit }')
	cs-locator -s "$OPQ" --from "${SHARE[fork_tip]}" -f text >"$d/loc"
	to_index 2 <"$d/loc" | model_headers 5 >"$d/want"
	assert_equal "$(wc -l <"$d/want")" 5
	stop=$(tail -n 1 "$d/want")
	stop=${stop#\#}
	cmp "$d/want" <(cs-locator -s "$OPQ" --headers --stop "${SHARE[stop]}" -f text <"$d/loc" |
		awk '{ print $2 }' | to_index 2)
	cmp "$d/want" <(translate 2 3 <"$d/loc" | cs-locator -s "$BTC" --headers --stop "${HEADER[stop]}" -f text |
		awk '!/^  [a-zA-Z]/ { print $2 }' | to_index 3)
	# hashes neither store holds, then the genesis: everything after it
	model_headers 2000 </dev/null >"$d/want"
	cmp "$d/want" <(printf '%s\n' "$(h 7)" "$(h 8)" "${SHARE[0]}" | cs-locator -s "$OPQ" --headers -f text |
		awk '{ print $2 }' | to_index 2)
	cmp "$d/want" <(printf '%s\n' "$(h 7)" "$(h 8)" "${HEADER[0]}" | cs-locator -s "$BTC" --headers -f text |
		awk '!/^  [a-zA-Z]/ { print $2 }' | to_index 3)
	# an empty locator with --stop on a fork: that entry alone
	run -0 cs-locator -s "$OPQ" --headers --stop "${SHARE[fork_tip]}" -f json </dev/null
	assert_json .hash "${SHARE[fork_tip]}"
	assert_json .status fork
	assert_json .prev "${SHARE[PARENT[fork_tip]]}"
	run -0 cs-locator -s "$BTC" --headers --stop "${HEADER[fork_tip]}" -f json </dev/null
	assert_json .hash "${HEADER[fork_tip]}"
	assert_json .status fork
	# CBOR answers of the opaque store carry prev and work
	output=$(cs-locator -s "$OPQ" --from "${SHARE[0]}" | cs-locator -s "$OPQ" --headers --max 3 | cbor2json)
	assert_equal "$(wc -l <<<"$output")" 3
	assert_equal "$(jq -r '[.prev, .work] | @tsv' <<<"$output" | head -n 1)" \
		"$(reverse_hex "${SHARE[0]}")	$(awk '!/^#/ && $5 == 1 { print $7; exit }' "$MAP")"
}

@test "work absent: the longest chain; Bitcoin headers of work 1 (bits 2100ffff) make the same store" {
	local d=$BATS_TEST_TMPDIR map=$BATS_TEST_TMPDIR/map
	cs-genshares -n 300 --no-work --map "$map" -f json >"$d/shares.json"
	# no entry says its work
	run -0 jq -s 'map(select(has("work"))) | length' "$d/shares.json"
	assert_output 0
	cs-genshares --no-work --genesis | cs-init -q -s "$d/a" --opaque
	cs-put -q -s "$d/a" -f json "$d/shares.json"
	# the genesis's own target (2100ffff) is the limit: no --pow-limit
	cs-init -q -s "$d/b" --genesis "$(cs-genshares --no-work --genesis --bitcoin -f hex)"
	cs-genshares -n 300 --no-work --bitcoin | cs-put -q -s "$d/b" -f raw
	(($(figure reorgs "$map") >= 2))
	assert_equal "$(entries "$d/a" 2 "$map")" "$(model_entries "$map")"
	assert_equal "$(entries "$d/b" 3 "$map")" "$(model_entries "$map")"
	assert_equal "$(tips "$d/a" 2 "$map")" "$(model_tips "$map")"
	assert_equal "$(tips "$d/b" 3 "$map")" "$(model_tips "$map")"
	# work 1 each: chainwork is height + 1, the tip is a longest branch
	run -0 bash -c "cs-get -s '$d/a' --range 0.. -f json | jq -r '[.height, .chainwork, .work] | @tsv' |
		awk '\$2 != sprintf(\"%064x\", \$1 + 1) || \$3 != 1' | wc -l"
	assert_output 0
	run -0 bash -c "cs-tip -s '$d/a' --all -f json | jq -s 'map(.height) | max'"
	assert_equal "$(cs-tip -s "$d/a" -f json | jq .height)" "$output"
}

@test "work: absent means 1 (the longest chain wins); given, the most work wins, a shorter branch too" {
	run -0 small_opaque
	run -0 cs-tip -f json
	assert_json .hash "$(h 4)"
	assert_json .height 3
	assert_json .chainwork 0000000000000000000000000000000000000000000000000000000000000004
	assert_json .work 1
	# a longer branch of default work reorganises
	{ jline "$(h 6)" "$(h 5)" 01; jline "$(h 7)" "$(h 6)" 02; jline "$(h 8)" "$(h 7)" 03; } | cs-put -q -f json
	run -0 cs-tip -f json
	assert_json .hash "$(h 8)"
	assert_json .height 4
	run -0 cs-get -f json "$(h 4)"
	assert_json .status fork
	# one share of work 10 on the genesis: shorter, heavier, the tip
	jline "$(h 9)" "$(h 1)" 04 '"work":10' | cs-put -q -f json
	run -0 cs-tip -f json
	assert_json .hash "$(h 9)"
	assert_json .height 1
	assert_json .chainwork 000000000000000000000000000000000000000000000000000000000000000b
	# the heights above it left the main chain
	run -1 --separate-stderr cs-get -n 2 -f json
	assert_err_equal "cs-get: height 2: not found"
	run -0 cs-get --range 0.. -f json
	assert_json .hash "$(h 1)
$(h 9)"
	run -0 bash -c "cs-tip --all -f json | jq -r '\"\(.height) \(.status) \(.branchlen)\"'"
	assert_output "4 valid-headers 4
3 valid-headers 3
1 active 0"
}

@test "work: a tie keeps the tip first seen, in one input or two, and out of order too" {
	jline "$(h 1)" "$ZERO" 00 | cs-init -q --opaque -f json
	{ jline "$(h 2)" "$(h 1)" 01 '"work":5'; jline "$(h 3)" "$(h 1)" 02 '"work":5'; } | cs-put -q -f json
	run -0 cs-tip -f json
	assert_json .hash "$(h 2)"
	jline "$(h 4)" "$(h 1)" 03 '"work":5' | cs-put -q -f json
	run -0 cs-tip -f json
	assert_json .hash "$(h 2)"
	# one more on a rival: it reorganises
	jline "$(h 5)" "$(h 3)" 04 | cs-put -q -f json
	run -0 cs-tip -f json
	assert_json .hash "$(h 5)"
	assert_json .chainwork "$(printf '%064x' 7)"
	# Children that wait for their parent #10, in two orders: of #13 and
	# #14, both of the most work, the one that arrived first is the tip,
	# though the other may connect first.
	local order
	for order in "11 12 13 14" "11 12 14 13"; do
		rm -rf other
		jline "$(h 1)" "$ZERO" 00 | cs-init -q -s other --opaque -f json
		for i in $order 10; do
			case $i in
			10) jline "$(h 10)" "$(h 1)" 10 ;;
			11 | 12) jline "$(h "$i")" "$(h 10)" "$i" ;;
			13) jline "$(h 13)" "$(h 12)" 13 ;;
			14) jline "$(h 14)" "$(h 11)" 14 ;;
			esac
		done | cs-put -q -s other -f json
		run -0 cs-tip -s other -f json
		assert_json .hash "$(h "${order:6:2}")"
		assert_json .height 3
	done
	# a tie with the tip held (#14): it stays; one more moves it
	jline "$(h 15)" "$(h 11)" 15 | cs-put -q -s other -f json
	run -0 cs-tip -s other -f json
	assert_json .hash "$(h 14)"
	jline "$(h 16)" "$(h 15)" 16 | cs-put -q -s other -f json
	run -0 cs-tip -s other -f json
	assert_json .hash "$(h 16)"
}

@test "out of order (--shuffle): both stores connect the same tree; the tip is the first seen of the most work" {
	local d=$BATS_TEST_TMPDIR
	cs-genshares -n $N --shuffle -f json >"$d/shuffled.json"
	cmp <(sort "$d/shuffled.json") <(sort "$F/shares.json")
	run -1 cmp -s "$d/shuffled.json" "$F/shares.json"
	cs-init -q -s "$d/a" --opaque <"$F/genesis.cbor"
	cs-put -q -s "$d/a" -f json "$d/shuffled.json"
	cs-init -q -s "$d/b" --genesis "$(cat "$F/genesis.hex")" --pow-limit 207fffff
	cs-genshares -n $N --shuffle --bitcoin | cs-put -q -s "$d/b" -f raw
	# heights and chainwork as in order; main or fork may differ on ties
	assert_equal "$(entries "$d/a" 2 | cut -d ' ' -f 1-3)" "$(model_entries | cut -d ' ' -f 1-3)"
	assert_equal "$(entries "$d/a" 2)" "$(entries "$d/b" 3)"
	assert_equal "$(tips "$d/a" 2)" "$(tips "$d/b" 3)"
	# the tip: of the shares with the most chainwork, the first in the input
	local want
	want=$(jq -r .hash "$d/shuffled.json" | to_index 2 |
		awk 'NR == FNR { if ($1 !~ /^#/) cw["#" $1] = $8; next }
			# chainworks compare as strings: 64 hex digits each
			{ if (!($1 in cw)) next; if (best == "" || (cw[$1] "") > (cw[best] "")) best = $1 }
			END { print best }' "$MAP" -)
	assert_equal "$(cs-tip -s "$d/a" -f json | jq -r .hash | to_index 2)" "$want"
	assert_equal "$(cs-tip -s "$d/b" -f json | jq -r .hash | to_index 3)" "$want"
}

@test "two opaque stores sync by the locator pipeline, in as many rounds as the Bitcoin twins" {
	local d=$BATS_TEST_TMPDIR rounds_a=0 rounds_b=0
	cs-init -q -s "$d/a" --opaque <"$F/genesis.cbor"
	cs-init -q -s "$d/b" --genesis "$(cat "$F/genesis.hex")" --pow-limit 207fffff
	# the first shares, as many as make a tip that the full chain leaves on
	# a fork (160 or more)
	local first
	first=$(awk '!/^#/ { parent[$1] = $4; tip[$1] = $9; n = $1 }
		END {
			for (i = tip[n]; i >= 0; i = parent[i]) main[i] = 1
			for (k = 160; k <= n; k++) if (!(tip[k] in main)) { print k; exit }
		}' "$MAP")
	[[ -n $first ]] || fail "no prefix ends on a fork"
	head -n "$first" "$F/shares.json" | cs-put -q -s "$d/a" -f json
	head -n "$first" "$F/headers.hex" | cs-put -q -s "$d/b" -f hex
	assert_equal "$(main_chain "$d/a" 2 | tail -n 1)" "$(main_chain "$d/b" 3 | tail -n 1)"
	for ((;;)); do
		cs-locator -s "$d/a" | cs-locator -s "$OPQ" --headers --max 40 >"$d/answer"
		[[ -s $d/answer ]] || break
		cs-put -q -s "$d/a" <"$d/answer"
		rounds_a=$((rounds_a + 1))
		((rounds_a < 100)) || fail "no end to the sync"
	done
	for ((;;)); do
		cs-locator -s "$d/b" | cs-locator -s "$BTC" --headers --max 40 >"$d/answer"
		[[ -s $d/answer ]] || break
		cs-put -q -s "$d/b" <"$d/answer"
		rounds_b=$((rounds_b + 1))
		((rounds_b < 100)) || fail "no end to the sync"
	done
	assert_equal "$rounds_a" "$rounds_b"
	((rounds_a >= 4))
	# the same main chain as the source, entry for entry (header, prev, work)
	cmp <(cs-get -s "$d/a" --range 0.. -f json) <(cs-get -s "$OPQ" --range 0.. -f json)
	cmp <(cs-get -s "$d/b" --range 0.. -f json) <(cs-get -s "$BTC" --range 0.. -f json)
	assert_equal "$(main_chain "$d/a" 2)" "$(main_chain "$d/b" 3)"
	# the tip it had first is on a fork now
	first=$(awk -v k="$first" '!/^#/ && $1 == k { print $9 }' "$MAP")
	assert_equal "$(cs-get -s "$d/a" -f json "$(hash_of "$first" 2)" | jq -r .status)" fork
	assert_equal "$(cs-get -s "$d/b" -f json "$(hash_of "$first" 3)" | jq -r .status)" fork
	# cs-locator(1)'s loop: until the tip stops moving; nothing moves now
	run -0 bash -c "cs-locator -s '$d/a' | cs-locator -s '$OPQ' --headers | cs-put -s '$d/a'"
	assert_output --partial '0 read, 0 added'
}

@test "cs-get on an opaque store: cbor, json, text, hex, raw, --body, and cs-get | cs-put round-trips" {
	local d=$BATS_TEST_TMPDIR
	cs-genshares -n 60 --bodies -f json >"$d/shares.json"
	cs-init -q -s "$d/a" --opaque <"$F/genesis.cbor"
	run -0 --separate-stderr cs-put -s "$d/a" -f json "$d/shares.json"
	assert_err_regex '^cs-put: 60 read, 60 added, 20 bodies, 0 duplicate, 0 rejected; tip '
	local one two
	one=$(sed -n 1p "$d/shares.json")
	two=$(sed -n 2p "$d/shares.json")
	# json: the entry as given, with height, chainwork and status
	run -0 cs-get -s "$d/a" -f json --body "$(jq -r .hash <<<"$one")"
	assert_equal "$(jq -c '{hash, prev, header, work, body}' <<<"$output")" "$(jq -c '{hash, prev, header, work, body}' <<<"$one")"
	assert_json .height 1
	assert_json .status main
	# cbor: the keys of an opaque entry, with its body
	cs-get -s "$d/a" --body "$(jq -r .hash <<<"$one")" >"$d/one.cbor"
	run -0 cbor_keys "$d/one.cbor"
	assert_output 'body chainwork hash header height prev status work'
	run -0 cbor2json "$d/one.cbor"
	assert_json .header "$(jq -r .header <<<"$one")"
	assert_json .prev "$(reverse_hex "$(jq -r .prev <<<"$one")")"
	assert_json .work "$(jq -r .work <<<"$one")"
	# text, for people; with --body, its size
	run -0 cs-get -s "$d/a" -f text --body "$(jq -r .hash <<<"$one")"
	assert_output --regexp "^      1  $(jq -r .hash <<<"$one")  main  [0-9a-f]+  body $(($(jq -r '.body | length' <<<"$one") / 2)) bytes\$"
	# hex and raw: the opaque header's bytes
	run -0 cs-get -s "$d/a" -f hex "$(jq -r .hash <<<"$one")"
	assert_output "$(jq -r .header <<<"$one")"
	run -0 bash -c "cs-get -s '$d/a' -f raw '$(jq -r .hash <<<"$one")' | xxd -p | tr -d '\n'"
	assert_output "$(jq -r .header <<<"$one")"
	# hex cannot show where an opaque header ends and its body begins
	run -64 --separate-stderr cs-get -s "$d/a" -f hex --body "$(jq -r .hash <<<"$one")"
	assert_output ''
	assert_err_contains "is an opaque store: use --body with cbor or json"
	# a $CS_FORMAT of hex is a preference: here the default (CBOR) instead
	CS_FORMAT=hex cs-get -s "$d/a" --body "$(jq -r .hash <<<"$one")" >env.cbor 2>env.err
	cs-get -s "$d/a" -f cbor --body "$(jq -r .hash <<<"$one")" >cbor.cbor
	cmp env.cbor cbor.cbor
	[[ ! -s env.err ]]
	# an entry without a body
	run -1 --separate-stderr cs-get -s "$d/a" -f json --body "$(jq -r .hash <<<"$two")"
	assert_err_equal "cs-get: '$(jq -r .hash <<<"$two")': no body"
	assert_json .hash "$(jq -r .hash <<<"$two")"
	# everything, forks too, back into a new store: the same entries
	cs-init -q -s "$d/b" --opaque <"$F/genesis.cbor"
	jq -r .hash "$d/shares.json" | cs-get -s "$d/a" --body - | cs-put -q -s "$d/b"
	cmp <(jq -r .hash "$d/shares.json" | cs-get -s "$d/a" --body -) <(jq -r .hash "$d/shares.json" | cs-get -s "$d/b" --body -)
	cmp <(cs-tip -s "$d/a" --all) <(cs-tip -s "$d/b" --all)
	# and again: nothing changes, every record a duplicate
	run -0 --separate-stderr bash -c "cs-get -s '$d/a' --body --range 0.. -f json | cs-put -s '$d/b' -f json"
	assert_err_regex ' 0 added, [0-9]+ duplicate, 0 rejected;'
}

@test "work wider than 64 bits: a CBOR bignum, printed as hex in JSON, round-trips" {
	jline "$(h 1)" "$ZERO" 00 | cs-init -q --opaque -f json
	cbor '{"hash": h(2), "prev": h(1), "header": b"\x01", "work": cbor2.CBORTag(2, (1 << 64).to_bytes(9, "big"))}' |
		cs-put -q
	run -0 cs-tip -f json
	assert_json .work "$(printf '%047d' 0)1$(printf '%016d' 0)"
	assert_json .chainwork "$(printf '%047d' 0)1$(printf '%015d' 0)1"
	# CBOR: a bignum, not a 64-bit integer
	run -0 bash -c "cs-get -n 1 | \"$PY\" -c 'import sys, cbor2; e = cbor2.loads(sys.stdin.buffer.read()); print(e[\"work\"], e[\"chainwork\"])'"
	assert_output "18446744073709551616 18446744073709551617"
	jline "$(h 1)" "$ZERO" 00 | cs-init -q -s other --opaque -f json
	cs-get -n 1 -f json | cs-put -q -s other -f json
	cmp <(cs-get -n 1) <(cs-get -s other -n 1)
}

@test "cs-init --opaque: the genesis from stdin, with work and body; again is a no-op" {
	run -0 --separate-stderr cs-init --opaque -f json < <(jline "$(h 1)" "$ZERO" cafe '"work":7,"body":"beef"')
	assert_err_equal "cs-init: created opaque store '$CS_STORE' (genesis $(h 1))"
	run -0 cs-get -n 0 -f json --body
	assert_json .header cafe
	assert_json .body beef
	assert_json .work 7
	assert_json .chainwork 0000000000000000000000000000000000000000000000000000000000000007
	assert_json .prev "$ZERO"
	run -0 --separate-stderr cs-init --opaque -f json < <(jline "$(h 1)" "$ZERO" cafe '"work":7')
	assert_err_equal "cs-init: '$CS_STORE' is already an opaque store"
	# the generator's genesis, in CBOR (the default)
	run -0 cs-init -q -s gen --opaque <"$F/genesis.cbor"
	run -0 cs-tip -s gen -f json
	assert_json .hash "$(hash_of 0 2)"
	assert_json .chainwork "$(awk '!/^#/ && $1 == 0 { print $8 }' "$MAP")"
}

@test "cs-init --opaque: bad genesis input: 65, and no store" {
	run -65 --separate-stderr cs-init --opaque </dev/null
	assert_err_equal "cs-init: no genesis entry on standard input"
	[[ ! -e $CS_STORE ]]
	run -65 --separate-stderr cs-init --opaque -f json < <(echo '{"prev":"'$ZERO'","header":"00"}')
	assert_err_contains "genesis entry needs hash and header"
	run -65 --separate-stderr cs-init --opaque -f json < <(echo '{"hash":"'$(h 1)'","prev":"'$ZERO'"}')
	assert_err_contains "genesis entry needs hash and header"
	run -65 --separate-stderr cs-init --opaque -f json < <(echo '{"hash":"abc","header":"00"}')
	assert_err_equal "cs-init: item 1 at byte 0: hash is not 64 hex digits"
	# a whole chain piped into cs-init: refused, not half-read
	run -65 --separate-stderr cs-init --opaque < <(cat "$F/genesis.cbor" "$F/shares.cbor")
	assert_err_regex "^cs-init: item 2 at byte [0-9]+: only the genesis entry goes to cs-init; the others go to cs-put\$"
	run -65 --separate-stderr cs-init --opaque < <(cbor '{"hash": h(1), "header": bytes(65537)}')
	assert_err_equal "cs-init: item 1 at byte 0: header longer than 65536 bytes"
	[[ ! -e $CS_STORE ]]
}

@test "cs-init --opaque on a store: another genesis or another profile is 65, store unchanged" {
	jline "$(h 1)" "$ZERO" cafe | cs-init -q --opaque -f json
	local before
	before=$(cs-get -n 0 -f json)
	run -65 --separate-stderr cs-init --opaque -f json < <(jline "$(h 1)" "$ZERO" cafd)
	assert_err_equal "cs-init: conflict: '$CS_STORE' holds genesis $(h 1) with a different header"
	run -65 --separate-stderr cs-init --opaque -f json < <(jline "$(h 1)" "$ZERO" cafe '"work":2')
	assert_err_equal "cs-init: conflict: '$CS_STORE' holds genesis $(h 1) with a different work"
	run -65 --separate-stderr cs-init --opaque -f json < <(jline "$(h 2)" "$ZERO" cafe)
	assert_err_equal "cs-init: '$CS_STORE' is a store of genesis $(h 1), not $(h 2)"
	run -65 --separate-stderr cs-init --network regtest
	assert_err_equal "cs-init: '$CS_STORE' is an opaque store, not regtest"
	assert_equal "$(cs-get -n 0 -f json)" "$before"
	run -0 cs-init -q -s main.cs
	run -65 --separate-stderr cs-init -s main.cs --opaque -f json < <(jline "$(h 1)" "$ZERO" cafe)
	assert_err_equal "cs-init: 'main.cs' is a mainnet store, not opaque"
	run -0 cs-tip -s main.cs -f json
	assert_json .hash "$GENESIS_MAINNET"
}

@test "cs-put bad input: no hash, no prev, no header: 65, store unchanged" {
	put_bad 65 "cs-put: item 1 at byte 0: entry has no hash" -f json < <(echo '{"prev":"'"$(h 4)"'","header":"00"}')
	put_bad 65 "cs-put: item 1 at byte 0: entry has no prev" -f json < <(echo '{"hash":"'"$(h 6)"'","header":"00"}')
	put_bad 65 "cs-put: item 1 at byte 0: entry has no header" -f json < <(echo '{"hash":"'"$(h 6)"'","prev":"'"$(h 4)"'"}')
	put_bad 65 "cs-put: item 1 at byte 0: entry has no hash" < <(cbor '{"prev": h(4), "header": b"x"}')
	put_bad 65 "cs-put: item 1 at byte 0: entry has no prev" < <(cbor '{"hash": h(6), "header": b"x"}')
	# a bare byte string is a Bitcoin header or block, which names no hash
	put_bad 65 "cs-put: item 1 at byte 0: entry has no hash" < <(cbor 'bytes(80)')
}

@test "cs-put bad input: wrong sizes of hash and prev: 65, store unchanged" {
	put_bad 65 "cs-put: item 1 at byte 0: hash is not 32 bytes" < <(cbor '{"hash": h(6)[:31], "prev": h(4), "header": b"x"}')
	put_bad 65 "cs-put: item 1 at byte 0: prev is not 32 bytes" < <(cbor '{"hash": h(6), "prev": h(4) + b"\0", "header": b"x"}')
	put_bad 65 "cs-put: item 1 at byte 0: hash is not 64 hex digits" -f json < <(echo '{"hash":"'"$(h 6 | cut -c 3-)"'","prev":"'"$(h 4)"'","header":"00"}')
	put_bad 65 "cs-put: item 1 at byte 0: prev is not 64 hex digits" -f json < <(echo '{"hash":"'"$(h 6)"'","prev":"'"$(h 4)"'00","header":"00"}')
	put_bad 65 "cs-put: item 1 at byte 0: header is not hex of at most 65536 bytes" -f json < <(echo '{"hash":"'"$(h 6)"'","prev":"'"$(h 4)"'","header":"0"}')
	put_bad 65 "cs-put: item 1 at byte 0: unexpected negative integer" < <(cbor '{"hash": h(6), "prev": h(4), "header": b"x", "work": -1}')
	put_bad 65 "cs-put: item 1 at byte 0: bignum wider than 256 bits" < <(cbor '{"hash": h(6), "prev": h(4), "header": b"x", "work": 1 << 256}')
}

@test "cs-put: a header of 65,536 bytes is kept whole; one byte more is 65, store unchanged" {
	run -0 small_opaque
	cbor '{"hash": h(6), "prev": h(4), "header": bytes(range(256)) * 256}' >"$BATS_TEST_TMPDIR/big.cbor"
	run -0 cs-put -q "$BATS_TEST_TMPDIR/big.cbor"
	run -0 bash -c "cs-get -f raw '$(h 6)' | cmp - <(\"$PY\" -c 'import sys; sys.stdout.buffer.write(bytes(range(256)) * 256)') && echo same"
	assert_output same
	run -0 cs-tip -f json
	assert_json .hash "$(h 6)"
	assert_json .height 4
	rm -rf "$CS_STORE"
	put_bad 65 "cs-put: item 1 at byte 0: header longer than 65536 bytes" < <(cbor '{"hash": h(6), "prev": h(4), "header": bytes(65537)}')
	put_bad 65 "cs-put: item 1 at byte 0: header is not hex of at most 65536 bytes" -f json \
		< <(echo '{"hash":"'"$(h 6)"'","prev":"'"$(h 4)"'","header":"'"$(head -c 65537 /dev/zero | xxd -p | tr -d '\n')"'"}')
}

@test "cs-put: an unknown parent at the end of input is 65; the store keeps the rest" {
	put_bad 65 "cs-put: item 1 at byte 0: unknown parent $(h 99)" -f json < <(jline "$(h 6)" "$(h 99)" 00)
	assert_err_contains "0 added"
	# a chain waiting for a parent that never comes: each reported, none kept
	rm -rf "$CS_STORE"
	put_bad 65 "unknown parent $(h 99)" -f json < <(jline "$(h 6)" "$(h 99)" 00; jline "$(h 7)" "$(h 6)" 00)
	assert_err_contains "item 1 at byte 0: unknown parent $(h 99)"
	assert_err_contains "item 2 at byte "
	assert_err_contains "unknown parent $(h 6)"
	# the good records before and after stay
	run -65 --separate-stderr cs-put -f json < <(jline "$(h 6)" "$(h 4)" 00; jline "$(h 8)" "$(h 99)" 00; jline "$(h 7)" "$(h 6)" 00)
	assert_err_contains "item 2 at byte 164: unknown parent $(h 99)"
	run -0 cs-tip -f json
	assert_json .hash "$(h 7)"
	assert_json .height 5
	run -1 cs-get -f json "$(h 8)"
}

@test "cs-put: a hash already stored with a different header, prev or work is a conflict: 65, store unchanged" {
	put_bad 65 "cs-put: item 1 at byte 0: conflict: a different header is already given for $(h 3)" -f json < <(jline "$(h 3)" "$(h 2)" 6199)
	rm -rf "$CS_STORE"
	put_bad 65 "cs-put: item 1 at byte 0: conflict: a different prev is already given for $(h 3)" -f json < <(jline "$(h 3)" "$(h 5)" 6132)
	rm -rf "$CS_STORE"
	put_bad 65 "cs-put: item 1 at byte 0: conflict: a different work is already given for $(h 3)" -f json < <(jline "$(h 3)" "$(h 2)" 6132 '"work":2')
	rm -rf "$CS_STORE"
	# the genesis too
	put_bad 65 "conflict: a different header is already given for $(h 1)" -f json < <(jline "$(h 1)" "$ZERO" 00)
	# the very same entry is a duplicate, not a conflict
	run -0 --separate-stderr cs-put -f json < <(jline "$(h 3)" "$(h 2)" 6132 '"work":1')
	assert_err_regex '1 read, 0 added, 1 duplicate, 0 rejected'
}

@test "cs-put: a conflict within one input: the first stays, the second is 65, in order or waiting for a parent" {
	run -0 small_opaque
	run -65 --separate-stderr cs-put -f json < <(jline "$(h 6)" "$(h 4)" 01; jline "$(h 6)" "$(h 4)" 02)
	assert_err_contains "cs-put: item 2 at byte 164: conflict: a different header is already given for $(h 6)"
	run -0 cs-get -f json "$(h 6)"
	assert_json .header 01
	# both waiting for their parent (#7): the first seen is kept
	run -65 --separate-stderr cs-put -f json < <(jline "$(h 8)" "$(h 7)" 03; jline "$(h 8)" "$(h 7)" 04; jline "$(h 7)" "$(h 6)" 05)
	assert_err_contains "cs-put: item 2 at byte 164: conflict: a different header is already given for $(h 8)"
	run -0 cs-get -f json "$(h 8)"
	assert_json .header 03
	assert_json .height 6
	# one waiting (#10 under #9), then one under another parent: the one
	# waiting is the conflict, though it connects last
	run -65 --separate-stderr cs-put --keep-going -f json < <(
		jline "$(h 10)" "$(h 9)" 06
		jline "$(h 10)" "$(h 8)" 06
		jline "$(h 9)" "$(h 8)" 08
	)
	assert_err_contains "cs-put: item 1 at byte 0: conflict: a different prev is already given for $(h 10)"
	run -0 cs-get -f json "$(h 10)"
	assert_json .prev "$(h 8)"
	run -0 cs-get -f json "$(h 9)"
	assert_json .header 08
}

@test "cs-put: an entry waiting for its parent across a commit: a hash stored meanwhile is a conflict" {
	run -0 small_opaque
	# #7 waits for #6; another #7 (on #4) and 10,000 more entries fill a
	# batch, which is committed; then #6 comes and the first #7 connects
	{
		jline "$(h 7)" "$(h 6)" 07
		jline "$(h 7)" "$(h 4)" 70
		awk -v prev="$(h 7)" 'BEGIN {
			for (i = 1; i <= 10000; i++) {
				hash = sprintf("%064x", 4096 + i)
				printf "{\"hash\":\"%s\",\"prev\":\"%s\",\"header\":\"00\"}\n", hash, prev
				prev = hash
			}
		}'
		jline "$(h 6)" "$(h 4)" 06
	} >"$BATS_TEST_TMPDIR/input.json"
	run -65 --separate-stderr cs-put -f json "$BATS_TEST_TMPDIR/input.json"
	assert_err_contains "item 1 at byte 0: conflict: a different header is already given for $(h 7)"
	run -0 cs-get -f json "$(h 7)"
	assert_json .header 70
	assert_json .height 4
	run -0 cs-tip -f json
	assert_json .height 10004
	assert_json .hash "$(printf '%064x' $((4096 + 10000)))"
	run -0 cs-get -f json "$(h 6)"
	assert_json .status fork
}

@test "cs-put -f raw, hex or blk into an opaque store: 64, store unchanged" {
	put_bad 64 "is an opaque store: its entries are read as cbor or json, not raw" -f raw < <(head -c 80 "$MAINNET")
	rm -rf "$CS_STORE"
	put_bad 64 "not hex" -f hex < <(header_hex "$MAINNET" 0)
	rm -rf "$CS_STORE"
	put_bad 64 "not blk" -f blk "$REORG/blk_3A.dat"
}

@test "cs-put --keep-going on an opaque store: each bad record reported, the good ones kept, 65" {
	run -0 small_opaque
	run -65 --separate-stderr cs-put --keep-going -f json < <(
		jline "$(h 6)" "$(h 4)" 01
		echo '{"hash":"'"$(h 7)"'","header":"00"}'
		jline "$(h 3)" "$(h 2)" 99
		jline "$(h 8)" "$(h 99)" 02
		jline "$(h 9)" "$(h 6)" 03 '"work":3'
	)
	assert_err_contains "item 2 at byte 164: entry has no prev"
	assert_err_contains "item 3 at byte "
	assert_err_contains "conflict: a different header is already given for $(h 3)"
	assert_err_contains "unknown parent $(h 99)"
	run -0 cs-tip -f json
	assert_json .hash "$(h 9)"
	assert_json .height 5
	assert_json .chainwork 0000000000000000000000000000000000000000000000000000000000000008
}

@test "a Bitcoin store is not an opaque one: hash and prev must be its header's" {
	cs-init -q --genesis "$(cat "$F/genesis.hex")" --pow-limit 207fffff
	# the first share's entry: hash and prev of the share, header not 80 bytes
	run -65 --separate-stderr cs-put -f json < <(head -n 1 "$F/shares.json")
	assert_err_contains "header is "
	# the first header with the share's hash: a mismatch
	run -65 --separate-stderr cs-put -f json < <(jq -c --arg h "$(head -n 1 "$F/headers.hex")" '{hash, header: $h}' <(head -n 1 "$F/shares.json"))
	assert_err_contains "hash does not match its header"
	run -0 cs-tip -f json
	assert_json .height 0
	# Bitcoin entries print no prev or work
	run -0 cbor_keys <(cs-tip)
	assert_output 'chainwork hash header height status'
}

@test "cs-put: a stored hash given again under a parent added in the same input is a conflict (65), store unchanged" {
	# a Bitcoin store skips the duplicate read for a child of an entry of
	# the same batch (its hash commits to that parent); an opaque one must not
	g=$(printf '{"hash":"%064x","prev":"%064x","header":"aa"}' 1 0)
	run -0 cs-init -q --opaque -f json <<<"$g"
	printf '{"hash":"%064x","prev":"%064x","header":"bb"}\n' 2 1 | cs-put -q -f json
	before=$(cs-get --range 0.. -f json)
	{
		printf '{"hash":"%064x","prev":"%064x","header":"cc"}\n' 3 1
		printf '{"hash":"%064x","prev":"%064x","header":"bb"}\n' 2 3
	} >in.json
	run -65 --separate-stderr cs-put -f json in.json
	assert_err_contains "item 2 at byte 164: conflict: a different prev is already given for $(printf '%064x' 2)"
	run -0 cs-get -f json "$(printf '%064x' 2)"
	assert_json '[.height, .prev] | join(" ")' "1 $(printf '%064x' 1)"
	assert_equal "$(cs-get --range 0.. -f json)" "$before"
}
