/*
 * pow.h - compact targets ("bits"), proof of work and block work, exactly
 * as Bitcoin Core's arith_uint256::SetCompact, CheckProofOfWork and
 * GetBlockProof. Pure functions; nothing allocates or fails.
 */
#ifndef CS_POW_H
#define CS_POW_H

#include "arith.h"

#include <stdbool.h>
#include <stdint.h>

/* Decodes bits into target, setting *negative and *overflow as Core does. */
void cs_compact_decode(uint32_t bits, struct cs_u256 *target, bool *negative, bool *overflow);

/* arith_uint256::GetCompact(negative): the compact bits of target, the
 * sign bit set when negative and the mantissa is not zero. */
uint32_t cs_compact_encode(const struct cs_u256 *target, bool negative);

/* floor(2^256 / (target + 1)); 0 for a negative, overflowing or zero target. */
void cs_work_from_bits(uint32_t bits, struct cs_u256 *work);

enum cs_pow_result {
	CS_POW_OK = 0,
	CS_POW_BAD_TARGET,    /* negative, zero or overflowing bits */
	CS_POW_ABOVE_LIMIT,   /* target above the network's limit */
	CS_POW_HASH_TOO_HIGH, /* the hash does not meet the target */
};

enum cs_pow_result cs_pow_check(const uint8_t hash[32], uint32_t bits, const struct cs_u256 *pow_limit);
const char *cs_pow_result_message(enum cs_pow_result r);

/* A small direct-mapped cache of bits -> work: real chains use few distinct
 * bits values, and the division is the costly part of work. */
#define CS_WORK_CACHE_SLOTS 64
struct cs_work_cache {
	uint32_t bits[CS_WORK_CACHE_SLOTS];
	bool used[CS_WORK_CACHE_SLOTS];
	struct cs_u256 work[CS_WORK_CACHE_SLOTS];
};

void cs_work_cache_init(struct cs_work_cache *cache);
const struct cs_u256 *cs_work_cache_get(struct cs_work_cache *cache, uint32_t bits);

#endif
