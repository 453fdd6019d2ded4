#include "arith.h"

#include "hex.h"

#include <string.h>

void
cs_u256_set_u64(struct cs_u256 *a, uint64_t v)
{
	memset(a, 0, sizeof(*a));
	a->limb[0] = v;
}

bool
cs_u256_is_zero(const struct cs_u256 *a)
{
	return (a->limb[0] | a->limb[1] | a->limb[2] | a->limb[3]) == 0;
}

int
cs_u256_cmp(const struct cs_u256 *a, const struct cs_u256 *b)
{
	for (int i = 3; i >= 0; i--) {
		if (a->limb[i] != b->limb[i])
			return a->limb[i] < b->limb[i] ? -1 : 1;
	}
	return 0;
}

void
cs_u256_add_saturate(struct cs_u256 *r, const struct cs_u256 *a, const struct cs_u256 *b)
{
	uint64_t carry = 0;

	for (int i = 0; i < 4; i++) {
		uint64_t s = a->limb[i] + carry;
		uint64_t c1 = s < carry;

		r->limb[i] = s + b->limb[i];
		carry = c1 + (r->limb[i] < s);
	}
	if (carry)
		memset(r->limb, 0xff, sizeof(r->limb));
}

void
cs_u256_sub(struct cs_u256 *r, const struct cs_u256 *a, const struct cs_u256 *b)
{
	uint64_t borrow = 0;

	for (int i = 0; i < 4; i++) {
		uint64_t d = a->limb[i] - b->limb[i];
		uint64_t b1 = a->limb[i] < b->limb[i];

		r->limb[i] = d - borrow;
		borrow = b1 | (d < borrow);
	}
}

void
cs_u256_shift_left(struct cs_u256 *a, unsigned bits)
{
	struct cs_u256 r = { { 0, 0, 0, 0 } };
	unsigned words = bits / 64, rest = bits % 64;

	for (unsigned i = 0; i + words < 4; i++) {
		r.limb[i + words] |= a->limb[i] << rest;
		if (rest != 0 && i + words + 1 < 4)
			r.limb[i + words + 1] |= a->limb[i] >> (64 - rest);
	}
	*a = r;
}

void
cs_u256_not(struct cs_u256 *a)
{
	for (int i = 0; i < 4; i++)
		a->limb[i] = ~a->limb[i];
}

static int
top_bit(const struct cs_u256 *a)
{
	for (int i = 3; i >= 0; i--) {
		if (a->limb[i] != 0)
			return i * 64 + 63 - __builtin_clzll(a->limb[i]);
	}
	return -1;
}

void
cs_u256_div(struct cs_u256 *q, const struct cs_u256 *n, const struct cs_u256 *d)
{
	struct cs_u256 rem = *n, div = *d, quot = { { 0, 0, 0, 0 } };
	int shift = top_bit(n) - top_bit(d);

	if (top_bit(d) < 0 || shift < 0) {
		*q = quot;
		return;
	}
	cs_u256_shift_left(&div, (unsigned)shift);
	for (; shift >= 0; shift--) {
		if (cs_u256_cmp(&rem, &div) >= 0) {
			cs_u256_sub(&rem, &rem, &div);
			quot.limb[shift / 64] |= (uint64_t)1 << (shift % 64);
		}
		/* div >>= 1 */
		for (int i = 0; i < 4; i++) {
			div.limb[i] >>= 1;
			if (i < 3)
				div.limb[i] |= div.limb[i + 1] << 63;
		}
	}
	*q = quot;
}

void
cs_u256_to_be(const struct cs_u256 *a, uint8_t out[CS_U256_BYTES])
{
	for (int i = 0; i < 32; i++)
		out[31 - i] = (uint8_t)(a->limb[i / 8] >> (8 * (i % 8)));
}

void
cs_u256_from_be(struct cs_u256 *a, const uint8_t in[CS_U256_BYTES])
{
	memset(a, 0, sizeof(*a));
	for (int i = 0; i < 32; i++)
		a->limb[i / 8] |= (uint64_t)in[31 - i] << (8 * (i % 8));
}

int
cs_u256_from_be_var(struct cs_u256 *a, const uint8_t *in, size_t len)
{
	uint8_t full[CS_U256_BYTES] = { 0 };

	while (len > 0 && in[0] == 0) {
		in++;
		len--;
	}
	if (len > CS_U256_BYTES)
		return -1;
	memcpy(full + CS_U256_BYTES - len, in, len);
	cs_u256_from_be(a, full);
	return 0;
}

void
cs_u256_from_le(struct cs_u256 *a, const uint8_t in[CS_U256_BYTES])
{
	memset(a, 0, sizeof(*a));
	for (int i = 0; i < 32; i++)
		a->limb[i / 8] |= (uint64_t)in[i] << (8 * (i % 8));
}

void
cs_u256_to_hex(const struct cs_u256 *a, char out[65])
{
	uint8_t be[CS_U256_BYTES];

	cs_u256_to_be(a, be);
	cs_hex_encode(be, sizeof(be), out);
}

int
cs_u256_from_hex(struct cs_u256 *a, const char *hex64)
{
	uint8_t be[CS_U256_BYTES];

	if (strlen(hex64) != 64 || cs_hex_decode(hex64, sizeof(be), be) != 0)
		return -1;
	cs_u256_from_be(a, be);
	return 0;
}
