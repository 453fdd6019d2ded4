#!/usr/bin/env bats
# cs-locator: block locators, and answering them as Bitcoin Core answers
# getheaders; two stores synced by pipeline.

load test_helper

setup() {
	common_setup
}

# core_locator FILE TIP: the display hashes of the locator of height TIP of
# a raw header file, newest first. The heights follow LocatorEntries in
# Bitcoin Core's src/chain.cpp, written out again here:
#     have.push_back(hash); if (height == 0) break;
#     height = max(height - step, 0); if (have.size() > 10) step *= 2;
# and each hash is sha256d of the shipped header, not what the store says.
core_locator() {
	"$PY" -c 'import hashlib, sys
d = open(sys.argv[1], "rb").read()
height, step, have = int(sys.argv[2]), 1, []
while True:
    have.append(height)
    if height == 0:
        break
    height = max(height - step, 0)
    if len(have) > 10:
        step *= 2
for h in have:
    hd = d[80 * h:80 * h + 80]
    print(hashlib.sha256(hashlib.sha256(hd).digest()).digest()[::-1].hex())' "$1" "$2"
}

# reorg_store [DIR]: the btcd reorg chain, 0..4 then 3A 4A 5A (tip 5A; 3 and
# 4 are forks).
reorg_store() {
	local dir=${1:-$CS_STORE}
	cs-init -q -s "$dir" &&
		cs-put -q -s "$dir" -f blk "$REORG/blk_0_to_4.dat" &&
		cs-put -q -s "$dir" -f blk "$REORG/blk_3A.dat" "$REORG/blk_4A.dat" "$REORG/blk_5A.dat"
}

# block 1 of the btcd reorg chain (tests/data/mainnet/btcd_reorg/headers.csv)
REORG_HASH_1=00000000ebe5ec3e94d8dfe18100e5c0f3b1955bc6107fbe24d95732b814551b

# The loop of cs-locator(1)'s EXAMPLES, word for word: sync b.cs from a.cs
# until the tip stops moving.
sync_loop() {
	tip=
	while [ "$tip" != "$(cs-tip -s b.cs -f hex)" ]; do
		tip=$(cs-tip -s b.cs -f hex)
		cs-locator -s b.cs | cs-locator -s a.cs --headers | cs-put -q -s b.cs
	done
}

@test "cs-locator -f text: Core's LocatorEntries of the 10k mainnet store" {
	init_mainnet_10k
	run -0 --separate-stderr cs-locator -f text
	assert_err_empty
	assert_output "$(core_locator "$MAINNET" 10236)"
	# 12 consecutive, then 2, 4, ... 4096 back (12 more), then the genesis
	assert_equal "${#lines[@]}" 25
	assert_equal "${lines[0]}" "$HASH_10236"
	assert_equal "${lines[24]}" "$GENESIS_MAINNET"
	# the first eleven as cs-get prints them, by height
	assert_equal "$(printf '%s\n' "${lines[@]:0:11}")" "$(cs-get -f json --range 10226..10236 | jq -r .hash | tac)"
	# the steps, by height
	run -0 bash -c 'cs-locator -f hex | cs-get -f json - | jq -r .height | tr "\n" " "'
	assert_output "10236 10235 10234 10233 10232 10231 10230 10229 10228 10227 10226 10225 10223 10219 10211 10195 10163 10099 9971 9715 9203 8179 6131 2035 0 "
}

@test "cs-locator: CBOR is one array of 32-byte hashes in internal order; json one line" {
	init_mainnet_10k
	cs-locator >loc.cbor
	run -0 cbor2json loc.cbor
	assert_equal "${#lines[@]}" 1
	assert_equal "$(jq -r '.[]' <<<"$output")" \
		"$(core_locator "$MAINNET" 10236 | while read -r h; do reverse_hex "$h"; done)"
	cs-locator -f cbor | cmp - loc.cbor
	run -0 cs-locator -f json
	assert_equal "${#lines[@]}" 1
	assert_json 'length' 25
	assert_json '.[0]' "$HASH_10236"
	assert_json '.[-1]' "$GENESIS_MAINNET"
	assert_equal "$(cs-locator -f hex)" "$(cs-locator -f text)"
}

