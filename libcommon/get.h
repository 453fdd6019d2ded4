/*
 * get.h - what cs-get prints: entries by hash, height, range, the newest N
 * or keys read on standard input; transactions through the index; and
 * inclusion proofs of them.
 *
 * Contract: a struct cs_get prints through its out with its how, reading
 * the store it was given (opened by the caller, who closes it); each call
 * takes the store when it needs it (cs_store_acquire) and lets go while a
 * slow reader holds the output (cs_out_drain). What is asked for and not
 * there is not an error: its message ("'HASH': not found", "height N: not
 * found", "'HASH': body pruned") goes to the missing callback, and status
 * becomes CS_EX_NOTFOUND, the command's exit status when nothing else
 * failed. Errors follow error.h. The library prints nothing else.
 */
#ifndef CS_GET_H
#define CS_GET_H

#include "error.h"
#include "output.h"
#include "proof.h"
#include "store.h"
#include "writer.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The block whose tree --proof cuts from, kept while its txids come. */
struct cs_get_proof_block {
	bool loaded;
	uint8_t hash[32];
	uint8_t header[80];
	uint32_t height;
	struct cs_merkle_tree tree;
};

struct cs_get {
	struct cs_store *store;
	struct cs_out *out;
	struct cs_print how;       /* how.view is set by cs_get_init */
	struct cs_chain_view view;
	bool proof;                /* cs_get_keys: the keys are txids */
	void (*missing)(void *ctx, const char *message); /* may be NULL */
	void *ctx;
	int status;                /* CS_EX_NOTFOUND once something was missing */
	struct cs_get_proof_block pb;
};

/* g prints how says to out, from s (open). */
void cs_get_init(struct cs_get *g, struct cs_store *s, struct cs_out *out, const struct cs_print *how);
void cs_get_free(struct cs_get *g);

/* The entry of hash, on whatever branch. */
int cs_get_hash(struct cs_get *g, const uint8_t hash[32], struct cs_error *err);
/* The main-chain entry at height. */
int cs_get_height(struct cs_get *g, uint32_t height, struct cs_error *err);
/* Main-chain heights from..to, inclusive, to the tip at most, read in one
 * sequential pass; none there is status CS_EX_NOTFOUND. */
int cs_get_range(struct cs_get *g, uint32_t from, uint32_t to, struct cs_error *err);
/* The newest n main-chain entries, oldest first. */
int cs_get_last(struct cs_get *g, uint32_t n, struct cs_error *err);
/* Keys on standard input (cs(7) "Other records"): hashes, heights and
 * locators, or with g->proof txids, each printed as it comes. The store
 * is taken once input has arrived. */
int cs_get_keys(struct cs_get *g, struct cs_error *err);
/* The transaction txid from every stored block holding it, main chain
 * first, as cs_write_tx prints it. */
int cs_get_tx(struct cs_get *g, const uint8_t txid[32], struct cs_error *err);
/* Inclusion proofs of the n txids, each from its main-chain holder (else
 * its first fork holder): in json and cbor a branch a txid, in hex and raw
 * one CMerkleBlock a block, for all the txids it holds. */
int cs_get_proofs(struct cs_get *g, const uint8_t (*txids)[32], size_t n, struct cs_error *err);

#endif
