/*
 * block.h - Bitcoin block bodies: the transaction count and the
 * transactions after the 80-byte header, in wire format (segwit included).
 *
 * Contract: the body is only read, never kept or modified; every length and
 * count in it is checked against the bytes actually left before it is used,
 * and nothing is allocated in proportion to a declared count (the merkle
 * root is computed in O(log n) fixed memory; one hashing context is
 * allocated per call and freed before return). Errors follow error.h:
 * 0 or CS_EX_DATAERR with a message naming the byte offset inside the body
 * ("body byte 1234: transaction 7: truncated output script"; transactions
 * are numbered from 0, the coinbase, as the index of cs-get --tx), or
 * CS_EX_SOFTWARE if libcrypto fails. Nothing blocks.
 */
#ifndef CS_BLOCK_H
#define CS_BLOCK_H

#include "entry.h" /* CS_BODY_MAX */
#include "error.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One transaction of a parsed body. */
struct cs_tx_ref {
	uint8_t txid[32]; /* SHA-256d of the non-witness serialisation, internal order */
	size_t offset;    /* where the transaction starts inside the body */
	size_t len;       /* its length in the body, witness included */
};

/*
 * Called once per transaction, in block order (index 0 is the coinbase).
 * tx points into storage valid only during the call. Returning non-zero
 * stops the parse, and cs_block_parse returns that value as it is; the
 * callback fills err itself.
 */
typedef int (*cs_block_tx_fn)(void *ctx, uint32_t index, const struct cs_tx_ref *tx,
    struct cs_error *err);

/*
 * Parses body (body_len bytes, at most CS_BODY_MAX), computes every txid
 * and the merkle root (Bitcoin's: the last hash of an odd level is paired
 * with itself), and compares that root with merkle_root (internal order, as
 * in the header). A body with no transaction, with bytes after the last
 * one, or whose merkle tree is mutated (CVE-2012-2459: transactions
 * repeated so that the root still matches) is rejected too. merkle_root may
 * be NULL for a body already verified, to skip the comparison only.
 * When a transaction carries witness data, the witnesses are checked
 * against the coinbase's commitment too (BIP141, as Core's
 * CheckWitnessMalleation), since the merkle root covers txids only: no
 * byte of a body accepted with its header is left unverified.
 *
 * fn (may be NULL) is called as the transactions are parsed, before the
 * root is known: a caller that stores what it sees must stage it and drop
 * it unless cs_block_parse returns 0. *ntx (ntx may be NULL) is set to the
 * number of transactions on success.
 */
int cs_block_parse(const uint8_t *body, size_t body_len, const uint8_t merkle_root[32],
    uint32_t *ntx, cs_block_tx_fn fn, void *ctx, struct cs_error *err);

/*
 * Finds transaction index (0: the coinbase) of a body already verified (no
 * merkle comparison): 0 and *tx filled, CS_EX_NOTFOUND when the body holds
 * fewer transactions, CS_EX_DATAERR when it does not parse.
 */
int cs_block_find_tx(const uint8_t *body, size_t body_len, uint32_t index, struct cs_tx_ref *tx,
    struct cs_error *err);

/*
 * The txids of a body already verified, in block order, into a malloc'd
 * array of *ntx (free it): what a proof is cut from (proof.h). Errors as
 * cs_block_parse, or CS_EX_SOFTWARE out of memory.
 */
int cs_block_txids(const uint8_t *body, size_t body_len, uint8_t (**txids)[32], uint32_t *ntx,
    struct cs_error *err);

/* SHA-256d of left || right: an inner node of a merkle tree. 0, or -1 when
 * libcrypto fails. */
int cs_merkle_pair(const uint8_t left[32], const uint8_t right[32], uint8_t out[32]);

/* Whether data[0..len) is exactly one transaction in the serialisation its
 * txid hashes (no witness): how a proof tells an inner node that is also a
 * transaction (proof.h). */
bool cs_tx_whole(const uint8_t *data, size_t len);

#endif
