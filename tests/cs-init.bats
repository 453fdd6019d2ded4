#!/usr/bin/env bats
# cs-init: create a store with its network's genesis.
# Genesis hashes: Bitcoin Core chainparams (tests/data/expected_values.csv).

load test_helper

setup() {
	common_setup
}

# check_genesis NET HASH CHAINWORK: `cs-init --network NET` makes a store
# whose tip is the genesis HASH at height 0 with CHAINWORK.
check_genesis() {
	run -0 --separate-stderr cs-init --network "$1"
	assert_err_equal "cs-init: created $1 store '$CS_STORE' (genesis $2)"
	assert_output ''
	[[ -e $CS_STORE/lock ]]
	run -0 cs-tip -f json
	assert_json .hash "$2"
	assert_json .height 0
	assert_json .status main
	assert_json .chainwork "$3"
	# the header it keeps really hashes to the published genesis hash
	run display_hash_of_hex "$(cs-tip -f json | jq -r .header)"
	assert_output "$2"
}

@test "cs-init --network mainnet: genesis 000000000019d6...e26f" {
	check_genesis mainnet "$GENESIS_MAINNET" "$CW_GENESIS"
	# the genesis header is the first header of the shipped mainnet file
	run -0 cs-tip -f hex
	assert_output "$(header_hex "$MAINNET" 0)"
}

@test "cs-init --network testnet3: genesis 000000000933ea...4943" {
	check_genesis testnet3 "$GENESIS_TESTNET3" "$CW_GENESIS"
	run -0 cs-tip -f hex
	assert_output "$(header_hex "$TESTNET3" 0)"
}

@test "cs-init --network testnet4: genesis 00000000da84f2...f043" {
	check_genesis testnet4 "$GENESIS_TESTNET4" "$CW_GENESIS"
}

@test "cs-init --network signet: genesis 00000008819873...1ef6" {
	# signet h=1 has chainwork 0x93a828 with the same bits as genesis: half is the genesis's
	check_genesis signet "$GENESIS_SIGNET" 000000000000000000000000000000000000000000000000000000000049d414
	run -0 cs-tip -f hex
	assert_output "$(header_hex "$SIGNET" 0)"
}

@test "cs-init --network regtest: genesis 0f9188f13cb7b2...2206" {
	# bits 207fffff: work = floor(2^256 / (0x7fffff * 2^232 + 1)) = 2, as Core's regtest reports
	check_genesis regtest "$GENESIS_REGTEST" 0000000000000000000000000000000000000000000000000000000000000002
}

@test "cs-init: mainnet is the default network" {
	run -0 --separate-stderr cs-init
	assert_err_equal "cs-init: created mainnet store '$CS_STORE' (genesis $GENESIS_MAINNET)"
	run -0 cs-tip -f json
	assert_json .hash "$GENESIS_MAINNET"
}

@test "cs-init: -s beats \$CS_STORE, which beats ./chainstore" {
	run -0 cs-init -q -s "$BATS_TEST_TMPDIR/explicit"
	[[ -d $BATS_TEST_TMPDIR/explicit ]]
	[[ ! -e $CS_STORE ]]
	run -0 cs-init -q --store "$BATS_TEST_TMPDIR/long"
	[[ -d $BATS_TEST_TMPDIR/long ]]
	run -0 cs-init -q
	[[ -d $CS_STORE ]]
	run -0 env -u CS_STORE cs-init -q
	[[ -d $BATS_TEST_TMPDIR/chainstore ]]
	run -0 env -u CS_STORE cs-tip -f json
	assert_json .hash "$GENESIS_MAINNET"
}

@test "cs-init: the store keeps LevelDB in a subdirectory, apart from lock" {
	run -0 cs-init -q
	[[ -e $CS_STORE/lock ]]
	[[ ! -e $CS_STORE/LOCK ]]
}

@test "cs-init: -q is silent" {
	run -0 --separate-stderr cs-init -q --network signet
	assert_output ''
	assert_err_empty
}

@test "cs-init: twice on the same network is a no-op (exit 0)" {
	run -0 cs-init -q
	run -0 cs-put -q -f raw <(headers "$MAINNET" 0 10)
	run -0 --separate-stderr cs-init
	assert_err_equal "cs-init: '$CS_STORE' is already a mainnet store"
	assert_output ''
	run -0 --separate-stderr cs-init --network mainnet
	run -0 cs-tip -f json
	assert_json .height 10
	assert_json .hash "$(display_hash_of_hex "$(header_hex "$MAINNET" 10)")"
}

@test "cs-init: on a store of another network: 65, store unchanged" {
	run -0 cs-init -q
	run -0 cs-put -q -f raw <(headers "$MAINNET" 0 10)
	before=$(store_dump)
	run -65 --separate-stderr cs-init --network testnet3
	assert_err_equal "cs-init: '$CS_STORE' is a mainnet store, not testnet3"
	assert_output ''
	run -65 cs-init --network regtest
	run -65 cs-init --genesis "$(header_hex "$SIGNET" 0)"
	assert_equal "$(store_dump)" "$before"
	run -0 cs-tip -f json
	assert_json .height 10
}

