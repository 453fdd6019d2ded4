/*
 * cborio.h - bounded CBOR decoding of one item, and allocation-free encoding.
 *
 * Decoding uses libcbor's streaming decoder (cbor_stream_decode) with our
 * own checks, never cbor_load: cbor_load allocates by declared lengths, so a
 * 5-byte array header declaring 2^27 elements costs it 1 GiB. Here every
 * declared count and length is checked against the schema's caps before
 * anything is kept.
 *
 * The accepted items are what the tools exchange: an unsigned integer (a
 * height), a byte string (a hash, header or whole block), an entry map
 * (cs(7) FORMATS) or a proof map (cs-get --proof), or an array of 32-byte
 * hashes (a locator).
 *
 * Contract: nothing here allocates, keeps state between calls or owns
 * memory. A decoded item's byte strings (bytes, and the record's header
 * and body) point into the caller's buffer and are valid as long as it is
 * unchanged; hashes are copied into the item. Encoding writes into the
 * caller's buffer through a cursor.
 *
 * Errors: cs_cbor_decode returns a status, not an exit code: DONE,
 * NEED_MORE (read more input and call again with the longer buffer; an
 * error when at_eof), or ERROR with the fault written into why (the caller
 * maps it to CS_EX_DATAERR and names the byte). A put that does not fit
 * writes nothing past the end and sets the cursor's overflow, checked once
 * after a whole record. Nothing blocks, and any thread may call these on
 * its own buffers and cursors.
 */
#ifndef CS_CBORIO_H
#define CS_CBORIO_H

#include "entry.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CS_LOCATOR_MAX 101
#define CS_MAP_PAIRS_MAX 32 /* an entry decoded (cs-get --decode) has 20 */
/* The largest item: a whole block (header + body) and its entry's fields. */
#define CS_ITEM_MAX (CS_OPAQUE_HEADER_MAX + CS_BODY_MAX + 4096)

enum cs_cbor_kind { CS_CBOR_UINT, CS_CBOR_BYTES, CS_CBOR_MAP, CS_CBOR_ARRAY };

struct cs_cbor_item {
	enum cs_cbor_kind kind;
	uint64_t uint;
	const uint8_t *bytes;
	size_t len;
	struct cs_record record;            /* CS_CBOR_MAP: the entry's fields */
	struct {                            /* CS_CBOR_MAP: a proof's fields */
		bool has_txid, has_block, has_block_height, has_pos, has_merkle, has_merkleblock;
		uint8_t txid[32], block[32];
		uint64_t block_height, pos;
		const uint8_t *merkleblock; /* "proof": a CMerkleBlock */
		size_t merkleblock_len;
	} proof;
	uint8_t hashes[CS_LOCATOR_MAX][32]; /* CS_CBOR_ARRAY, or a proof's "merkle" */
	size_t count;
};

enum cs_cbor_status { CS_CBOR_DONE, CS_CBOR_NEED_MORE, CS_CBOR_ERROR };

/* Decodes the item at data[0..len). DONE: *used is its length. NEED_MORE:
 * the item continues past len (an error when at_eof). ERROR: why names
 * the fault ("truncated item", "indefinite-length item", ...). */
enum cs_cbor_status cs_cbor_decode(const uint8_t *data, size_t len, bool at_eof, struct cs_cbor_item *item,
    size_t *used, char *why, size_t why_len);

/* An encoding cursor over a caller's buffer: every put checks room and sets
 * overflow instead of writing past end. */
struct cs_cbor_cursor {
	uint8_t *p, *end;
	bool overflow;
};

void cs_cbor_put_uint(struct cs_cbor_cursor *c, uint64_t v);
/* A signed integer (major type 1 when negative). */
void cs_cbor_put_int(struct cs_cbor_cursor *c, int64_t v);
void cs_cbor_put_bytes(struct cs_cbor_cursor *c, const uint8_t *data, size_t len);
/* Only the header of a byte string, for payloads written separately. */
void cs_cbor_put_bytes_head(struct cs_cbor_cursor *c, size_t len);
void cs_cbor_put_text(struct cs_cbor_cursor *c, const char *text);
void cs_cbor_put_map(struct cs_cbor_cursor *c, size_t pairs);
void cs_cbor_put_array(struct cs_cbor_cursor *c, size_t count);
/* A positive bignum (tag 2, big-endian, no leading zeros) or, when
 * as_uint_if_small, a plain uint when it fits in 64 bits. */
void cs_cbor_put_u256(struct cs_cbor_cursor *c, const struct cs_u256 *v, bool as_uint_if_small);

#endif
