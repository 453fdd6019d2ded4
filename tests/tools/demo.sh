#!/bin/sh
# demo.sh - the main job end to end on real data: create a mainnet store,
# import the shipped real headers 0-10236 and the real blocks 1-255 (bodies),
# then print the tip, block 170 and its first payment (through the
# transaction index) and a proof of that payment checked by a store of
# headers alone, back the store up, check the backup, prune old bodies
# into an archive and bring them back, and print the store's statistics;
# then a header Bitcoin Core rejects, rejected with Core's reason, and a
# store that starts at bitcoinj's checkpoint 822528 and takes the real
# headers to 830592.
# Run by `make demo` from the repository root; the store is ./demo.cs and
# its backup ./demo.cs.backup.

set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
PATH="$root/bin:$PATH"
# the output shown is each command's own default (cs(7) ENVIRONMENT)
unset CS_FORMAT
store=${DEMO_STORE:-demo.cs}
data=tests/data

rm -rf "$store"
echo "\$ cs-init -s $store"
cs-init -s "$store"
echo "\$ cs-put -s $store -f raw $data/mainnet/headers_0-10236.bin"
cs-put -s "$store" -f raw "$data/mainnet/headers_0-10236.bin"
echo "\$ cs-put -s $store -f blk $data/blocks/btcd_blocks_1-255.dat"
cs-put -s "$store" -f blk "$data/blocks/btcd_blocks_1-255.dat"
echo "\$ cs-tip -s $store -f json"
cs-tip -s "$store" -f json
echo "\$ cs-get -s $store -f json -n 170 --body | cut -c1-400"
cs-get -s "$store" -f json -n 170 --body | cut -c1-400
echo "\$ cs-get -s $store -f text --tx f4184fc596403b9d638783cf57adfe4c75c605f6356fbc91338530e9831e9e16"
cs-get -s "$store" -f text --tx f4184fc596403b9d638783cf57adfe4c75c605f6356fbc91338530e9831e9e16
light=$store.light
rm -rf "$light"
cs-init -q -s "$light"
cs-put -q -s "$light" -f raw "$data/mainnet/headers_0-10236.bin"
echo "\$ cs-get -s $store --proof f4184fc5...9e16 | cs-verify -s $light -f text   # $light: headers alone"
cs-get -s "$store" --proof f4184fc596403b9d638783cf57adfe4c75c605f6356fbc91338530e9831e9e16 |
	cs-verify -s "$light" -f text
rm -rf "$store.backup" "$store.archive"
echo "\$ cs-backup -s $store -v $store.backup && cs-backup -v --verify $store.backup"
cs-backup -s "$store" -v "$store.backup"
cs-backup -v --verify "$store.backup"
echo "\$ cs-prune -s $store -v --force --keep-bodies 100 --archive $store.archive"
cs-prune -s "$store" -v --force --keep-bodies 100 --archive "$store.archive"
echo "\$ cs-get -s $store -f text --body -n 100   # pruned: exit 1"
cs-get -s "$store" -f text --body -n 100 || echo "(exit $?)"
echo "\$ cs-put -s $store $store.archive   # the archive brings the bodies back"
cs-put -s "$store" "$store.archive"
echo "\$ cs-check -s $store -v"
cs-check -s "$store" -v
echo "\$ cs-stat -s $store -f text | head -12"
cs-stat -s "$store" -f text | head -12
echo "\$ cs-tip -s $store -f text"
cs-tip -s "$store" -f text
echo "expected: tip 10236 000000004f74d42205b9d7ae1cb5c1591e723894a71358fce73b7e0919628161," \
    "chainwork 27fd27fd27fd (tests/data/README.md)"

# Bitcoin Core's header rules: a regtest header of version 1 at height 1
# (mined here by python, apart from the code) is rejected with Core's reason.
reg=$store.regtest
rm -rf "$reg"
echo "\$ cs-init -s $reg --network regtest"
cs-init -s "$reg" --network regtest
echo "\$ tests/tools/mine-header.py <regtest genesis> 1 1296689202 207fffff | cs-put -s $reg -f raw   # exit 65"
python3 tests/tools/mine-header.py 0f9188f13cb7b2c71f2a335e3a4fc328bf5beb436012afca590b1a11466e2206 \
    1 1296689202 207fffff | cs-put -s "$reg" -f raw || echo "(exit $?)"

# A store that starts at bitcoinj's checkpoint 822528 (a line of its
# checkpoints file: base64 of chainwork, height and header), then the real
# headers to 830592 through four retargets.
cp=$store.checkpoint
rm -rf "$cp"
line=$(python3 -c 'import base64, csv
for r in csv.DictReader(open("tests/data/mainnet/checkpoints_bitcoinj.csv")):
    if r["height"] == "822528":
        print(base64.b64encode(bytes.fromhex(r["chainwork"])[-12:] + (822528).to_bytes(4, "big")
                               + bytes.fromhex(r["header_hex"])).decode())')
echo "\$ echo $line | cs-init -s $cp --network mainnet --checkpoint -"
echo "$line" | cs-init -s "$cp" --network mainnet --checkpoint -
echo "\$ cs-put -s $cp -f raw $data/mainnet/headers_822528-830592.bin"
cs-put -s "$cp" -f raw "$data/mainnet/headers_822528-830592.bin"
echo "\$ cs-tip -s $cp -f text && cs-check -s $cp -v"
cs-tip -s "$cp" -f text
cs-check -s "$cp" -v
echo "expected: tip 830592 00000000000000000000506183a8b30fa3224b85e82a70416e1d594bdb632fdb," \
    "chainwork 6a70fe70f2873330c7529db0 (tests/data/README.md)"

# The demo found the tools in ./bin; the README's pipelines name them bare.
echo
echo "The tools are in $root/bin. To run them by name, as README.md's pipelines do:"
echo "    export PATH=\"$root/bin:\$PATH\"    # in this shell"
echo "    make install PREFIX=~/.local    # for good, with man pages and completions (~/.local/bin on PATH)"
