/*
 * arith.h - unsigned 256-bit integers for targets and chain work.
 *
 * Values are plain structs (little-endian 64-bit limbs) passed by pointer;
 * nothing allocates and nothing fails. Arithmetic wraps modulo 2^256 as
 * Bitcoin Core's arith_uint256 does, except cs_u256_add_saturate.
 */
#ifndef CS_ARITH_H
#define CS_ARITH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cs_u256 {
	uint64_t limb[4]; /* limb[0] is least significant */
};

#define CS_U256_BYTES 32

void cs_u256_set_u64(struct cs_u256 *a, uint64_t v);
bool cs_u256_is_zero(const struct cs_u256 *a);
int cs_u256_cmp(const struct cs_u256 *a, const struct cs_u256 *b);
/* r = a + b, saturating at 2^256 - 1 (chain work never wraps). */
void cs_u256_add_saturate(struct cs_u256 *r, const struct cs_u256 *a, const struct cs_u256 *b);
/* r = a - b modulo 2^256. */
void cs_u256_sub(struct cs_u256 *r, const struct cs_u256 *a, const struct cs_u256 *b);
void cs_u256_shift_left(struct cs_u256 *a, unsigned bits);
void cs_u256_not(struct cs_u256 *a);
/* q = n / d (d != 0). */
void cs_u256_div(struct cs_u256 *q, const struct cs_u256 *n, const struct cs_u256 *d);

/* Big-endian 32 bytes <-> value. */
void cs_u256_to_be(const struct cs_u256 *a, uint8_t out[CS_U256_BYTES]);
void cs_u256_from_be(struct cs_u256 *a, const uint8_t in[CS_U256_BYTES]);
/* From big-endian bytes of any length up to 32 (CBOR bignums);
 * returns -1 when the value does not fit in 256 bits. */
int cs_u256_from_be_var(struct cs_u256 *a, const uint8_t *in, size_t len);
/* Little-endian 32 bytes (a hash read as a number, as Core's UintToArith256). */
void cs_u256_from_le(struct cs_u256 *a, const uint8_t in[CS_U256_BYTES]);
/* 64 lowercase hex digits + NUL, as getblockheader prints chainwork. */
void cs_u256_to_hex(const struct cs_u256 *a, char out[65]);
int cs_u256_from_hex(struct cs_u256 *a, const char *hex64);

#endif
