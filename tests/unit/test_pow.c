/*
 * test_pow.c - unit tests of compact targets, block work, proof of work and
 * the 256-bit arithmetic under them. Needs no data files; prints TAP and
 * exits 1 if any test fails.
 *
 * Expected values come from Bitcoin Core's src/test/arith_uint256_tests.cpp
 * (bignum_SetCompact, divide, plusMinus), Core's chainparams (genesis,
 * powLimit) and published chainwork, unless a comment says otherwise.
 */
#include "arith.h"
#include "header.h"
#include "hex.h"
#include "pow.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "tap.h"

/* Compares a value with 64 hex digits, saying what it got when it differs. */
static bool
hex_is(const struct cs_u256 *a, const char *want)
{
	char got[65];

	cs_u256_to_hex(a, got);
	if (strcmp(got, want) != 0) {
		printf("# got  %s\n# want %s\n", got, want);
		return false;
	}
	return true;
}

static struct cs_u256
u256(const char *hex64)
{
	struct cs_u256 a;

	if (cs_u256_from_hex(&a, hex64) != 0) {
		printf("Bail out! bad constant '%s'\n", hex64);
		cs_u256_set_u64(&a, 0);
	}
	return a;
}

static const char zero_hex[] =
    "0000000000000000000000000000000000000000000000000000000000000000";
static const char max_hex[] =
    "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff";

struct compact_case {
	uint32_t bits;
	const char *target; /* NULL: not checked (overflowing) */
	bool negative;
	bool overflow;
};

/* bignum_SetCompact, case by case. */
static const struct compact_case compact_cases[] = {
	{ 0x00000000, zero_hex, false, false },
	{ 0x00123456, zero_hex, false, false },
	{ 0x01003456, zero_hex, false, false },
	{ 0x02000056, zero_hex, false, false },
	{ 0x03000000, zero_hex, false, false },
	{ 0x04000000, zero_hex, false, false },
	{ 0x00923456, zero_hex, false, false },
	{ 0x01803456, zero_hex, false, false },
	{ 0x02800056, zero_hex, false, false },
	{ 0x03800000, zero_hex, false, false },
	{ 0x04800000, zero_hex, false, false },
	{ 0x01123456, "0000000000000000000000000000000000000000000000000000000000000012", false,
	    false },
	{ 0x01fedcba, "000000000000000000000000000000000000000000000000000000000000007e", true,
	    false },
	{ 0x02123456, "0000000000000000000000000000000000000000000000000000000000001234", false,
	    false },
	{ 0x03123456, "0000000000000000000000000000000000000000000000000000000000123456", false,
	    false },
	{ 0x04123456, "0000000000000000000000000000000000000000000000000000000012345600", false,
	    false },
	{ 0x04923456, "0000000000000000000000000000000000000000000000000000000012345600", true,
	    false },
	{ 0x05009234, "0000000000000000000000000000000000000000000000000000000092340000", false,
	    false },
	{ 0x20123456, "1234560000000000000000000000000000000000000000000000000000000000", false,
	    false },
	{ 0xff123456, NULL, false, true },
};

static void
test_compact(void)
{
	for (size_t i = 0; i < sizeof(compact_cases) / sizeof(compact_cases[0]); i++) {
		const struct compact_case *c = &compact_cases[i];
		const char *digits = "overflow";
		struct cs_u256 target;
		bool negative = !c->negative, overflow = !c->overflow;

		if (c->target != NULL) {
			digits = c->target + strspn(c->target, "0");
			if (*digits == '\0')
				digits = "0";
		}

		cs_compact_decode(c->bits, &target, &negative, &overflow);
		check((c->target == NULL || hex_is(&target, c->target)) &&
		    negative == c->negative && overflow == c->overflow,
		    "compact 0x%08x: %s%s", c->bits, digits, c->negative ? ", negative" : "");
	}
}