@test "cs-locator: small chains; the genesis alone" {
	cs-init -q
	run -0 cs-locator -f text
	assert_output "$GENESIS_MAINNET"
	cs-locator | cmp - <(printf '\x81\x58\x20' && reverse_hex "$GENESIS_MAINNET" | xxd -r -p)
	cs-put -q -f raw <(headers "$MAINNET" 1 20)
	run -0 cs-locator -f text
	assert_output "$(core_locator "$MAINNET" 20)"
	# 20 ... 9, then 7, 3, 0
	run -0 bash -c 'cs-locator -f hex | cs-get -f json - | jq -r .height | tr "\n" " "'
	assert_output "20 19 18 17 16 15 14 13 12 11 10 9 7 3 0 "
}

@test "cs-locator --from: a main-chain entry, and a fork entry through its own parents" {
	init_mainnet_10k
	run -0 cs-locator -f text --from "$HASH_1000"
	assert_output "$(core_locator "$MAINNET" 1000)"
	rm -rf "$CS_STORE"
	reorg_store
	run -0 cs-locator -f text --from "$REORG_HASH_4"
	assert_output "$REORG_HASH_4
$REORG_HASH_3
$REORG_HASH_2
$REORG_HASH_1
$GENESIS_MAINNET"
	run -0 cs-locator -f text
	assert_output "$REORG_HASH_5A
$REORG_HASH_4A
$REORG_HASH_3A
$REORG_HASH_2
$REORG_HASH_1
$GENESIS_MAINNET"
}

@test "cs-locator --from: unknown hash exits 1; bad hash, raw and stray options exit 64" {
	init_mainnet_10k
	local h=0000000000000000000000000000000000000000000000000000000000000001
	run -1 --separate-stderr cs-locator --from "$h"
	assert_output ""
	assert_err_equal "cs-locator: '$h': not found"
	run -64 --separate-stderr cs-locator --from nothex
	assert_err_contains "cs-locator: bad hash 'nothex'"
	run -64 cs-locator -f raw
	run -64 cs-locator --max 5
	run -64 cs-locator --stop "$HASH_1"
	run -64 cs-locator --headers --from "$HASH_1" </dev/null
	run -64 cs-locator --headers --max 0 </dev/null
	run -64 cs-locator --headers --max x </dev/null
	run -64 cs-locator extra
}

@test "cs-locator -h: usage matches the man page's SYNOPSIS; -V" {
	run -0 cs-locator -h
	assert_line --index 0 "usage: cs-locator [-qv] [-s DIR] [-w SECONDS] [-f FORMAT] [--from HASH]"
	assert_line --index 1 "       cs-locator [-qv] [-s DIR] [-w SECONDS] [-f FORMAT] --headers [--stop HASH] [--max N]"
	run -0 cs-locator -V
	assert_output "cs-locator 0.1.0"
	run -0 bash -c 'mandoc -Tascii -O width=200 "$1" | sed "s/.\x08//g"' _ "$REPO/man/cs-locator.1"
	assert_output --partial "cs-locator [-qv] [-s DIR] [-w SECONDS] [-f FORMAT] [--from HASH]"
	assert_output --partial "cs-locator [-qv] [-s DIR] [-w SECONDS] [-f FORMAT] --headers [--stop HASH] [--max N]"
}

@test "cs-locator: a missing store exits 66" {
	run -66 cs-locator -s nowhere
	run -66 cs-locator -s nowhere --headers </dev/null
}

