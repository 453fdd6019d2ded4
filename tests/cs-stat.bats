#!/usr/bin/env bats
# cs-stat: counts against real data with known values (tests/data), sizes
# against what python adds up, and the prometheus format read by Debian's
# python3-prometheus-client, the parser Prometheus's own Python client uses.

load test_helper

setup_file() {
	build_mainnet_10k || true
}

setup() {
	common_setup
}

# prom FILE: the samples of a prometheus text file, one "name labels value"
# line each (labels as sorted JSON), parsed by prometheus_client; also
# checks that every family has HELP and is a gauge.
prom() {
	"$PY" -c 'import json, sys
from prometheus_client.parser import text_string_to_metric_families
for f in text_string_to_metric_families(open(sys.argv[1]).read()):
    assert f.type == "gauge", (f.name, f.type)
    assert f.documentation, f.name
    for s in f.samples:
        print(s.name, json.dumps(s.labels, sort_keys=True, separators=(",", ":")), repr(s.value))' "$1"
}

# db_bytes: the sizes of the files under the store's db/, added up by python.
db_bytes() {
	"$PY" -c 'import os, sys
print(sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(sys.argv[1]) for f in fs))' "$CS_STORE/db"
}

@test "cs-stat -f json: real mainnet 0..10236" {
	init_mainnet_10k
	run -0 --separate-stderr cs-stat -f json
	assert_err_empty
	assert_equal "${#lines[@]}" 1
	assert_json .entries 10237
	assert_json .main_chain_length 10237
	assert_json .fork_entries 0
	assert_json .chain_tips 1
	assert_json .bodies 0
	assert_json .pruned_bodies 0
	assert_json .transactions 0
	assert_json .tip_height 10236
	assert_json .tip_hash "$HASH_10236"
	assert_json .network mainnet
	assert_json .opaque false
	assert_json .store "$CS_STORE"
	# the time field of header 10236, read from the file by python
	t=$("$PY" -c 'import struct, sys
print(struct.unpack_from("<I", open(sys.argv[1], "rb").read(), 10236 * 80 + 68)[0])' "$MAINNET")
	assert_json .tip_time "$t"
	assert_json '.leveldb.stats | test("Compactions")' true
	assert_json '.leveldb | has("sstables")' false
	assert_json '.approximate_bytes | keys | join(" ")' "bodies chain_tips entries height_index meta transaction_index"
}

@test "cs-stat: bytes on disk and table files, as python counts them" {
	init_mainnet_10k
	run -0 cs-stat -f json
	assert_json .bytes_on_disk "$(db_bytes)"
	tables=$(ls "$CS_STORE"/db/*.ldb | wc -l)
	assert_json '.leveldb.files_at_level | add' "$tables"
	assert_json '.leveldb.files_at_level | length' 7
	run -0 cs-stat -f json -v
	assert_json '.leveldb.sstables | test("--- level 0 ---")' true
}

@test "cs-stat: btcd blocks 1..255: 255 bodies, every transaction indexed" {
	run -0 cs-init -q
	run -0 cs-put -q -f blk "$BTCD_BLOCKS"
	run -0 btcd_tx_counts
	assert_line '170 2'
	assert_equal "${#lines[@]}" 255
	total=$(awk '{ n += $2 } END { print n }' <<<"$output")
	run -0 cs-stat -f json
	assert_json .bodies 255
	assert_json .transactions "$total"
	assert_json .entries 256
	assert_json .main_chain_length 256
}

@test "cs-stat: the btcd reorg: 6 on the main chain, 2 on a fork, 2 tips" {
	run -0 cs-init -q
	run -0 cs-put -q -f blk "$REORG"/blk_0_to_4.dat "$REORG"/blk_3A.dat "$REORG"/blk_4A.dat "$REORG"/blk_5A.dat
	run -0 cs-stat -f json
	assert_json .entries 8
	assert_json .main_chain_length 6
	assert_json .fork_entries 2
	assert_json .chain_tips 2
	assert_json .tip_hash "$REORG_HASH_5A"
	assert_json .bodies 8
}

@test "cs-stat -f prometheus: read by prometheus_client, with the published values" {
	init_mainnet_10k
	cs-stat -f prometheus >m.prom
	run -0 prom m.prom
	store=$(jq -cn --arg s "$CS_STORE" '{store: $s}')
	assert_line "chainstore_entries $store 10237.0"
	assert_line "chainstore_main_chain_length $store 10237.0"
	assert_line "chainstore_fork_entries $store 0.0"
	assert_line "chainstore_chain_tips $store 1.0"
	assert_line "chainstore_bodies $store 0.0"
	assert_line "chainstore_pruned_bodies $store 0.0"
	assert_line "chainstore_transactions $store 0.0"
	assert_line "chainstore_tip_height $store 10236.0"
	assert_line "chainstore_tip_timestamp_seconds $store 1239186796.0"
	assert_line "chainstore_bytes_on_disk $store $(db_bytes).0"
	assert_line "chainstore_info $(jq -cn --arg s "$CS_STORE" '{network: "mainnet", profile: "bitcoin", rules: "mainnet", store: $s}') 1.0"
	assert_line --regexp "^chainstore_key_bytes .*\"kind\":\"entries\".* [0-9]+\\.0\$"
	assert_line --regexp "^chainstore_leveldb_files .*\"level\":\"6\".* 0\\.0\$"
	assert_line --regexp "^chainstore_leveldb_memory_bytes .* [0-9]+\\.0\$"
	# every line is a comment or a sample (grep finds no other: status 1),
	# and the file ends with a newline
	run -1 grep -cvE '^(# (HELP|TYPE) chainstore_[a-z_]+ .+|chainstore_[a-z_]+\{store="[^"]*"(,[a-z]+="[^"]*")*\} [0-9]+)$' m.prom
	assert_output 0
	[ "$(tail -c 1 m.prom | xxd -p)" = 0a ]
}

@test "cs-stat -f prometheus: a store path with quotes, backslashes and newlines is escaped" {
	dir=$BATS_TEST_TMPDIR/'we"ird\sto
re'
	run -0 cs-init -q -s "$dir"
	cs-stat -s "$dir" -f prometheus >m.prom
	run -0 prom m.prom
	assert_line "chainstore_entries $(jq -cn --arg s "$dir" '{store: $s}') 1.0"
}

@test "cs-stat: a store path that is not UTF-8 (byte ff) is valid UTF-8 in json, cbor and prometheus, U+FFFD for the byte" {
	dir=$BATS_TEST_TMPDIR/$(printf 'st\xffore\xc3')
	run -0 cs-init -q -s "$dir"
	# each output decodes as strict UTF-8; the store's name keeps its
	# valid bytes, with U+FFFD for each byte that is not UTF-8
	want=$BATS_TEST_TMPDIR/$'st\uFFFDore\uFFFD'
	cs-stat -s "$dir" -f json >s.json
	run -0 "$PY" -c 'import json, sys; print(json.loads(open(sys.argv[1], "rb").read().decode("utf-8", "strict"))["store"])' s.json
	assert_output "$want"
	cs-stat -s "$dir" -f cbor >s.cbor
	run -0 "$PY" -c 'import cbor2, sys; print(cbor2.loads(open(sys.argv[1], "rb").read())["store"])' s.cbor
	assert_output "$want"
	cs-stat -s "$dir" -f prometheus >m.prom
	run -0 "$PY" -c 'import sys; open(sys.argv[1], "rb").read().decode("utf-8", "strict")' m.prom
	run -0 prom m.prom
	assert_line "chainstore_entries $(jq -acn --arg s "$want" '{store: $s}') 1.0"
	# messages keep the bytes as they are
	run -66 --separate-stderr cs-stat -s "$dir/x"
	assert_err_equal "cs-stat: store '$dir/x' not found (create it with cs-init)"
}

@test "cs-stat -f prometheus: written atomically as the man page shows, for node_exporter" {
	init_mainnet_10k
	mkdir textfile
	run -0 sh -c 'cs-stat -f prometheus > textfile/chainstore.prom.$$ && mv textfile/chainstore.prom.$$ textfile/chainstore.prom'
	run -0 ls textfile
	assert_output chainstore.prom
	run -0 prom textfile/chainstore.prom
	assert_line --partial 'chainstore_main_chain_length'
}

@test "cs-stat -f text: key value lines, then LevelDB's table" {
	init_mainnet_10k
	run -0 --separate-stderr cs-stat -f text
	assert_err_empty
	assert_equal "$(awk '$1 == "entries" { print $2 }' <<<"$output")" 10237
	assert_equal "$(awk '$1 == "main_chain_length" { print $2 }' <<<"$output")" 10237
	assert_equal "$(awk '$1 == "tip_hash" { print $2 }' <<<"$output")" "$HASH_10236"
	assert_equal "$(awk '$1 == "network" { print $2 }' <<<"$output")" mainnet
	# before the empty line, every line is a key and a value
	run -0 awk 'NF == 0 { exit } NF != 2 { bad++ } END { print bad + 0 }' <<<"$output"
	assert_output 0
	run -0 cs-stat -f text
	assert_line --partial 'Compactions'
}

@test "cs-stat: CBOR by default when not a terminal; the tip hash in internal order" {
	init_mainnet_10k
	cs-stat >s.cbor
	run -0 cbor2json s.cbor
	assert_equal "${#lines[@]}" 1
	assert_json .entries 10237
	assert_json .tip_hash "$(reverse_hex "$HASH_10236")"
	assert_json '.leveldb.files_at_level | length' 7
	assert_json .opaque false
}

@test "cs-stat: an opaque store has no tip time" {
	z=$(printf '%064x' 0)
	echo "{\"hash\":\"$(printf '%064x' 16)\",\"prev\":\"$z\",\"header\":\"aa\"}" | cs-init -q --opaque -f json
	run -0 cs-stat -f json
	assert_json .network opaque
	assert_json .opaque true
	assert_json 'has("tip_time")' false
	assert_json .main_chain_length 1
	cs-stat -f prometheus >m.prom
	run -0 prom m.prom
	assert_line --partial '"profile":"opaque"'
	refute_line --partial chainstore_tip_timestamp_seconds
}

@test "cs-stat: missing store 66, busy 75, usage 64" {
	run -66 --separate-stderr cs-stat -f json
	assert_output ''
	assert_err_contains "cs-stat: store '$CS_STORE' not found"
	run -0 cs-init -q
	flock "$CS_STORE/lock" sleep 3 3>&- &
	wait_locked "$CS_STORE/lock"
	run -75 --separate-stderr cs-stat -w 0.2 -f json
	assert_output ''
	assert_err_contains 'cs-stat: store busy'
	wait
	run -64 --separate-stderr cs-stat -f hex
	assert_err_contains "unknown format 'hex'"
	run -64 --separate-stderr cs-stat extra
}

@test "cs-stat: a write error on standard output is 74" {
	[[ -w /dev/full ]] || skip "no /dev/full"
	init_mainnet_10k
	run -74 --separate-stderr bash -c 'cs-stat -f prometheus >/dev/full'
	assert_err_contains 'cs-stat: cannot write standard output'
}

@test "cs-stat: \$CS_FORMAT json is its default; hex, which it cannot print, falls back silently" {
	run -0 cs-init -q
	CS_FORMAT=json run -0 --separate-stderr cs-stat
	assert_err_empty
	assert_json .entries 1
	CS_FORMAT=hex cs-stat 2>err >hex.cbor
	[[ ! -s err ]]
	run -0 --separate-stderr cbor2json hex.cbor
	assert_json .entries 1
}

@test "cs-stat: pruneheight, as Bitcoin Core's getblockchaininfo: in json, text, cbor and prometheus" {
	run -0 cs-init -q
	run -0 cs-put -q -f blk "$BTCD_BLOCKS"
	# every body stored but the genesis's (cs-init keeps its header)
	run -0 cs-stat -f json
	assert_json '[.pruneheight, .bodies, .tip_height] | join(" ")' "1 255 255"
	# the bodies below 245 go: the last pruned is 244, "plus one"
	run -0 cs-prune -q --keep-bodies 10 --force
	run -0 cs-stat -f json
	assert_json '[.pruneheight, .pruned_bodies] | join(" ")' "245 244"
	run -0 cs-stat -f text
	assert_equal "$(awk '$1 == "pruneheight" { print $2 }' <<<"$output")" 245
	cs-stat -f cbor >s.cbor
	run -0 cbor2json s.cbor
	assert_json .pruneheight 245
	cs-stat -f prometheus >m.prom
	run -0 prom m.prom
	assert_line "chainstore_prune_height $(jq -cn --arg s "$CS_STORE" '{store: $s}') 245.0"
}

@test "cs-stat: pruneheight of a store of headers only is the tip's height + 1; of the btcd reorg, the fork's bodies do not count" {
	init_mainnet_10k
	run -0 cs-stat -f json
	assert_json '[.pruneheight, .tip_height, .bodies] | join(" ")' "10237 10236 0"
	cs-stat -f prometheus >m.prom
	run -0 prom m.prom
	assert_line "chainstore_prune_height $(jq -cn --arg s "$CS_STORE" '{store: $s}') 10237.0"
	rm -rf "$CS_STORE"
	# blk_0_to_4.dat holds the genesis block with its body: every main-chain
	# entry has one, from height 0
	run -0 cs-init -q
	run -0 cs-put -q -f blk "$REORG"/blk_0_to_4.dat "$REORG"/blk_3A.dat "$REORG"/blk_4A.dat "$REORG"/blk_5A.dat
	run -0 cs-stat -f json
	assert_json '[.pruneheight, .bodies] | join(" ")' "0 8"
	# main chain 0 1 2 3A 4A 5A: the bodies below 4 go (0, 1, 2, 3A), from
	# 4 on all are stored; the fork's 3 and 4 keep theirs and do not count
	run -0 cs-prune -q --keep-bodies 1 --force
	run -0 cs-stat -f json
	assert_json '[.pruneheight, .bodies, .pruned_bodies] | join(" ")' "4 4 4"
}