static void
test_work(void)
{
	struct cs_u256 work, sum;

	cs_work_from_bits(0, &work);
	check(cs_u256_is_zero(&work), "work of 0x00000000 (zero target) is 0");
	cs_work_from_bits(0x04923456, &work);
	check(cs_u256_is_zero(&work), "work of 0x04923456 (negative) is 0");
	cs_work_from_bits(0x01fedcba, &work);
	check(cs_u256_is_zero(&work), "work of 0x01fedcba (negative) is 0");
	cs_work_from_bits(0xff123456, &work);
	check(cs_u256_is_zero(&work), "work of 0xff123456 (overflow) is 0");

	/* Difficulty 1: the genesis's chainwork, 0x100010001 in getblockheader. */
	cs_work_from_bits(0x1d00ffff, &work);
	check(hex_is(&work, "0000000000000000000000000000000000000000000000000000000100010001"),
	    "work of 0x1d00ffff is 0x100010001");
	/* Regtest's limit: 2^256 / (2^255 + ...) */
	cs_work_from_bits(0x207fffff, &work);
	check(hex_is(&work, "0000000000000000000000000000000000000000000000000000000000000002"),
	    "work of 0x207fffff is 2");
	/* The largest target there is: 2^256 / 2^256-ish = 1. */
	cs_work_from_bits(0x2100ffff, &work);
	check(hex_is(&work, "0000000000000000000000000000000000000000000000000000000000000001"),
	    "work of 0x2100ffff is 1");

	/* Mainnet chainwork at height 10000 is 0x271127112711 (Electrum,
	 * bitcoinj and getblockheader agree): 10001 blocks of difficulty 1. */
	cs_work_from_bits(0x1d00ffff, &work);
	cs_u256_set_u64(&sum, 0);
	for (int i = 0; i <= 10000; i++)
		cs_u256_add_saturate(&sum, &sum, &work);
	check(hex_is(&sum, "0000000000000000000000000000000000000000000000000000271127112711"),
	    "chainwork at height 10000 is 0x271127112711");

	/* Bits of mainnet block 866342; 2^256 // (target + 1) computed with
	 * python3's integers, not with this code. */
	cs_work_from_bits(0x17030ecd, &work);
	check(hex_is(&work, "0000000000000000000000000000000000000000000053b84b1acc20422ed05f"),
	    "work of 0x17030ecd (block 866342)");
}

/* Genesis: Bitcoin Core's CreateGenesisBlock (time 1231006505, nonce
 * 2083236893, bits 0x1d00ffff), hashing to 000000000019d6…e26f. */
static const char genesis_hex[] =
    "0100000000000000000000000000000000000000000000000000000000000000000000003ba3edfd7a7b12b27ac72c3e"
    "67768f617fc81bc3888a51323a9fb8aa4b1e5e4a29ab5f49ffff001d1dac2b7c";
static const char genesis_hash[] =
    "000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f";
/* consensus.powLimit of mainnet and regtest in Core's chainparams. */
static const char mainnet_limit[] =
    "00000000ffffffffffffffffffffffffffffffffffffffffffffffffffffffff";
static const char regtest_limit[] =
    "7fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff";