@test "cs-locator --headers: [hash 5000] answers 5001..7000 as cs-get prints them" {
	init_mainnet_10k
	hash_at 5000 | cs-locator --headers >answer.cbor
	cs-get --range 5001..7000 | cmp - answer.cbor
	run -0 bash -c 'cs-get -f json - <answer.cbor | jq -r .height | sed -n "1p;\$p;\$="'
	assert_output "5001
7000
2000"
	# the same locator as JSON and as CBOR
	run -0 bash -c "echo '[\"$(hash_at 5000)\"]' | cs-locator --headers -f hex"
	assert_output "$(headers "$MAINNET" 5001 7000 | xxd -p -c 80)"
	"$PY" -c 'import sys, cbor2; sys.stdout.buffer.write(cbor2.dumps([bytes.fromhex(sys.argv[1])[::-1]]))' \
		"$(hash_at 5000)" | cs-locator --headers | cmp - answer.cbor
}

@test "cs-locator --headers --max N; --max 1" {
	init_mainnet_10k
	run -0 bash -c "echo $(hash_at 5000) | cs-locator --headers --max 10 -f json"
	assert_json .height "$(seq 5001 5010)"
	assert_json .status "$(printf 'main\n%.0s' {1..10})"
	run -0 bash -c "echo $(hash_at 5000) | cs-locator --headers --max 1 -f json"
	assert_json .hash "$(hash_at 5001)"
	# near the tip, the answer ends at the tip
	run -0 bash -c "echo $HASH_10000 | cs-locator --headers -f json"
	assert_json .height "$(seq 10001 10236)"
}

@test "cs-locator --headers --stop: ends after it, inclusive; one not on the way is ignored" {
	init_mainnet_10k
	run -0 bash -c "echo $(hash_at 5000) | cs-locator --headers --stop $(hash_at 5003) -f json"
	assert_json .height "5001
5002
5003"
	# --max first
	run -0 bash -c "echo $(hash_at 5000) | cs-locator --headers --max 2 --stop $(hash_at 5003) -f json"
	assert_json .height "5001
5002"
	# behind the fork point, or not stored: ignored
	run -0 bash -c "echo $(hash_at 5000) | cs-locator --headers --max 5 --stop $HASH_1000 -f json"
	assert_json .height "$(seq 5001 5005)"
	run -0 bash -c "echo $(hash_at 5000) | cs-locator --headers --max 5 --stop 00000000000000000000000000000000000000000000000000000000000000aa -f json"
	assert_json .height "$(seq 5001 5005)"
}

@test "cs-locator --headers: empty locator: --stop answers that entry, else nothing" {
	init_mainnet_10k
	run -0 --separate-stderr cs-locator --headers -f json </dev/null
	assert_output ""
	assert_err_empty
	run -0 bash -c 'printf "\x80" | cs-locator --headers -f json'
	assert_output ""
	run -0 bash -c "printf '[]\n' | cs-locator --headers -f json --stop $HASH_1000"
	assert_json .hash "$HASH_1000"
	assert_json .height 1000
	run -0 bash -c "cs-locator --headers -f json --stop $HASH_10000 </dev/null"
	assert_json .height 10000
	local h=00000000000000000000000000000000000000000000000000000000000000aa
	run -1 --separate-stderr cs-locator --headers -f json --stop "$h" </dev/null
	assert_output ""
	assert_err_equal "cs-locator: '$h': not found"
}

@test "cs-locator --headers: unknown hashes are skipped; none known: from the genesis" {
	init_mainnet_10k
	local u1=00000000000000000000000000000000000000000000000000000000000000a1
	local u2=00000000000000000000000000000000000000000000000000000000000000a2
	run -0 bash -c "printf '%s\n' $u1 $u2 $(hash_at 9000) $HASH_1000 | cs-locator --headers --max 3 -f json"
	assert_json .height "9001
9002
9003"
	run -0 bash -c "printf '%s\n' $u1 $u2 | cs-locator --headers --max 2 -f json"
	assert_json .height "1
2"
}

