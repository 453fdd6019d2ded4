/*
 * writer.h - entries (and tips) in every output format of SPEC §2.
 *
 * CBOR entries match the CDDL of SPEC §2 byte for byte (preferred integer
 * encoding, chainwork as tag 2); json, text, hex and raw as cs(7) says.
 * Writing appends to a struct cs_out and cannot fail.
 */
#ifndef CS_WRITER_H
#define CS_WRITER_H

#include "entry.h"
#include "format.h"
#include "output.h"

#include <stdbool.h>

struct cs_print {
	enum cs_format format;
	bool opaque;     /* print prev and work too */
	bool with_body;  /* print e->body when set */
	long branchlen;  /* >= 0: a chain tip, with its branch length */
	const char *status; /* a chain tip's (cs-tip --all), printed instead
	                     * of main or fork; NULL for an entry */
	bool bare;       /* cbor and json: only what cs-put reads back (hash,
	                  * header, [prev, work], [body]): no height,
	                  * chainwork or status */
};

void cs_write_entry(struct cs_out *out, const struct cs_print *how, const struct cs_entry *e);
/* Whether an entry printed this way shows its status (main or fork): hex
 * and raw print the header alone, and a bare record no status, so the
 * read of the height index that tells can be spared. */
bool cs_print_shows_status(const struct cs_print *how);

/* A transaction found through the index (cs-get --tx). */
struct cs_tx_found {
	uint8_t txid[32];
	const uint8_t *tx;
	size_t tx_len;
	uint8_t block[32];
	uint32_t height;
	uint32_t index; /* position in the block, the coinbase being 0 */
	bool main;
};

/* cbor/json: {txid, tx, block, height, index}; text: one line; hex: the
 * transaction in hex; raw: its bytes. */
void cs_write_tx(struct cs_out *out, enum cs_format format, const struct cs_tx_found *t);

/* A transaction's Electrum branch (cs-get --proof -f json or cbor):
 * {txid, block, block_height, merkle, pos}; merkle is depth hashes, the
 * leaf's sibling first. hex and raw print CMerkleBlocks instead
 * (cs_write_merkleblock). */
struct cs_branch_found {
	uint8_t txid[32];
	uint8_t block[32];
	uint32_t height;
	uint32_t pos;
	const uint8_t (*merkle)[32];
	unsigned depth;
};
void cs_write_branch(struct cs_out *out, enum cs_format format, const struct cs_branch_found *b);
/* hex: a line of hex (as bitcoin-cli gettxoutproof); raw: the bytes. */
void cs_write_merkleblock(struct cs_out *out, enum cs_format format, const uint8_t *proof, size_t len);

/* What a proof showed, checked against a store (cs-verify):
 * {txid, block, height, pos, status, confirmations}; confirmations is -1
 * off the main chain, as bitcoin-cli getblockheader. */
struct cs_verified {
	uint8_t txid[32];
	uint8_t block[32];
	uint32_t height;
	uint32_t pos;
	bool main;
	long confirmations;
};
void cs_write_verified(struct cs_out *out, enum cs_format format, const struct cs_verified *v);

#endif
