/*
 * proof.h - transaction inclusion proofs, made from a block's transactions
 * and checked against a merkle root, in the two forms light clients use:
 *
 *  - Bitcoin Core's CMerkleBlock (gettxoutproof, verifytxoutproof): the
 *    80-byte header, the block's transaction count (uint32, little-endian),
 *    a CompactSize count of 32-byte hashes and the hashes, a CompactSize
 *    count of flag bytes and the bytes (bits least significant first). The
 *    hashes and bits walk the merkle tree depth first, as Core's
 *    CPartialMerkleTree: one bit a node visited (1: an ancestor of a
 *    matched transaction, or the match itself), one hash a node not
 *    descended into.
 *  - Electrum's branch (blockchain.transaction.get_merkle): a txid, its
 *    position in the block and the sibling hash at each level of the tree,
 *    the leaf's level first.
 *
 * Contract: checking trusts no declared count. A CMerkleBlock's counts are
 * checked against the bytes present and against Core's bounds before
 * anything is allocated; a branch is at most CS_PROOF_DEPTH_MAX hashes.
 * A proof is false (CS_EX_DATAERR, with a message saying why and where)
 * when, besides not reaching the root:
 *  - two siblings are equal where the right one is a real node: the
 *    duplicated-hash trick of CVE-2012-2459 (a tree whose last transactions
 *    are repeated has the root of the tree without them, so the repeat
 *    would "prove" a position the block does not have); Core's
 *    CPartialMerkleTree refuses the same;
 *  - an inner node on the proven path (the 64 bytes of its two children)
 *    is itself a transaction: a block holding such a 64-byte transaction
 *    lets a proof descend through it as if its two halves were txids, and
 *    "prove" a transaction that is not there. No honest proof meets this
 *    (the chance that 64 random bytes form a transaction is below 2^-35);
 *    Electrum's verifier refuses the same.
 * Nothing here touches a store or blocks. Errors follow error.h.
 */
#ifndef CS_PROOF_H
#define CS_PROOF_H

#include "error.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Core's bound on a proof's transaction count: MAX_BLOCK_WEIGHT /
 * MIN_TRANSACTION_WEIGHT (4,000,000 / 240). */
#define CS_PROOF_TX_MAX 16666
/* The height of a tree of CS_PROOF_TX_MAX leaves: the longest branch. */
#define CS_PROOF_DEPTH_MAX 15
/* A partial tree visits at most 2 * CS_PROOF_TX_MAX - 1 nodes, one bit each. */
#define CS_PROOF_FLAG_BYTES_MAX ((2 * CS_PROOF_TX_MAX - 1 + 7) / 8)
/* The longest CMerkleBlock: header, count, every hash, every bit. */
#define CS_PROOF_BYTES_MAX (80 + 4 + 3 + 32 * CS_PROOF_TX_MAX + 3 + CS_PROOF_FLAG_BYTES_MAX)

/* A block's merkle tree, every level kept: what proofs are cut from. */
struct cs_merkle_tree {
	uint32_t ntx;
	unsigned height;                      /* levels above the leaves */
	uint8_t (*nodes)[32];                 /* level 0 (the txids), then 1, ... */
	size_t start[CS_PROOF_DEPTH_MAX + 2]; /* each level's first node */
};

/* Builds the tree of ntx txids (internal byte order, block order). A block
 * of more than CS_PROOF_TX_MAX transactions has no proof Core would check:
 * CS_EX_DATAERR. */
int cs_merkle_tree_build(struct cs_merkle_tree *t, const uint8_t (*txids)[32], uint32_t ntx,
    struct cs_error *err);
void cs_merkle_tree_free(struct cs_merkle_tree *t);
const uint8_t *cs_merkle_tree_root(const struct cs_merkle_tree *t);

/* The Electrum branch of the leaf at pos (< t->ntx): t->height hashes into
 * branch, the leaf's sibling first. Returns t->height. */
unsigned cs_merkle_tree_branch(const struct cs_merkle_tree *t, uint32_t pos, uint8_t branch[][32]);

/* The CMerkleBlock of header matching the leaves at pos[0..n) (each below
 * t->ntx; any order, repeats allowed), into a malloc'd *out of *len bytes. */
int cs_proof_merkleblock(const struct cs_merkle_tree *t, const uint8_t header[80], const uint32_t *pos, size_t n,
    uint8_t **out, size_t *len, struct cs_error *err);

/* The length of the CMerkleBlock that starts data[0..len): 0 and *size
 * when its counts are there (the bytes they declare may not be yet), 1
 * when more bytes are needed to tell, CS_EX_DATAERR when a count is beyond
 * Core's bounds. */
int cs_proof_merkleblock_size(const uint8_t *data, size_t len, size_t *size, struct cs_error *err);

/* One transaction a proof shows: its txid and its position in the block. */
struct cs_proof_match {
	uint8_t txid[32];
	uint32_t pos;
};

/* What a CMerkleBlock shows once checked. */
struct cs_proof_checked {
	const uint8_t *header;          /* points into the proof */
	uint8_t root[32];               /* the root its tree reaches */
	uint32_t ntx;                   /* the transaction count it claims */
	struct cs_proof_match *matches; /* malloc'd, in block order */
	size_t count;
};

/* Parses and checks the CMerkleBlock of exactly len bytes: 0 with *out
 * filled (free with cs_proof_checked_free), or CS_EX_DATAERR naming the
 * fault: truncated, counts beyond Core's bounds, flag bits or hashes that
 * run out or are left over, no match, CVE-2012-2459 or an inner node that
 * is a transaction. The root is not compared with the header's here: the
 * caller says what a mismatch means. */
int cs_proof_check_merkleblock(const uint8_t *data, size_t len, struct cs_proof_checked *out,
    struct cs_error *err);
void cs_proof_checked_free(struct cs_proof_checked *c);

/* Folds an Electrum branch (depth hashes, internal byte order) from txid at
 * pos into *root: 0, or CS_EX_DATAERR for a branch longer than
 * CS_PROOF_DEPTH_MAX, a pos that does not fit depth levels,
 * CVE-2012-2459 or an inner node that is a transaction. */
int cs_proof_fold_branch(const uint8_t txid[32], uint64_t pos, const uint8_t (*branch)[32], size_t depth,
    uint8_t root[32], struct cs_error *err);

#endif
