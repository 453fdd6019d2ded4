/*
 * decode.h - what bitcoin-cli prints of a block header and of a
 * transaction, computed from their bytes alone (writer.h adds what only the
 * store knows: confirmations, the median time past, the next block).
 *
 * Contract: nothing here reads a store or allocates. The transaction
 * writers parse bytes that may come from anywhere: every length is checked
 * against the bytes left, and a transaction that does not parse is
 * CS_EX_DATAERR (error.h) with nothing written.
 */
#ifndef CS_DECODE_H
#define CS_DECODE_H

#include "error.h"
#include "output.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>


/* Bitcoin Core's GetDifficulty: the powLimit of difficulty 1 (0x1d00ffff)
 * over the target of bits, as a double, computed as Core computes it. */
double cs_difficulty(uint32_t bits);

/* A double as UniValue prints it (std::ostringstream, precision 16: the
 * shortest of %f and %e style for 16 significant digits, as "%.16g"). */
#define CS_DOUBLE_TEXT 32
void cs_double_text(double v, char out[CS_DOUBLE_TEXT]);

/* An amount of satoshis as Core's ValueFromAmount prints BTC:
 * "10.00000000". */
#define CS_AMOUNT_TEXT 32
void cs_amount_text(int64_t satoshis, char out[CS_AMOUNT_TEXT]);

/* The transaction count a body starts with: 0, or -1 when it does not
 * start with one. */
int cs_body_tx_count(const uint8_t *body, size_t len, uint64_t *count);

/* What a transaction measures, as getrawtransaction prints it. */
struct cs_tx_shape {
	uint8_t wtxid[32];   /* internal order; the txid when no witness */
	uint32_t version;
	uint32_t locktime;
	size_t size;         /* witness included */
	size_t stripped;     /* without marker, flag and witnesses */
	uint64_t weight;     /* stripped * 3 + size */
	uint64_t vsize;      /* weight / 4, rounded up */
	bool witness;
};

/* Measures tx[0..len), which must be exactly one transaction. */
int cs_tx_shape(const uint8_t *tx, size_t len, struct cs_tx_shape *shape, struct cs_error *err);

/*
 * The members of getrawtransaction's verbose object, from "txid" to "hex"
 * (txid, hash, version, size, vsize, weight, locktime, vin, vout, hex),
 * without the braces: the caller opens the object and adds the block's
 * members after. Scripts are printed in hex only (no asm, address, type).
 */
int cs_tx_write_json(struct cs_out *out, const uint8_t txid[32], const uint8_t *tx, size_t len,
    struct cs_error *err);

/* The same as indented "key value" lines (cs(7) FORMATS): hash, version,
 * size, vsize, weight, locktime, then a line an input and an output. */
int cs_tx_write_text(struct cs_out *out, const uint8_t *tx, size_t len, struct cs_error *err);

#endif
