/*
 * writer.h - entries (and tips) in every output format of cs(7) "Formats", and the
 * printing that needs the store they come from.
 *
 * CBOR entries match the CDDL of cs(7) "The CBOR entry" byte for byte (preferred integer
 * encoding, chainwork as tag 2); json, text, hex and raw as cs(7) says.
 * Writing appends to a struct cs_out. It cannot fail, but for the decoded
 * fields of a Bitcoin entry (bitcoin-cli getblockheader's), read from the
 * store through a struct cs_chain_view while the caller holds it: a read
 * that fails returns its error (error.h) and nothing of the entry is
 * printed.
 */
#ifndef CS_WRITER_H
#define CS_WRITER_H

#include "decode.h"
#include "entry.h"
#include "format.h"
#include "output.h"
#include "store.h"

#include <stdbool.h>
#include <time.h>

/*
 * Where a printed entry's decoded fields come from: the store, read as
 * little as a run of entries needs. A run of children (a range, an
 * export, a getheaders answer) reads its median times from the entry
 * before; the tip's height is read once each time the store is taken.
 */
struct cs_chain_view {
	struct cs_store *store;
	bool have_tip;
	struct timespec tip_held_since; /* the store's held_since when read */
	uint32_t tip_height;
	bool have_window;
	uint8_t window_hash[32];        /* the last entry decoded */
	uint32_t window[CS_RULES_MEDIAN_SPAN]; /* its time and its ancestors', newest first */
	unsigned window_len;
};

void cs_chain_view_init(struct cs_chain_view *view, struct cs_store *store);

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
	/* json and text of a Bitcoin entry (an 80-byte header, not opaque,
	 * not bare) print bitcoin-cli getblockheader's fields, read through
	 * view; cbor too with decode. NULL: none of them. */
	struct cs_chain_view *view;
	bool decode;
};

/* err may be NULL when nothing is decoded (no view). */
int cs_write_entry(struct cs_out *out, const struct cs_print *how, const struct cs_entry *e, struct cs_error *err);
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
	uint32_t block_time; /* the block header's time */
	bool main;
};

/* cbor: {txid, tx, block, height, index}; json: getrawtransaction's
 * verbose object (decode.h) with blockhash, confirmations (tip height:
 * view's), time and blocktime, then tx, block, height and index; text: a
 * line, then the decoded fields a line each; hex: the transaction in hex;
 * raw: its bytes. Fails only on a transaction that does not parse, or
 * when the tip cannot be read. */
int cs_write_tx(struct cs_out *out, enum cs_format format, struct cs_chain_view *view, const struct cs_tx_found *t,
    struct cs_error *err);

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

/* When the buffer holds a chunk (or always), lets go of the store and
 * writes the buffer out: never hold the store while blocked on a slow
 * reader (cs(7) "Locking and pipelines"). The caller takes the store again (cs_store_acquire)
 * when it next needs it. */
int cs_out_drain(struct cs_out *out, struct cs_store *store, bool always, struct cs_error *err);

#endif