static void
test_pow_check(void)
{
	uint8_t raw[CS_HEADER_SIZE], hash[32], be[32];
	char display[CS_HASH_HEX];
	struct cs_u256 limit = u256(mainnet_limit), regtest = u256(regtest_limit), target;
	bool negative, overflow;

	cs_hex_decode(genesis_hex, sizeof(raw), raw);
	cs_header_hash(raw, hash);
	cs_hash_to_display(hash, display);
	check(strcmp(display, genesis_hash) == 0, "genesis hashes to 000000000019d6…e26f");
	check(cs_pow_check(hash, cs_header_bits(raw), &limit) == CS_POW_OK,
	    "genesis meets its target under the mainnet limit");
	check(cs_pow_check(hash, 0x1d01ffff, &limit) == CS_POW_ABOVE_LIMIT,
	    "target 0x1d01ffff is above the mainnet limit");
	check(cs_pow_check(hash, 0x207fffff, &limit) == CS_POW_ABOVE_LIMIT,
	    "regtest's 0x207fffff is above the mainnet limit");
	check(cs_pow_check(hash, 0x207fffff, &regtest) == CS_POW_OK,
	    "regtest's 0x207fffff is within the regtest limit");
	check(cs_pow_check(hash, 0, &limit) == CS_POW_BAD_TARGET &&
	    cs_pow_check(hash, 0x04923456, &limit) == CS_POW_BAD_TARGET &&
	    cs_pow_check(hash, 0xff123456, &limit) == CS_POW_BAD_TARGET,
	    "zero, negative and overflowing targets are bad targets");

	/* Nonce 2083236893 ^ 1: the hash is 8cdc343d…66d9 (python3 hashlib). */
	raw[76] ^= 0x01;
	cs_header_hash(raw, hash);
	check(cs_pow_check(hash, cs_header_bits(raw), &limit) == CS_POW_HASH_TOO_HIGH,
	    "genesis with one nonce bit flipped fails proof of work");

	/* The boundary: a hash equal to the target passes, one above fails. */
	cs_compact_decode(0x1d00ffff, &target, &negative, &overflow);
	cs_u256_to_be(&target, be);
	for (int i = 0; i < 32; i++)
		hash[i] = be[31 - i];
	check(cs_pow_check(hash, 0x1d00ffff, &limit) == CS_POW_OK,
	    "a hash equal to its target passes");
	hash[0] = 0x01;
	check(cs_pow_check(hash, 0x1d00ffff, &limit) == CS_POW_HASH_TOO_HIGH,
	    "a hash one above its target fails");
}

/* R1L and R2L of arith_uint256_tests.cpp (little-endian byte arrays there). */
static const uint8_t r1_le[32] = {
	0x9c, 0x52, 0x4a, 0xdb, 0xcf, 0x56, 0x11, 0x12, 0x2b, 0x29, 0x12, 0x5e, 0x5d, 0x35, 0xd2, 0xd2,
	0x22, 0x81, 0xaa, 0xb5, 0x33, 0xf0, 0x08, 0x32, 0xd5, 0x56, 0xb1, 0xf9, 0xea, 0xe5, 0x1d, 0x7d,
};
static const uint8_t r2_le[32] = {
	0x70, 0x32, 0x1d, 0x7c, 0x47, 0xa5, 0x6b, 0x40, 0x26, 0x7e, 0x0a, 0xc3, 0xa6, 0x9c, 0xb6, 0xbf,
	0x13, 0x30, 0x47, 0xa3, 0x19, 0x2d, 0xda, 0x71, 0x49, 0x13, 0x72, 0xf0, 0xb4, 0xca, 0x81, 0xd7,
};