@test "cs-init: a testnet3 store refuses mainnet" {
	run -0 cs-init -q --network testnet3
	run -65 --separate-stderr cs-init
	assert_err_equal "cs-init: '$CS_STORE' is a testnet3 store, not mainnet"
	run -0 cs-tip -f json
	assert_json .hash "$GENESIS_TESTNET3"
}

@test "cs-init --network: Bitcoin Core's names main, test and testnet" {
	run -0 --separate-stderr cs-init -s m --network main
	assert_err_equal "cs-init: created mainnet store 'm' (genesis $GENESIS_MAINNET)"
	run -0 --separate-stderr cs-init -s t --network test
	assert_err_equal "cs-init: created testnet3 store 't' (genesis $GENESIS_TESTNET3)"
	# the store records the network's own name: the alias is the same network
	run -0 --separate-stderr cs-init -s t --network testnet
	assert_err_equal "cs-init: 't' is already a testnet3 store"
	run -0 --separate-stderr cs-init -s t --network testnet3
	run -65 --separate-stderr cs-init -s m --network testnet
	assert_err_equal "cs-init: 'm' is a mainnet store, not testnet3"
}

@test "cs-init: unknown network: 64, no store made" {
	run -64 --separate-stderr cs-init --network bogusnet
	assert_err_contains 'bogusnet'
	assert_output ''
	[[ ! -e $CS_STORE ]]
}

@test "cs-init: --network and --genesis together: 64" {
	run -64 cs-init --network signet --genesis "$(header_hex "$SIGNET" 0)"
	[[ ! -e $CS_STORE ]]
}

@test "cs-init --genesis HEX: a custom chain from the signet genesis" {
	run -0 --separate-stderr cs-init --genesis "$(header_hex "$SIGNET" 0)"
	assert_err_equal "cs-init: created custom store '$CS_STORE' (genesis $GENESIS_SIGNET)"
	run -0 cs-tip -f json
	assert_json .hash "$GENESIS_SIGNET"
	assert_json .height 0
	# pow limit = the genesis's own target, which every signet header 1..2015 meets
	run -0 cs-put -q -f raw <(headers "$SIGNET" 1 2015)
	run -0 cs-tip -f json
	assert_json .hash "$SIGNET_HASH_2015"
	assert_json .chainwork "$SIGNET_CW_2015"
	# the same genesis again is the same chain
	run -0 cs-init -q --genesis "$(header_hex "$SIGNET" 0)"
	# a different genesis is not
	run -65 cs-init -q --genesis "$(header_hex "$MAINNET" 0)"
}

@test "cs-init --genesis: bad hex is bad input (65)" {
	good=$(header_hex "$SIGNET" 0)
	run -65 --separate-stderr cs-init --genesis "${good:0:158}"
	assert_output ''
	[[ $stderr == cs-init:* ]]
	run -65 cs-init --genesis "${good}00"
	run -65 cs-init --genesis "g${good:1}"
	run -65 cs-init --genesis ''
	run -66 cs-tip -f json
}

@test "cs-init --genesis: a genesis failing its own proof of work: 65" {
	bad=$(headers "$SIGNET" 0 0 | flip_nonce | xxd -p -c 80)
	run -65 --separate-stderr cs-init --genesis "$bad"
	assert_err_contains 'proof of work'
}

@test "cs-init: parent directory missing: 73" {
	run -73 --separate-stderr cs-init -s "$BATS_TEST_TMPDIR/no/such/dir/store"
	assert_err_contains "$BATS_TEST_TMPDIR/no/such/dir/store"
	assert_output ''
	[[ ! -e $BATS_TEST_TMPDIR/no ]]
}

# no_temporary_left: no hidden directory of a cs-init beside the store or
# inside it.
no_temporary_left() {
	local left
	left=$(find "$BATS_TEST_TMPDIR" -maxdepth 2 -name '.*cs-init-*')
	[[ -z $left ]] || fail "left behind: $left"
}

@test "cs-init: into an empty directory, which then holds the store" {
	mkdir "$CS_STORE"
	run -0 --separate-stderr cs-init --network regtest
	assert_err_equal "cs-init: created regtest store '$CS_STORE' (genesis $GENESIS_REGTEST)"
	[[ -d $CS_STORE/db && -e $CS_STORE/lock ]]
	run -0 cs-check
	no_temporary_left
}

@test "cs-init: into a directory that holds other things: 73, left as it was" {
	mkdir "$CS_STORE"
	echo keep >"$CS_STORE/notes.txt"
	run -73 --separate-stderr cs-init
	assert_err_equal "cs-init: cannot create store '$CS_STORE': a directory that is not empty and not a store"
	assert_output ''
	run -0 ls -A "$CS_STORE"
	assert_output notes.txt
	no_temporary_left
	# a hidden file is something too
	rm "$CS_STORE/notes.txt"
	touch "$CS_STORE/.profile"
	run -73 --separate-stderr cs-init -q
	assert_err_equal "cs-init: cannot create store '$CS_STORE': a directory that is not empty and not a store"
}

