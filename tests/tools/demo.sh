#!/bin/sh
# demo.sh - the main job end to end on real data: create a mainnet store,
# import the shipped real headers 0-10236 and the real blocks 1-255 (bodies),
# then print the tip and block 170 (the first payment) as JSON.
# Run by `make demo` from the repository root; the store is ./demo.cs.

set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
PATH="$root/bin:$PATH"
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
echo "\$ cs-tip -s $store -f text"
cs-tip -s "$store" -f text
echo "expected: tip 10236 000000004f74d42205b9d7ae1cb5c1591e723894a71358fce73b7e0919628161," \
    "chainwork 27fd27fd27fd (tests/data/README.md)"
