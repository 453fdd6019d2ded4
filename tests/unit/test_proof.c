/*
 * test_proof.c - inclusion proofs (proof.h) on real blocks, on block 170's
 * payment built by hand from published values, on Bitcoin Core's
 * pmt_malleability vector, and against the two forgeries proof.h names.
 * Run from the repository root (or pass the blocks' directory).
 */
#include "block.h"
#include "exit.h"
#include "header.h"
#include "hex.h"
#include "proof.h"
#include "sha256.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"

static const char *data_dir = "tests/data/blocks";
static const uint8_t any_header[80];

static uint8_t *
load(const char *name, size_t *len)
{
	char path[4096];
	uint8_t *buf;
	long size;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", data_dir, name);
	if ((f = fopen(path, "rb")) == NULL || fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0) {
		printf("Bail out! cannot open '%s': %s\n", path, strerror(errno));
		exit(1);
	}
	if ((buf = malloc((size_t)size + 1)) == NULL || fread(buf, 1, (size_t)size, f) != (size_t)size) {
		printf("Bail out! cannot read '%s'\n", path);
		exit(1);
	}
	fclose(f);
	*len = (size_t)size;
	return buf;
}

static void
from_display(const char *hex, uint8_t out[32])
{
	if (cs_hash_from_display(hex, out) != 0) {
		printf("Bail out! bad hash '%s'\n", hex);
		exit(1);
	}
}

static bool
has(const struct cs_error *err, const char *text)
{
	if (strstr(err->message, text) != NULL)
		return true;
	printf("# message: %s\n", err->message);
	return false;
}

/* Whether a CMerkleBlock holds: it checks, reaches its header's merkle
 * root, and shows exactly txid at pos. */
static bool
holds(const uint8_t *p, size_t len, const uint8_t header[80], const uint8_t txid[32], uint32_t pos)
{
	struct cs_proof_checked c;
	struct cs_error err;
	bool ok;

	if (cs_proof_check_merkleblock(p, len, &c, &err) != 0)
		return false;
	ok = memcmp(c.header, header, 80) == 0 && memcmp(c.root, header + 36, 32) == 0 && c.count == 1 &&
	     c.matches[0].pos == pos && memcmp(c.matches[0].txid, txid, 32) == 0;
	cs_proof_checked_free(&c);
	return ok;
}

/* Block 170: the first payment (Satoshi to Hal Finney). Header, txids and
 * merkle root as every block explorer publishes them. */
static void
test_block_170(void)
{
	static const char header_hex[] =
	    "0100000055bd840a78798ad0da853f68974f3d183e2bd1db6a842c1feecf222a00000000ff104ccb05421ab93e63f8c3ce5c2"
	    "c2e9dbb37de2764b3a3175c8166562cac7d51b96a49ffff001d283e9e70";
	uint8_t proof[80 + 4 + 1 + 64 + 2], header[80], coinbase[32], payment[32], root[32], *p = proof;
	struct cs_proof_checked c;
	struct cs_error err;
	char hex[CS_HASH_HEX];

	cs_hex_decode(header_hex, 80, header);
	from_display("b1fea52486ce0c62bb442b530a3f0132b826c74e473d1f2c220bfa78111c5082", coinbase);
	from_display("f4184fc596403b9d638783cf57adfe4c75c605f6356fbc91338530e9831e9e16", payment);
	/* by hand: 2 transactions; root (bit 1), coinbase (bit 0, its hash),
	 * payment (bit 1, its hash): bits 101 = 0x05 */
	memcpy(p, header, 80);
	p += 80;
	memcpy(p, "\x02\x00\x00\x00\x02", 5);
	p += 5;
	memcpy(p, coinbase, 32);
	memcpy(p + 32, payment, 32);
	p += 64;
	memcpy(p, "\x01\x05", 2);
	check(holds(proof, sizeof(proof), header, payment, 1), "block 170: the hand-made proof of the payment holds");
	cs_proof_check_merkleblock(proof, sizeof(proof), &c, &err);
	cs_hash_to_display(c.root, hex);
	check(strcmp(hex, "7dac2c5666815c17a3b36427de37bb9d2e2c5ccec3f8633eb91a4205cb4c10ff") == 0,
	    "block 170: it reaches the published merkle root");
	cs_proof_checked_free(&c);
	check(cs_proof_fold_branch(payment, 1, (const uint8_t(*)[32])coinbase, 1, root, &err) == 0 &&
	          memcmp(root, header + 36, 32) == 0,
	    "block 170: the Electrum branch [coinbase] at pos 1 reaches the root");
	check(cs_proof_fold_branch(payment, 0, (const uint8_t(*)[32])coinbase, 1, root, &err) == 0 &&
	          memcmp(root, header + 36, 32) != 0,
	    "block 170: at pos 0 it does not");
	proof[84] = 0x03; /* three hashes declared, two there */
	check(cs_proof_check_merkleblock(proof, sizeof(proof), &c, &err) == CS_EX_DATAERR &&
	          has(&err, "more than its 2 transactions"),
	    "block 170: more hashes than transactions is refused");
}