static void
test_arith(void)
{
	struct cs_u256 r1, r2, d1, d2, one, max, zero, q, r, a, b;
	char hex[65];

	cs_u256_from_le(&r1, r1_le);
	cs_u256_from_le(&r2, r2_le);
	d1 = u256("00000000000000000000000000000000000000000000000ad7133ac1977fa2b7");
	d2 = u256("0000000000000000000000000000000000000000000000000000000ecd751716");
	cs_u256_set_u64(&one, 1);
	cs_u256_set_u64(&zero, 0);
	max = u256(max_hex);

	cs_u256_to_hex(&r1, hex);
	check(strcmp(hex, "7d1de5eaf9b156d53208f033b5aa8122d2d2355d5e12292b121156cfdb4a529c") == 0,
	    "to_hex of R1L: 64 lowercase digits, most significant first");
	check(cs_u256_from_hex(&a, "7D1DE5EAF9B156D53208F033B5AA8122D2d2355d5e12292b121156cfdb4a529c") ==
	    0 && cs_u256_cmp(&a, &r1) == 0, "from_hex of R1L (mixed case) round-trips");
	check(cs_u256_from_hex(&a, "7d1d") == -1 &&
	    cs_u256_from_hex(&a, "7d1de5eaf9b156d53208f033b5aa8122d2d2355d5e12292b121156cfdb4a529g") == -1,
	    "from_hex refuses short and non-hex text");
	cs_u256_to_hex(&zero, hex);
	check(strcmp(hex, zero_hex) == 0, "to_hex of 0 is 64 zeros");

	cs_u256_div(&q, &r1, &d1);
	check(hex_is(&q, "00000000000000000b8ac01106981635d9ed112290f8895545a7654dde28fb3a"),
	    "div: R1L / D1L");
	cs_u256_div(&q, &r1, &d2);
	check(hex_is(&q, "000000000873ce8efec5b67150bad3aa8c5fcb70e947586153bf2cec7c37c57a"),
	    "div: R1L / D2L");
	cs_u256_div(&q, &r2, &d1);
	check(hex_is(&q, "000000000000000013e1665895a1cc981de6d93670105a6b3ec3b73141b3a3c5"),
	    "div: R2L / D1L");
	cs_u256_div(&q, &r2, &d2);
	check(hex_is(&q, "000000000e8f0abe753bb0afe2e9437ee85d280be60882cf0bd1aaf7fa3cc2c4"),
	    "div: R2L / D2L");
	cs_u256_div(&q, &r1, &one);
	check(cs_u256_cmp(&q, &r1) == 0, "div: R1L / 1 == R1L");
	cs_u256_div(&q, &r1, &max);
	check(cs_u256_is_zero(&q), "div: R1L / max == 0");
	cs_u256_div(&q, &max, &r1);
	cs_u256_set_u64(&a, 2);
	check(cs_u256_cmp(&q, &a) == 0, "div: max / R1L == 2");
	cs_u256_div(&q, &max, &r2);
	check(cs_u256_cmp(&q, &one) == 0, "div: max / R2L == 1");
	cs_u256_div(&q, &max, &max);
	check(cs_u256_cmp(&q, &one) == 0, "div: max / max == 1");

	/* R1L + R2L wraps in Core (to 549fb09f…850c); here it saturates. */
	cs_u256_add_saturate(&r, &r1, &r2);
	check(hex_is(&r, max_hex), "add_saturate: R1L + R2L saturates at 2^256 - 1");
	cs_u256_add_saturate(&r, &max, &one);
	check(hex_is(&r, max_hex), "add_saturate: max + 1 stays max");
	cs_u256_add_saturate(&r, &max, &zero);
	check(hex_is(&r, max_hex), "add_saturate: max + 0 is max");
	cs_u256_set_u64(&a, 0xbedc77e27940a7ULL);
	cs_u256_set_u64(&b, 0xee8d836fce66fbULL);
	cs_u256_add_saturate(&r, &a, &b);
	cs_u256_set_u64(&q, 0xbedc77e27940a7ULL + 0xee8d836fce66fbULL);
	check(cs_u256_cmp(&r, &q) == 0, "add_saturate: 0xbedc77e27940a7 + 0xee8d836fce66fb");
	cs_u256_set_u64(&a, UINT64_MAX);
	cs_u256_add_saturate(&r, &a, &one);
	check(hex_is(&r, "0000000000000000000000000000000000000000000000010000000000000000"),
	    "add_saturate: carry into the second limb");
	a = u256("7fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff");
	b = u256("8000000000000000000000000000000000000000000000000000000000000000");
	cs_u256_add_saturate(&r, &a, &b);
	check(hex_is(&r, max_hex), "add_saturate: exactly 2^256 - 1 without saturating");

	a = u256("549fb09fea236a1ea3e31d4d58f1b1369288d204211ca751527cfc175767850c");
	cs_u256_sub(&r, &a, &r2);
	check(cs_u256_cmp(&r, &r1) == 0, "sub: (R1L + R2L mod 2^256) - R2L == R1L");
	cs_u256_sub(&r, &zero, &one);
	check(hex_is(&r, max_hex), "sub: 0 - 1 wraps to max");

	a = one;
	cs_u256_shift_left(&a, 255);
	check(hex_is(&a, "8000000000000000000000000000000000000000000000000000000000000000"),
	    "shift_left: 1 << 255");
	a = one;
	cs_u256_shift_left(&a, 256);
	check(cs_u256_is_zero(&a), "shift_left: 1 << 256 is 0");
}

int
main(void)
{
	test_compact();
	test_work();
	test_pow_check();
	test_arith();

	printf("1..%u\n", tests_run);
	if (fflush(stdout) != 0 || ferror(stdout))
		return 1;
	return tests_failed == 0 ? 0 : 1;
}
