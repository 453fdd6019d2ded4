#include "pow.h"

#include <string.h>

void
cs_compact_decode(uint32_t bits, struct cs_u256 *target, bool *negative, bool *overflow)
{
	unsigned size = bits >> 24;
	uint32_t word = bits & 0x007fffff;

	if (size <= 3) {
		word >>= 8 * (3 - size);
		cs_u256_set_u64(target, word);
	} else {
		cs_u256_set_u64(target, word);
		if (8 * (size - 3) >= 256)
			cs_u256_set_u64(target, 0);
		else
			cs_u256_shift_left(target, 8 * (size - 3));
	}
	*negative = word != 0 && (bits & 0x00800000) != 0;
	*overflow = word != 0 && (size > 34 || (word > 0xff && size > 33) || (word > 0xffff && size > 32));
}

void
cs_work_from_bits(uint32_t bits, struct cs_u256 *work)
{
	struct cs_u256 target, denominator, one;
	bool negative, overflow;

	cs_compact_decode(bits, &target, &negative, &overflow);
	if (negative || overflow || cs_u256_is_zero(&target)) {
		cs_u256_set_u64(work, 0);
		return;
	}
	/* 2^256 / (target + 1) == (~target / (target + 1)) + 1, as Core computes
	 * it, since 2^256 itself does not fit. */
	cs_u256_set_u64(&one, 1);
	cs_u256_add_saturate(&denominator, &target, &one);
	cs_u256_not(&target);
	cs_u256_div(work, &target, &denominator);
	cs_u256_add_saturate(work, work, &one);
}

enum cs_pow_result
cs_pow_check(const uint8_t hash[32], uint32_t bits, const struct cs_u256 *pow_limit)
{
	struct cs_u256 target, value;
	bool negative, overflow;

	cs_compact_decode(bits, &target, &negative, &overflow);
	if (negative || overflow || cs_u256_is_zero(&target))
		return CS_POW_BAD_TARGET;
	if (cs_u256_cmp(&target, pow_limit) > 0)
		return CS_POW_ABOVE_LIMIT;
	cs_u256_from_le(&value, hash);
	if (cs_u256_cmp(&value, &target) > 0)
		return CS_POW_HASH_TOO_HIGH;
	return CS_POW_OK;
}

const char *
cs_pow_result_message(enum cs_pow_result r)
{
	switch (r) {
	case CS_POW_OK:
		return "proof of work is valid";
	case CS_POW_BAD_TARGET:
		return "bad proof of work: negative, zero or overflowing target (high-hash)";
	case CS_POW_ABOVE_LIMIT:
		return "bad proof of work: target above the network's limit (high-hash)";
	case CS_POW_HASH_TOO_HIGH:
		return "bad proof of work (high-hash)";
	}
	return "bad proof of work (high-hash)";
}

void
cs_work_cache_init(struct cs_work_cache *cache)
{
	memset(cache, 0, sizeof(*cache));
}

const struct cs_u256 *
cs_work_cache_get(struct cs_work_cache *cache, uint32_t bits)
{
	unsigned slot = (bits ^ (bits >> 11) ^ (bits >> 24)) % CS_WORK_CACHE_SLOTS;

	if (!cache->used[slot] || cache->bits[slot] != bits) {
		cs_work_from_bits(bits, &cache->work[slot]);
		cache->bits[slot] = bits;
		cache->used[slot] = true;
	}
	return &cache->work[slot];
}

/* The bit length of a (0 for 0). */
static unsigned
bit_length(const struct cs_u256 *a)
{
	for (int i = 3; i >= 0; i--) {
		if (a->limb[i] != 0)
			return (unsigned)(64 * i + 64 - __builtin_clzll(a->limb[i]));
	}
	return 0;
}

/* The low 64 bits of a >> shift (shift < 256). */
static uint64_t
low64_shifted(const struct cs_u256 *a, unsigned shift)
{
	unsigned limb = shift / 64, bit = shift % 64;
	uint64_t v = a->limb[limb] >> bit;

	if (bit != 0 && limb + 1 < 4)
		v |= a->limb[limb + 1] << (64 - bit);
	return v;
}

uint32_t
cs_compact_encode(const struct cs_u256 *target, bool negative)
{
	unsigned size = (bit_length(target) + 7) / 8;
	uint32_t compact;

	if (size <= 3)
		compact = (uint32_t)(target->limb[0] << (8 * (3 - size)));
	else
		compact = (uint32_t)low64_shifted(target, 8 * (size - 3));
	/* The 0x00800000 bit is the sign: a mantissa that has it set is
	 * divided by 256 and the exponent raised. */
	if (compact & 0x00800000) {
		compact >>= 8;
		size++;
	}
	compact |= (uint32_t)size << 24;
	if (negative && (compact & 0x007fffff) != 0)
		compact |= 0x00800000;
	return compact;
}
