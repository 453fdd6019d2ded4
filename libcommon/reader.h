/*
 * reader.h - reading records and keys from an input, in any input format of
 * cs(7) "Formats" (cbor, json, hex, raw, blk for records; CBOR or text lines for
 * keys), one item at a time, in bounded memory.
 *
 * Contract: a record's pointers stay valid until the next call. A malformed
 * item ends the input (a CBOR sequence has no resync point): the error is
 * CS_EX_DATAERR and names the item (from 1) and its byte offset (from 0).
 * With block false, a call that would have to wait for input returns
 * CS_READ_WOULD_BLOCK instead, so that the caller can let go of the store
 * first (cs(7) "Locking and pipelines").
 */
#ifndef CS_READER_H
#define CS_READER_H

#include "cborio.h"
#include "entry.h"
#include "error.h"
#include "format.h"
#include "input.h"

#include <jansson.h>

enum cs_read { CS_READ_RECORD, CS_READ_END, CS_READ_WOULD_BLOCK, CS_READ_ERROR };

struct cs_reader {
	struct cs_input in;
	enum cs_format format;
	uint64_t items; /* items read so far */
	uint8_t magic[4];
	uint8_t *scratch;
	size_t scratch_cap;
	json_t *json;
	struct cs_cbor_item *cbor;
	int key_text; /* keys: -1 not yet known, 0 CBOR, 1 text lines */
	bool sniff;   /* proofs: tell the format by the first byte */
	struct cs_proof_in *proof; /* where the proof parsers put one */
};

enum cs_key_kind { CS_KEY_HASH, CS_KEY_HEIGHT, CS_KEY_LOCATOR };

struct cs_key {
	enum cs_key_kind kind;
	uint8_t hash[32];
	uint64_t height;
	const uint8_t (*hashes)[32]; /* CS_KEY_LOCATOR */
	size_t count;
	uint64_t item, offset;
	bool entry; /* CS_KEY_HASH taken from an entry map, not a hash */
};

/* path NULL or "-": standard input. magic: the blk*.dat magic to expect. */
int cs_reader_open(struct cs_reader *r, const char *path, enum cs_format format, const uint8_t magic[4],
    struct cs_error *err);
void cs_reader_close(struct cs_reader *r);
enum cs_read cs_reader_next(struct cs_reader *r, struct cs_record *rec, bool block, struct cs_error *err);
/* Keys: CBOR hashes, heights, entries (their hash, or the hash of their
 * 80-byte header) or locator arrays; or text lines of display-hex hashes,
 * decimal heights or a JSON array of hashes. */
enum cs_read cs_reader_next_key(struct cs_reader *r, struct cs_key *key, bool block, struct cs_error *err);

/* A proof as cs-verify reads it (proof.h): a CMerkleBlock, or an Electrum
 * branch with the block it names by hash, by main-chain height, or both. */
struct cs_proof_in {
	bool branch;
	const uint8_t *merkleblock; /* !branch */
	size_t merkleblock_len;
	uint8_t txid[32];           /* branch: */
	bool has_block, has_height;
	uint8_t block[32];
	uint32_t height;
	uint64_t pos;
	const uint8_t (*merkle)[32];
	size_t depth;
	uint64_t item, offset;
};

/* Proofs: hex lines or raw bytes of CMerkleBlocks; JSON lines or CBOR
 * maps of Electrum branches (txid, merkle, pos, block_height and/or
 * block) or of a CMerkleBlock ({"proof": ...}); CBOR byte strings of
 * CMerkleBlocks. Open the reader with CS_FORMAT_HEX and set sniff to tell
 * hex, JSON and CBOR apart by the first byte (raw is only taken when
 * asked for). */
enum cs_read cs_reader_next_proof(struct cs_reader *r, struct cs_proof_in *proof, bool block, struct cs_error *err);

#endif