@test "cs-locator --headers: fork hashes are skipped (btcd reorg: 4 and 3 after 5A)" {
	reorg_store
	run -0 bash -c "printf '%s\n' $REORG_HASH_4 $REORG_HASH_3 $REORG_HASH_2 | cs-locator --headers -f json"
	assert_json .hash "$REORG_HASH_3A
$REORG_HASH_4A
$REORG_HASH_5A"
	assert_json .status "main
main
main"
	# an empty locator with a fork entry as --stop answers it, as Core does
	run -0 bash -c "cs-locator --headers --stop $REORG_HASH_4 -f json </dev/null"
	assert_json '[.hash, .status] | join(" ")' "$REORG_HASH_4 fork"
	# the tip: nothing after it
	run -0 bash -c "echo $REORG_HASH_5A | cs-locator --headers -f json"
	assert_output ""
}

@test "cs-locator --headers: 101 hashes are read, 102 are bad input (65)" {
	init_mainnet_10k
	seq 1 101 | awk '{printf "%064x\n", $1}' >101.txt
	run -0 bash -c 'cs-locator --headers --max 1 -f json <101.txt'
	assert_json .height 1
	{ cat 101.txt; hash_at 5000; } >102.txt
	run -65 --separate-stderr cs-locator --headers -f json <102.txt
	assert_output ""
	assert_err_contains "longer than 101"
	"$PY" -c 'import sys, cbor2; sys.stdout.buffer.write(cbor2.dumps([bytes(32)] * 102))' >102.cbor
	run -65 --separate-stderr cs-locator --headers -f json <102.cbor
	assert_output ""
	jq -R . 102.txt | jq -cs . >102.json
	run -65 --separate-stderr cs-locator --headers -f json <102.json
	assert_output ""
	# a height is not a locator hash; nor is garbage
	run -65 --separate-stderr cs-locator --headers -f json < <(printf '5000\n')
	run -65 --separate-stderr cs-locator --headers -f json < <(printf 'zz\n')
}

@test "cs-locator --headers: an entry map is not a locator: 65; cs-get - still takes it as a key" {
	init_mainnet_10k
	cs-get -n 5000 -f cbor >entry.cbor
	run -65 --separate-stderr cs-locator --headers -f json <entry.cbor
	assert_output ""
	assert_err_equal "cs-locator: item 1 at byte 0: an entry is not a locator hash"
	# after a sound locator array too, the map ends the input
	"$PY" -c 'import sys, cbor2; sys.stdout.buffer.write(cbor2.dumps([bytes.fromhex(sys.argv[1])[::-1]]))' \
		"$(hash_at 5000)" >locator.cbor
	cat locator.cbor entry.cbor >both.cbor
	run -65 --separate-stderr cs-locator --headers -f json <both.cbor
	assert_output ""
	assert_err_equal "cs-locator: item 2 at byte $(stat -c %s locator.cbor): an entry is not a locator hash"
	# an entry map is a key for cs-get -
	run -0 cs-get -f json - <entry.cbor
	assert_json .height 5000
}

@test "cs-locator: sync a fresh store from the 10k store, 2000 a round" {
	init_mainnet_10k a.cs
	cs-init -q -s b.cs
	local rounds=0 added=()
	while :; do
		cs-locator -s b.cs | cs-locator -s a.cs --headers | cs-put -s b.cs 2>put.err
		rounds=$((rounds + 1))
		[[ $(<put.err) =~ ^cs-put:\ ([0-9]+)\ read,\ ([0-9]+)\ added ]] || fail "summary: $(<put.err)"
		assert_equal "${BASH_REMATCH[1]}" "${BASH_REMATCH[2]}"
		added+=("${BASH_REMATCH[2]}")
		[[ ${BASH_REMATCH[2]} == 0 ]] && break
		((rounds < 20)) || fail "no end"
	done
	# ceil(10236 / 2000) = 6 rounds that move, and one that moves nothing
	assert_equal "$rounds" 7
	assert_equal "${added[*]}" "2000 2000 2000 2000 2000 236 0"
	assert_equal "$(tip_field hash -s b.cs)" "$HASH_10236"
	assert_equal "$(store_dump b.cs)" "$(store_dump a.cs)"
}