static void
test_real_block(const char *file, uint32_t want_ntx)
{
	struct cs_merkle_tree tree;
	struct {
		uint8_t (*v)[32];
		uint32_t n;
	} t = { 0 };
	struct cs_error err;
	uint8_t *block, *p, branch[CS_PROOF_DEPTH_MAX][32], root[32];
	size_t len, plen;
	uint32_t ntx, branches_ok = 0, proofs_ok = 0, *every7;
	size_t n7 = 0;
	bool flips_fail = true;

	block = load(file, &len);
	if (cs_block_parse(block + 80, len - 80, block + 36, &ntx, NULL, NULL, &err) != 0 ||
	    cs_block_txids(block + 80, len - 80, &t.v, &t.n, &err) != 0 || t.n != ntx) {
		printf("Bail out! %s does not parse\n", file);
		exit(1);
	}
	check(ntx == want_ntx && cs_merkle_tree_build(&tree, (const uint8_t(*)[32])t.v, ntx, &err) == 0 &&
	          memcmp(cs_merkle_tree_root(&tree), block + 36, 32) == 0,
	    "%s: the tree of its %u transactions has the header's root", file, want_ntx);
	for (uint32_t i = 0; i < ntx; i++) {
		unsigned depth = cs_merkle_tree_branch(&tree, i, branch);

		if (cs_proof_fold_branch(t.v[i], i, (const uint8_t(*)[32])branch, depth, root, &err) == 0 &&
		    memcmp(root, block + 36, 32) == 0)
			branches_ok++;
		if (cs_proof_merkleblock(&tree, block, &i, 1, &p, &plen, &err) == 0 && holds(p, plen, block, t.v[i], i))
			proofs_ok++;
		free(p);
	}
	check(branches_ok == ntx, "%s: every transaction's branch reaches the root (%u of %u)", file, branches_ok,
	    ntx);
	check(proofs_ok == ntx, "%s: every transaction's CMerkleBlock holds (%u of %u)", file, proofs_ok, ntx);

	/* one proof of every seventh transaction, asked in reverse order */
	every7 = malloc((ntx / 7 + 1) * sizeof(*every7));
	for (uint32_t i = ntx; i-- > 0;)
		if (i % 7 == 0)
			every7[n7++] = i;
	{
		struct cs_proof_checked c;
		bool ok = cs_proof_merkleblock(&tree, block, every7, n7, &p, &plen, &err) == 0 &&
		          cs_proof_check_merkleblock(p, plen, &c, &err) == 0 && c.count == n7 &&
		          memcmp(c.root, block + 36, 32) == 0;

		for (size_t k = 0; ok && k < c.count; k++)
			ok = c.matches[k].pos == 7 * k && memcmp(c.matches[k].txid, t.v[7 * k], 32) == 0;
		check(ok, "%s: one proof of %zu transactions shows them all, in block order", file, n7);
		if (ok)
			cs_proof_checked_free(&c);
		free(p);
	}
	free(every7);

	/* Every bit of one proof flipped: it no longer holds, but for bits of
	 * the transaction count that leave the proven path's shape as it was.
	 * The root does not cover the count (Core's verifytxoutproof takes
	 * those too); such a flip still shows the same transaction at the
	 * same position, and cs-verify compares the count where the store
	 * holds the body. */
	{
		uint32_t pos = ntx / 2;
		size_t count_flips = 0;

		cs_proof_merkleblock(&tree, block, &pos, 1, &p, &plen, &err);
		for (size_t bit = 0; bit < 8 * plen; bit++) {
			bool in_count = bit / 8 >= 80 && bit / 8 < 84;

			p[bit / 8] ^= (uint8_t)(1u << (bit % 8));
			if (holds(p, plen, block, t.v[pos], pos)) {
				if (in_count)
					count_flips++;
				else
					flips_fail = false;
			}
			p[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		}
		check(flips_fail && holds(p, plen, block, t.v[pos], pos),
		    "%s: each of the %zu bits of a proof flipped, it fails or shows the same (%zu of the count's 32 "
		    "bits)",
		    file, 8 * plen, count_flips);
		free(p);
	}
	cs_merkle_tree_free(&tree);
	free(t.v);
	free(block);
}

/* A hash from a small integer, as Core's ArithToUint256(n). */
static void
small_hash(uint8_t out[32], unsigned n)
{
	memset(out, 0, 32);
	out[0] = (uint8_t)n;
}

/* Core's pmt_tests.cpp pmt_malleability: txids 1..10 then 9, 10 again; a
 * tree of 12 leaves has the root of the first 10 (CVE-2012-2459). A proof
 * matching the repeated 10 must be refused. */
static void
test_malleability(void)
{
	uint8_t txids[12][32], branch[CS_PROOF_DEPTH_MAX][32], root[32], *p;
	struct cs_merkle_tree ten, twelve;
	struct cs_proof_checked c;
	struct cs_error err;
	uint32_t pos = 11;
	unsigned depth;
	size_t len;

	for (unsigned i = 0; i < 10; i++)
		small_hash(txids[i], i + 1);
	small_hash(txids[10], 9);
	small_hash(txids[11], 10);
	cs_merkle_tree_build(&ten, (const uint8_t(*)[32])txids, 10, &err);
	cs_merkle_tree_build(&twelve, (const uint8_t(*)[32])txids, 12, &err);
	check(memcmp(cs_merkle_tree_root(&ten), cs_merkle_tree_root(&twelve), 32) == 0,
	    "malleability: 10 and 12 leaves share a root");
	cs_proof_merkleblock(&twelve, any_header, &pos, 1, &p, &len, &err);
	check(cs_proof_check_merkleblock(p, len, &c, &err) == CS_EX_DATAERR && has(&err, "CVE-2012-2459"),
	    "malleability: a CMerkleBlock of the repeated leaf is refused, naming CVE-2012-2459");
	free(p);
	depth = cs_merkle_tree_branch(&twelve, 11, branch);
	check(cs_proof_fold_branch(txids[11], 11, (const uint8_t(*)[32])branch, depth, root, &err) == CS_EX_DATAERR &&
	          has(&err, "two equal siblings at level 1"),
	    "malleability: the Electrum branch of the repeated leaf is refused");
	depth = cs_merkle_tree_branch(&ten, 9, branch);
	check(cs_proof_fold_branch(txids[9], 9, (const uint8_t(*)[32])branch, depth, root, &err) == 0 &&
	          memcmp(root, cs_merkle_tree_root(&ten), 32) == 0,
	    "malleability: the real leaf 10, whose sibling is itself, holds");
	cs_merkle_tree_free(&ten);
	cs_merkle_tree_free(&twelve);
}

/* A 64-byte transaction whose two halves pose as txids. */
static void
test_inner_node_transaction(void)
{
	uint8_t tx[64] = { 0 }, txids[2][32], fake_branch[2][32], root[32], *p;
	struct cs_merkle_tree tree, fake;
	struct cs_proof_checked c;
	struct cs_error err;
	uint8_t fake_leaves[4][32];
	uint32_t pos = 3;
	size_t len;

	/* version 1, one input (outpoint, 2-byte script, sequence), one
	 * output (value, 2-byte script), locktime: 64 bytes */
	tx[0] = 1;
	tx[4] = 1;
	memset(tx + 5, 0xab, 36);
	tx[41] = 2;
	tx[42] = 0x51;
	tx[43] = 0x51;
	memset(tx + 44, 0xff, 4);
	tx[48] = 1;
	tx[57] = 2;
	tx[58] = 0x6a;
	tx[59] = 0x00;
	check(cs_tx_whole(tx, sizeof(tx)), "the 64 bytes parse as a transaction");
	small_hash(txids[0], 7);
	cs_sha256d(tx, sizeof(tx), txids[1]);
	cs_merkle_tree_build(&tree, (const uint8_t(*)[32])txids, 2, &err);

	/* claim the tx's second half is a txid at pos 3 of a 4-leaf tree */
	memcpy(fake_branch[0], tx, 32);
	memcpy(fake_branch[1], txids[0], 32);
	check(cs_proof_fold_branch(tx + 32, 3, (const uint8_t(*)[32])fake_branch, 2, root, &err) == CS_EX_DATAERR &&
	          has(&err, "64-byte transaction"),
	    "inner node: an Electrum branch through a 64-byte transaction is refused");
	/* without the check it would reach the real root */
	{
		uint8_t node[32], both[64];

		cs_merkle_pair(tx, tx + 32, node);
		memcpy(both, txids[0], 32);
		memcpy(both + 32, node, 32);
		cs_sha256d(both, 64, root);
		check(memcmp(root, cs_merkle_tree_root(&tree), 32) == 0, "inner node: the forgery reaches the real root");
	}
	memcpy(fake_leaves[0], txids[0], 32);
	memcpy(fake_leaves[1], txids[0], 32);
	memcpy(fake_leaves[2], tx, 32);
	memcpy(fake_leaves[3], tx + 32, 32);
	cs_merkle_tree_build(&fake, (const uint8_t(*)[32])fake_leaves, 4, &err);
	cs_proof_merkleblock(&fake, any_header, &pos, 1, &p, &len, &err);
	check(cs_proof_check_merkleblock(p, len, &c, &err) == CS_EX_DATAERR && has(&err, "64-byte transaction"),
	    "inner node: a CMerkleBlock through it is refused");
	free(p);
	cs_merkle_tree_free(&fake);
	cs_merkle_tree_free(&tree);
}

static void
test_bounds(void)
{
	uint8_t p[80 + 4 + 3 + 64 + 3 + 8] = { 0 }, branch[16][32] = { { 0 } }, root[32], txid[32] = { 1 };
	struct cs_proof_checked c;
	struct cs_error err;
	size_t size;

	check(cs_proof_check_merkleblock(p, 84, &c, &err) == CS_EX_DATAERR && has(&err, "no transactions"),
	    "bounds: a count of 0 transactions");
	memcpy(p + 80, "\x1b\x41\x00\x00", 4); /* 16667 */
	check(cs_proof_check_merkleblock(p, 84, &c, &err) == CS_EX_DATAERR && has(&err, "16667 transactions"),
	    "bounds: 16667 transactions is beyond Core's bound");
	memcpy(p + 80, "\x02\x00\x00\x00\xff\xff\xff\xff\xff\xff\xff\xff\xff", 13);
	check(cs_proof_check_merkleblock(p, 93, &c, &err) == CS_EX_DATAERR &&
	          has(&err, "declares 18446744073709551615 hashes"),
	    "bounds: a 2^64 - 1 hash count, refused before anything is allocated");
	memcpy(p + 80, "\x02\x00\x00\x00\x01", 5);
	check(cs_proof_merkleblock_size(p, 90, &size, &err) == 1, "bounds: size needs the bytes up to the flag count");
	check(cs_proof_check_merkleblock(p, 90, &c, &err) == CS_EX_DATAERR && has(&err, "truncated"),
	    "bounds: a truncated proof");
	p[80 + 5 + 32] = 0xfd;
	p[80 + 5 + 33] = 0xff;
	p[80 + 5 + 34] = 0xff;
	check(cs_proof_check_merkleblock(p, 80 + 5 + 35, &c, &err) == CS_EX_DATAERR && has(&err, "65535 flag bytes"),
	    "bounds: more flag bytes than a tree has");
	/* 2 transactions, 2 hashes, bits 101 then a stray byte */
	memcpy(p + 80, "\x02\x00\x00\x00\x02", 5);
	memset(p + 85, 0x11, 32);
	memset(p + 117, 0x22, 32);
	memcpy(p + 149, "\x02\x05\x00", 3);
	check(cs_proof_check_merkleblock(p, 152, &c, &err) == CS_EX_DATAERR && has(&err, "flag bytes left over"),
	    "bounds: flag bytes left over");
	memcpy(p + 149, "\x01\x05", 2);
	check(cs_proof_check_merkleblock(p, 152, &c, &err) == CS_EX_DATAERR && has(&err, "1 bytes after"),
	    "bounds: bytes after the proof");
	check(cs_proof_check_merkleblock(p, 151, &c, &err) == 0 && c.count == 1 && c.matches[0].pos == 1,
	    "bounds: the well-formed one checks");
	cs_proof_checked_free(&c);
	memcpy(p + 149, "\x01\x00", 2); /* the root alone: a hash left over */
	check(cs_proof_check_merkleblock(p, 151, &c, &err) == CS_EX_DATAERR && has(&err, "1 hash left over"),
	    "bounds: a hash left over");
	memcpy(p + 149, "\x01\x03", 2); /* root, left matched, right's bit 0: a hash, but no match on right... */
	check(cs_proof_check_merkleblock(p, 151, &c, &err) == 0 && c.count == 1 && c.matches[0].pos == 0,
	    "bounds: bits 110 match the left leaf");
	cs_proof_checked_free(&c);
	memcpy(p + 80, "\x02\x00\x00\x00\x01", 5);
	memcpy(p + 117, "\x01\x00", 2);
	check(cs_proof_check_merkleblock(p, 119, &c, &err) == CS_EX_DATAERR && has(&err, "matches no transaction"),
	    "bounds: a proof of no transaction");
	memcpy(p + 117, "\x01\x01", 2);
	check(cs_proof_check_merkleblock(p, 119, &c, &err) == CS_EX_DATAERR && has(&err, "hashes run out"),
	    "bounds: hashes that run out");
	check(cs_proof_fold_branch(txid, 0, (const uint8_t(*)[32])branch, 16, root, &err) == CS_EX_DATAERR &&
	          has(&err, "longer than a block's tree"),
	    "bounds: a branch of 16 hashes");
	check(cs_proof_fold_branch(txid, 4, (const uint8_t(*)[32])branch, 2, root, &err) == CS_EX_DATAERR &&
	          has(&err, "pos 4 is beyond"),
	    "bounds: a pos the branch cannot reach");
	check(cs_proof_fold_branch(txid, UINT64_C(1) << 32, (const uint8_t(*)[32])branch, 15, root, &err) ==
	              CS_EX_DATAERR,
	    "bounds: pos 2^32");
	check(cs_proof_fold_branch(txid, 0, NULL, 0, root, &err) == 0 && memcmp(root, txid, 32) == 0,
	    "bounds: a block of one transaction: the txid is the root");
}

int
main(int argc, char *argv[])
{
	if (argc > 1)
		data_dir = argv[1];
	test_block_170();
	test_real_block("block_413567.raw", 1557);
	test_real_block("block_367891.raw", 420);
	test_real_block("block_866342.raw", 4864);
	test_real_block("block_277647.raw", 213);
	test_malleability();
	test_inner_node_transaction();
	test_bounds();
	printf("1..%u\n", tests_run);
	return tests_failed == 0 ? 0 : 1;
}