@test "cs-init: a directory holding only a lock file or lost+found (a mount point) is taken" {
	mkdir -p "$CS_STORE/lost+found"
	touch "$CS_STORE/lock"
	run -0 --separate-stderr cs-init --network regtest
	assert_err_equal "cs-init: created regtest store '$CS_STORE' (genesis $GENESIS_REGTEST)"
	[[ -d $CS_STORE/db && -d $CS_STORE/lost+found ]]
	# a store already: the same network is a no-op, as ever
	run -0 --separate-stderr cs-init --network regtest
	assert_err_equal "cs-init: '$CS_STORE' is already a regtest store"
	no_temporary_left
}

@test "cs-init: a file in the way: 73, left as it was" {
	echo keep >"$CS_STORE"
	run -73 --separate-stderr cs-init
	assert_err_equal "cs-init: cannot create store '$CS_STORE': Not a directory"
	[[ $(cat "$CS_STORE") == keep ]]
	no_temporary_left
}

@test "cs-init: the temporary directory a killed cs-init left is removed by the next" {
	local host dead
	host=$(hostname | tr -c 'a-zA-Z0-9.\n' _)
	sh -c 'exit 0' &
	dead=$!
	wait "$dead"
	# a half-built store beside the name, and one inside an empty directory
	mkdir -p ".store.cs-init-$dead-$host-AbC123/db" "other/.cs-init-$dead-$host-XyZ789/db"
	touch ".store.cs-init-$dead-$host-AbC123/db/MANIFEST-000001" "other/.cs-init-$dead-$host-XyZ789/lock"
	# one of a live process is left alone
	mkdir ".store.cs-init-$$-$host-LiVe00"
	run -0 cs-init -q
	run -0 cs-init -q -s other
	[[ ! -e .store.cs-init-$dead-$host-AbC123 && ! -e other/.cs-init-$dead-$host-XyZ789 ]]
	[[ -d .store.cs-init-$$-$host-LiVe00 ]]
	rmdir ".store.cs-init-$$-$host-LiVe00"
	no_temporary_left
	run -0 cs-check
	run -0 cs-check -s other
	# and by a cs-init that finds the store made (a no-op)
	mkdir ".store.cs-init-$dead-$host-AgAin0" "$CS_STORE/.cs-init-$dead-$host-AgAin0"
	run -0 cs-init -q
	no_temporary_left
}

@test "cs-init: a dangling symbolic link in the way: 73, left as it was" {
	ln -s "$BATS_TEST_TMPDIR/nowhere" "$CS_STORE"
	run -73 --separate-stderr cs-init
	assert_err_equal "cs-init: cannot create store '$CS_STORE': No such file or directory"
	[[ -L $CS_STORE && ! -e $BATS_TEST_TMPDIR/nowhere ]]
	no_temporary_left
}

@test "cs-init: too few file descriptors (ulimit -n 6): 73, nothing left behind" {
	run -73 --separate-stderr bash -c 'ulimit -n 6 && exec cs-init'
	assert_err_regex "^cs-init: cannot create store '$CS_STORE': IO error: .*: Too many open files\$"
	[[ ! -e $CS_STORE ]]
	no_temporary_left
	run -66 --separate-stderr cs-tip
	assert_err_equal "cs-tip: store '$CS_STORE' not found (create it with cs-init)"
	# the same into an empty directory: it stays empty
	mkdir "$CS_STORE"
	run -73 bash -c 'ulimit -n 6 && exec cs-init'
	run -0 find "$CS_STORE" -mindepth 1
	assert_output ''
	run -0 cs-init -q
	run -0 cs-check
}

@test "cs-init -h: usage on stdout, exit 0" {
	run -0 --separate-stderr cs-init -h
	assert_output --regexp '^usage: cs-init '
	assert_output --partial '--network'
	assert_err_empty
	run -0 --separate-stderr cs-init --help
	assert_output --regexp '^usage: cs-init '
	[[ ! -e $CS_STORE ]]
}

@test "cs-init -V: version on stdout, exit 0" {
	run -0 --separate-stderr cs-init -V
	assert_output --regexp '^cs-init [0-9]+\.[0-9]+\.[0-9]+$'
	assert_err_empty
	run -0 cs-init --version
	assert_output --regexp '^cs-init [0-9]+\.[0-9]+\.[0-9]+$'
	[[ ! -e $CS_STORE ]]
}

@test "cs-init: unknown option: 64, usage on stderr" {
	run -64 --separate-stderr cs-init --no-such-option
	assert_output ''
	assert_err_contains 'usage: cs-init'
	run -64 cs-init -Z
	run -64 cs-init extra-argument
	[[ ! -e $CS_STORE ]]
}