@test "cs-locator: sync over a reorg: b's own branch 0..4 gives way to a's 5A" {
	reorg_store a.cs
	cs-init -q -s b.cs
	cs-put -q -s b.cs -f blk "$REORG/blk_0_to_4.dat"
	run -0 bash -c 'cs-locator -s b.cs | cs-locator -s a.cs --headers | cs-put -s b.cs'
	assert_output --partial "3 read, 3 added"
	assert_equal "$(tip_field hash -s b.cs)" "$REORG_HASH_5A"
	run -0 cs-get -s b.cs -f json "$REORG_HASH_4"
	assert_json .status fork
	run -0 bash -c 'cs-locator -s b.cs | cs-locator -s a.cs --headers | cs-put -s b.cs'
	assert_output --partial "0 read, 0 added"
}

@test "cs-locator: the sync loop of the man page, word for word" {
	# the loop is in the man page's EXAMPLES
	local line
	while IFS= read -r line; do
		line=${line#"${line%%[![:space:]]*}"}
		sed 's/^[[:space:]]*//; s/^\$ //' "$REPO/man/cs-locator.1" | grep -qxF -- "$line" ||
			fail "not in cs-locator.1: $line"
	done < <(declare -f sync_loop | sed '1,2d;$d' | sed 's/;$//')
	init_mainnet_10k a.cs
	cs-init -q -s b.cs
	run -0 timeout 60 bash -c "$(declare -f sync_loop); cd '$PWD'; sync_loop"
	assert_equal "$(tip_field hash -s b.cs)" "$HASH_10236"
	# with b.cs on its own branch
	rm -rf a.cs b.cs
	reorg_store a.cs
	cs-init -q -s b.cs
	cs-put -q -s b.cs -f blk "$REORG/blk_0_to_4.dat"
	run -0 timeout 60 bash -c "$(declare -f sync_loop); cd '$PWD'; sync_loop"
	assert_equal "$(tip_field hash -s b.cs)" "$REORG_HASH_5A"
}

@test "cs-locator: the pipeline over one store completes" {
	init_mainnet_10k
	run -0 timeout 30 bash -c 'cs-locator | cs-locator --headers | cs-put; echo "${PIPESTATUS[*]}"'
	assert_line "0 0 0"
	run -0 timeout 30 bash -c 'cs-locator --from "$1" | cs-locator --headers | cs-put -q; echo "${PIPESTATUS[*]}"' _ "$HASH_10000"
	assert_output "0 0 0"
	assert_equal "$(tip_field hash)" "$HASH_10236"
}

@test "cs-locator --headers: an answer let go of mid-way ends where a reorganisation broke it" {
	# regtest main chain 0..20000, and a heavier branch forking at 11000
	cs-genchain -n 20000 -f raw >main.bin
	cs-genchain -n 20000 --fork-at 11000 --fork-len 10000 -f raw | tail -c 800000 >fork.bin
	cs-init -q --network regtest
	cs-put -q -f raw main.bin
	locator=$(cs-get -n 12000 -f json | jq -r .hash)
	# the answer (12001 on) fills the pipe and waits for its reader, letting
	# go of the store; the branch lands meanwhile
	{ echo "$locator" | cs-locator --headers --max 8000 -f hex | { sleep 2; cat; } >answer.hex; } 3>&- &
	reader=$!
	sleep 0.5
	run -0 cs-put -q -f raw fork.bin
	wait "$reader"
	# what was answered is the old chain from 12001 on, without a gap, and it
	# ends before the 8000 asked for: nothing of the new branch follows it
	n=$(wc -l <answer.hex)
	((n > 0 && n < 8000)) || fail "$n entries answered"
	cmp <(xxd -r -p answer.hex) <(dd if=main.bin bs=80 skip=12000 count="$n" status=none) # height H is header H - 1
	# and the store's main chain at 12001 is now the branch's
	[ "$(cs-get -n 12001 -f hex)" = "$(dd if=fork.bin bs=80 skip=1000 count=1 status=none | xxd -p -c 80)" ]
}
