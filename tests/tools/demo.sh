#!/bin/sh
# demo.sh - the main job end to end on real data: create a mainnet store,
# import the shipped real headers 0-10236 and the real blocks 1-255 (bodies),
# then print the tip, block 170 and its first payment (through the
# transaction index), back the store up, check the backup, prune old bodies
# into an archive and bring them back, and print the store's statistics.
# Run by `make demo` from the repository root; the store is ./demo.cs and
# its backup ./demo.cs.backup.

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
echo "\$ cs-get -s $store -f text --tx f4184fc596403b9d638783cf57adfe4c75c605f6356fbc91338530e9831e9e16"
cs-get -s "$store" -f text --tx f4184fc596403b9d638783cf57adfe4c75c605f6356fbc91338530e9831e9e16
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
