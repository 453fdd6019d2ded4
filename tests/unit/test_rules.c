/*
 * test_rules.c - unit tests of Bitcoin Core's header rules (rules.h) and
 * of the compact encoding under them (pow.h cs_compact_encode). Prints TAP
 * and exits 1 if any test fails.
 *
 * Expected values are Core's own test vectors (src/test/pow_tests.cpp,
 * src/test/arith_uint256_tests.cpp), the derived boundary cases of
 * CONSENSUS.md 2.3 (each consistent with Core's code), and, with
 * DATADIR (default tests/data, run from the repository root), every real
 * mainnet retarget in mainnet/retarget_boundaries_0-832608.csv.
 */
#include "arith.h"
#include "header.h"
#include "hex.h"
#include "pow.h"
#include "rules.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"

static struct cs_rules
rules(const char *name)
{
	struct cs_rules r;

	if (cs_rules_find(name, &r) != 0)
		printf("Bail out! no rules for %s\n", name);
	return r;
}

/* pow_tests: CalculateNextWorkRequired on mainnet, and
 * PermittedDifficultyTransition of the result (and of a step past it). */
struct retarget_case {
	const char *name;
	uint32_t last_height, last_time, first_time, last_bits, expected;
	int permitted_off; /* 0: none; -1 or +1: expected + this is not permitted */
};

static const struct retarget_case retarget_cases[] = {
	{ "get_next_work", 32255, 1262152739, 1261130161, 0x1d00ffff, 0x1d00d86a, 0 },
	{ "get_next_work_pow_limit", 2015, 1233061996, 1231006505, 0x1d00ffff, 0x1d00ffff, 0 },
	{ "get_next_work_lower_limit_actual", 68543, 1279297671, 1279008237, 0x1c05a3f4, 0x1c0168fd, -1 },
	{ "get_next_work_upper_limit_actual", 46367, 1269211443, 1263163443, 0x1c387f6f, 0x1d00e1fd, +1 },
};

static void
test_pow_tests(void)
{
	struct cs_rules main_rules = rules("mainnet");

	for (size_t i = 0; i < sizeof(retarget_cases) / sizeof(retarget_cases[0]); i++) {
		const struct retarget_case *c = &retarget_cases[i];
		uint32_t got = cs_rules_calculate_next(&main_rules, c->last_time, c->last_bits, c->first_time,
		    c->last_bits);

		check(got == c->expected, "pow_tests %s: 0x%08" PRIx32 " (want 0x%08" PRIx32 ")", c->name, got,
		    c->expected);
		check(cs_rules_permitted_transition(&main_rules, c->last_height + 1, c->last_bits, c->expected),
		    "pow_tests %s: the transition to it is permitted", c->name);
		if (c->permitted_off != 0)
			check(!cs_rules_permitted_transition(&main_rules, c->last_height + 1, c->last_bits,
				  (uint32_t)((int64_t)c->expected + c->permitted_off)),
			    "pow_tests %s: 0x%08" PRIx32 " is not permitted", c->name,
			    (uint32_t)((int64_t)c->expected + c->permitted_off));
	}
	/* between retargets the bits may not change; testnet permits anything */
	check(!cs_rules_permitted_transition(&main_rules, 32257, 0x1d00ffff, 0x1d00d86a),
	    "PermittedDifficultyTransition: mainnet, no change between retargets");
	{
		struct cs_rules t3 = rules("testnet3");

		check(cs_rules_permitted_transition(&t3, 32257, 0x1d00ffff, 0x1b00ffff),
		    "PermittedDifficultyTransition: testnet3 permits any transition");
	}
}

/* pow_tests CheckProofOfWork_test_*: each must fail. */
static void
test_check_proof_of_work(void)
{
	struct cs_rules r = rules("mainnet");
	struct cs_u256 twice;
	uint8_t one[32] = { 1 }, zero[32] = { 0 }, above[32];

	twice = r.pow_limit;
	cs_u256_shift_left(&twice, 1);
	/* 00000001ff..fe, little-endian as a hash is read */
	for (int i = 0; i < 32; i++)
		above[i] = (uint8_t)(twice.limb[i / 8] >> (8 * (i % 8)));
	check(cs_compact_encode(&r.pow_limit, true) == 0x1d80ffff, "GetCompact(powLimit, negative) is 0x1d80ffff");
	check(cs_pow_check(one, 0x1d80ffff, &r.pow_limit) != CS_POW_OK, "CheckProofOfWork_test_negative_target");
	check(cs_pow_check(one, ~0x00800000u, &r.pow_limit) != CS_POW_OK, "CheckProofOfWork_test_overflow_target");
	check(cs_compact_encode(&twice, false) == 0x1d01ffff &&
		  cs_pow_check(one, cs_compact_encode(&twice, false), &r.pow_limit) != CS_POW_OK,
	    "CheckProofOfWork_test_too_easy_target (0x1d01ffff)");
	check(cs_pow_check(above, 0x1d00ffff, &r.pow_limit) != CS_POW_OK,
	    "CheckProofOfWork_test_biger_hash_than_target");
	check(cs_compact_encode(&(struct cs_u256){ { 0 } }, false) == 0 &&
		  cs_pow_check(zero, 0, &r.pow_limit) != CS_POW_OK,
	    "CheckProofOfWork_test_zero_target");
}

/* arith_uint256_tests bignum_SetCompact: decode, and GetCompact back. */
struct compact_case {
	uint32_t bits;
	const char *low; /* the decoded target's GetHex(), its low digits; the rest are 0 */
	uint32_t encoded; /* GetCompact(negative) of the decoded value */
	bool negative, overflow;
};

static const struct compact_case compact_cases[] = {
	{ 0x00000000, "0", 0x00000000, false, false },
	{ 0x00123456, "0", 0x00000000, false, false },
	{ 0x01003456, "0", 0x00000000, false, false },
	{ 0x02000056, "0", 0x00000000, false, false },
	{ 0x03000000, "0", 0x00000000, false, false },
	{ 0x04000000, "0", 0x00000000, false, false },
	/* the shift comes before the sign: these words are 0, not negative */
	{ 0x00923456, "0", 0x00000000, false, false },
	{ 0x01803456, "0", 0x00000000, false, false },
	{ 0x02800056, "0", 0x00000000, false, false },
	{ 0x03800000, "0", 0x00000000, false, false },
	{ 0x04800000, "0", 0x00000000, false, false },
	{ 0x01123456, "12", 0x01120000, false, false },
	{ 0x01fedcba, "7e", 0x01fe0000, true, false },
	{ 0x02123456, "1234", 0x02123400, false, false },
	{ 0x03123456, "123456", 0x03123456, false, false },
	{ 0x04123456, "12345600", 0x04123456, false, false },
	{ 0x04923456, "12345600", 0x04923456, true, false },
	{ 0x05009234, "92340000", 0x05009234, false, false },
	{ 0x20123456, "1234560000000000000000000000000000000000000000000000000000000000", 0x20123456, false, false },
};

static void
test_set_compact(void)
{
	struct cs_u256 t;
	bool negative, overflow;

	for (size_t i = 0; i < sizeof(compact_cases) / sizeof(compact_cases[0]); i++) {
		const struct compact_case *c = &compact_cases[i];
		char hex[65], want[65];
		size_t n = strlen(c->low);
		uint32_t got;

		memset(want, '0', 64);
		memcpy(want + 64 - n, c->low, n + 1);
		cs_compact_decode(c->bits, &t, &negative, &overflow);
		cs_u256_to_hex(&t, hex);
		check(strcmp(hex, want) == 0, "bignum_SetCompact 0x%08" PRIx32 ": decodes to ...%s", c->bits,
		    hex + 64 - (n > 16 ? 64 : 16));
		got = cs_compact_encode(&t, negative);
		check(got == c->encoded && negative == c->negative && overflow == c->overflow,
		    "bignum_SetCompact 0x%08" PRIx32 ": GetCompact%s 0x%08" PRIx32 "%s%s", c->bits,
		    c->negative ? "(true)" : "", got, negative ? ", negative" : "", overflow ? ", overflow" : "");
	}
	cs_u256_set_u64(&t, 0x80);
	check(cs_compact_encode(&t, false) == 0x02008000, "bignum_SetCompact: 0x80 encodes as 0x02008000");
	cs_compact_decode(0xff123456, &t, &negative, &overflow);
	check(!negative && overflow, "bignum_SetCompact 0xff123456: overflow (a shift past 256 bits is 0)");
}

/* GetBlockProof, CONSENSUS.md 2.3. */
static void
test_block_proof(void)
{
	struct cs_u256 w, sum, want;

	cs_work_from_bits(0x1d00ffff, &w);
	cs_u256_set_u64(&want, 0x100010001ull);
	check(cs_u256_cmp(&w, &want) == 0, "GetBlockProof(0x1d00ffff) = 0x100010001");
	cs_work_from_bits(0x207fffff, &w);
	cs_u256_set_u64(&want, 2);
	check(cs_u256_cmp(&w, &want) == 0, "GetBlockProof(0x207fffff) = 2");
	cs_work_from_bits(0x1e0377ae, &w);
	cs_u256_set_u64(&want, 4838420);
	check(cs_u256_cmp(&w, &want) == 0, "GetBlockProof(0x1e0377ae) = 4838420");
	cs_work_from_bits(0x1d00ffff, &w);
	cs_u256_set_u64(&sum, 0);
	for (int i = 0; i < 2017; i++)
		cs_u256_add_saturate(&sum, &sum, &w);
	cs_u256_set_u64(&want, 0x7e107e107e1ull);
	check(cs_u256_cmp(&sum, &want) == 0, "chainwork at mainnet 2016 = 0x7e107e107e1 (bitcoinj's checkpoint)");
}

/* An 80-byte header with these fields (prev, merkle and nonce zero). */
static void
header(uint8_t raw[CS_HEADER_SIZE], int32_t version, uint32_t time, uint32_t bits)
{
	struct cs_header h;

	memset(&h, 0, sizeof(h));
	h.version = version;
	h.time = time;
	h.bits = bits;
	cs_header_encode(&h, raw);
}

/* A context at height (a period's first) with time, bits and prior times. */
static struct cs_rules_ctx
root(const struct cs_rules *r, uint32_t height, uint32_t time, uint32_t bits, const uint32_t *prior,
    unsigned count)
{
	struct cs_rules_ctx ctx;
	uint8_t raw[CS_HEADER_SIZE];

	header(raw, 4, time, bits);
	cs_rules_ctx_root(r, height, raw, prior, count, &ctx);
	return ctx;
}

static struct cs_rules_ctx
child(const struct cs_rules *r, const struct cs_rules_ctx *parent, uint32_t time, uint32_t bits)
{
	struct cs_rules_ctx ctx;
	uint8_t raw[CS_HEADER_SIZE];

	header(raw, 4, time, bits);
	cs_rules_ctx_child(r, parent, raw, &ctx);
	return ctx;
}

/* cs_rules_check of a child of prev with these fields; reason in why. */
static enum cs_rules_verdict
judge(const struct cs_rules *r, const struct cs_rules_ctx *prev, int32_t version, uint32_t time, uint32_t bits,
    int64_t now, char why[CS_RULES_REASON_MAX])
{
	uint8_t raw[CS_HEADER_SIZE];

	header(raw, version, time, bits);
	return cs_rules_check(r, prev, raw, now, why);
}

/* CONSENSUS.md 2.3: BIP94's base bits, testnet4 against testnet3. */
static void
test_bip94_base(void)
{
	static const struct {
		int64_t timespan;
		uint32_t bip94, last;
	} cases[] = {
		{ 1209600, 0x1c00ffff, 0x1d00ffff },
		{ 100000, 0x1b3fffc0, 0x1c3fffc0 },
		{ 10000000, 0x1c03fffc, 0x1d00ffff },
	};
	struct cs_rules t4 = rules("testnet4"), t3 = rules("testnet3");

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint32_t last_time = 1700000000, first_time = (uint32_t)(last_time - cases[i].timespan);
		uint32_t a = cs_rules_calculate_next(&t4, last_time, 0x1d00ffff, first_time, 0x1c00ffff);
		uint32_t b = cs_rules_calculate_next(&t3, last_time, 0x1d00ffff, first_time, 0x1c00ffff);

		check(a == cases[i].bip94 && b == cases[i].last,
		    "BIP94 base, timespan %" PRId64 ": testnet4 0x%08" PRIx32 ", testnet3 0x%08" PRIx32,
		    cases[i].timespan, a, b);
	}
}

/* The 20-minute rule and the walk back (testnet3), at 1200 and 1201 s. */
static void
test_twenty_minutes(void)
{
	struct cs_rules t3 = rules("testnet3");
	struct cs_rules_ctx start = root(&t3, 2016 * 10, 1400000000, 0x1c00ffff, NULL, 0);
	struct cs_rules_ctx a, b, c;

	a = child(&t3, &start, 1400000600, 0x1c00ffff);
	check(cs_rules_next_bits(&t3, &a, 1400000600 + 1200) == 0x1c00ffff,
	    "testnet3: 1200 s after the parent, the walk back's bits");
	check(cs_rules_next_bits(&t3, &a, 1400000600 + 1201) == 0x1d00ffff,
	    "testnet3: 1201 s after the parent, the minimum difficulty");
	check(cs_rules_next_bits(&t3, &a, 1400000000) == 0x1c00ffff,
	    "testnet3: a time before the parent's gets the walk back's bits");
	/* two minimum-difficulty headers, then one within 20 minutes: the walk
	 * back skips them to the last real difficulty */
	b = child(&t3, &a, 1400000600 + 1201, 0x1d00ffff);
	c = child(&t3, &b, 1400000600 + 2402, 0x1d00ffff);
	check(b.walk_bits == 0x1c00ffff && c.walk_bits == 0x1c00ffff,
	    "testnet3: minimum-difficulty headers keep the walk back's bits");
	check(cs_rules_next_bits(&t3, &c, 1400000600 + 2402 + 600) == 0x1c00ffff,
	    "testnet3: after a run at the minimum, the walk back returns 0x1c00ffff");
	/* the walk back stops at a period's first header, even at the minimum */
	{
		struct cs_rules_ctx p = root(&t3, 2016 * 11, 1500000000, 0x1d00ffff, NULL, 0);
		struct cs_rules_ctx q = child(&t3, &p, 1500000100, 0x1d00ffff);

		check(cs_rules_next_bits(&t3, &q, 1500000200) == 0x1d00ffff,
		    "testnet3: the walk back from a root at a period's first, at the minimum, gives its bits");
	}
	/* mainnet has no such rule */
	{
		struct cs_rules m = rules("mainnet");
		struct cs_rules_ctx p = root(&m, 2016 * 10, 1400000000, 0x1c00ffff, NULL, 0);

		check(cs_rules_next_bits(&m, &p, 1400000000 + 5000) == 0x1c00ffff,
		    "mainnet: no 20-minute rule, the parent's bits");
	}
}

/* A retarget height never gets the 20-minute exception (CONSENSUS.md 1.1:
 * the min-difficulty branch runs only when (prev.height + 1) % interval != 0). */
static void
test_retarget_without_exception(void)
{
	struct cs_rules t3 = rules("testnet3");
	struct cs_rules_ctx ctx = root(&t3, 2016 * 10, 1400000000, 0x1c00ffff, NULL, 0);

	for (uint32_t h = 1; h < 2016; h++)
		ctx = child(&t3, &ctx, 1400000000 + 600 * h, 0x1c00ffff);
	/* 2015 intervals of 600 s: 0x1c00ffff * 1209000 / 1209600 = 0x1c00ffde
	 * (computed apart); the 20-minute rule would give 0x1d00ffff, the walk
	 * back 0x1c00ffff */
	check(cs_rules_next_bits(&t3, &ctx, ctx.time + 1201) == 0x1c00ffde,
	    "testnet3: height 2016*11, 1201 s late, is a retarget (0x1c00ffde), not the minimum");
	check(cs_rules_next_bits(&t3, &ctx, ctx.time + 600) == 0x1c00ffde,
	    "testnet3: height 2016*11, 600 s late, is a retarget (0x1c00ffde), not the walk back");
}

/* The walk back stops at a period's first entry even when that entry is at
 * the minimum (testnet3's base is the period's last bits, so a
 * minimum-difficulty last entry makes the next period start at the limit). */
static void
test_walk_back_stops_at_period(void)
{
	struct cs_rules t3 = rules("testnet3");
	char why[CS_RULES_REASON_MAX];
	uint32_t t0 = 1400000000, t, bits;
	struct cs_rules_ctx ctx = root(&t3, 2016 * 10, t0, 0x1c00ffff, NULL, 0);
	bool valid = true;

	/* heights 2016*10 + 1 .. + 2014 at the period's bits, 600 s apart */
	for (uint32_t h = 1; h < 2015; h++)
		ctx = child(&t3, &ctx, t0 + 600 * h, 0x1c00ffff);
	/* the period's last, 1201 s late: the minimum */
	t = ctx.time + 1201;
	bits = cs_rules_next_bits(&t3, &ctx, t);
	valid = valid && bits == 0x1d00ffff && judge(&t3, &ctx, 4, t, bits, 2000000000, why) == CS_RULES_VALID;
	ctx = child(&t3, &ctx, t, bits);
	/* the next period's first: timespan 1209601 from a 0x1d00ffff base,
	 * capped at the limit (computed apart) */
	t = ctx.time + 600;
	bits = cs_rules_next_bits(&t3, &ctx, t);
	check(bits == 0x1d00ffff, "testnet3: a period after a minimum-difficulty last entry starts at 0x%08" PRIx32,
	    bits);
	valid = valid && judge(&t3, &ctx, 4, t, bits, 2000000000, why) == CS_RULES_VALID;
	ctx = child(&t3, &ctx, t, bits);
	/* two minimum-difficulty children */
	for (int i = 0; i < 2; i++) {
		t = ctx.time + 1201;
		bits = cs_rules_next_bits(&t3, &ctx, t);
		valid = valid && bits == 0x1d00ffff && judge(&t3, &ctx, 4, t, bits, 2000000000, why) == CS_RULES_VALID;
		ctx = child(&t3, &ctx, t, bits);
	}
	check(valid, "testnet3: the chain across the boundary is valid (%s)", why);
	/* within 20 minutes: the walk back stops at 2016*11 (0x1d00ffff) and
	 * does not go on to 2016*11 - 2 (0x1c00ffff) */
	check(ctx.height == 2016 * 11 + 2 && cs_rules_next_bits(&t3, &ctx, ctx.time + 600) == 0x1d00ffff,
	    "testnet3: the walk back stops at the period's first entry, 0x1d00ffff");
}

/* The walk back from minimum-difficulty entries straight after a period's
 * first (CONSENSUS.md 1.1, 7.2 next_bits). */
static void
test_walk_back_skips_minimum(void)
{
	struct cs_rules t3 = rules("testnet3");
	char why[CS_RULES_REASON_MAX];
	struct cs_rules_ctx ctx = root(&t3, 2016 * 12, 1500000000, 0x1c00ffff, NULL, 0);
	bool valid = true;

	for (int i = 0; i < 3; i++) {
		uint32_t t = ctx.time + 1201;

		valid = valid && judge(&t3, &ctx, 4, t, 0x1d00ffff, 2000000000, why) == CS_RULES_VALID;
		ctx = child(&t3, &ctx, t, 0x1d00ffff);
	}
	check(valid, "testnet3: three minimum-difficulty children of 2016*12 are valid (%s)", why);
	check(cs_rules_next_bits(&t3, &ctx, ctx.time + 1200) == 0x1c00ffff,
	    "testnet3: 1200 s after three at the minimum, the walk back returns the period's 0x1c00ffff");
	check(judge(&t3, &ctx, 4, ctx.time + 1200, 0x1d00ffff, 2000000000, why) == CS_RULES_INVALID &&
		  strcmp(why, "bad-diffbits") == 0,
	    "testnet3: the minimum within 20 minutes is bad-diffbits (%s)", why);
	check(judge(&t3, &ctx, 4, ctx.time + 1200, 0x1c00ffff, 2000000000, why) == CS_RULES_VALID,
	    "testnet3: the walk back's bits within 20 minutes are accepted (%s)", why);
}

static void
test_timewarp(void)
{
	struct cs_rules t4 = rules("testnet4"), t3 = rules("testnet3");
	char why[CS_RULES_REASON_MAX];
	struct cs_rules_ctx ctx;
	uint32_t base = 1714777860, bits;

	/* a period of 2016 headers 600 s apart, then the next period's first */
	ctx = root(&t4, 0, base, 0x1d00ffff, NULL, 0);
	for (uint32_t h = 1; h < 2016; h++)
		ctx = child(&t4, &ctx, base + 600 * h, 0x1d00ffff);
	bits = cs_rules_next_bits(&t4, &ctx, ctx.time - 600);
	check(judge(&t4, &ctx, 4, ctx.time - 600, bits, base + 10000000, why) == CS_RULES_VALID,
	    "testnet4: a period's first 600 s before its parent is accepted (%s)", why);
	check(judge(&t4, &ctx, 4, ctx.time - 601, bits, base + 10000000, why) == CS_RULES_INVALID &&
		  strcmp(why, "time-timewarp-attack") == 0,
	    "testnet4: 601 s before its parent is time-timewarp-attack (%s)", why);
	/* the same chain under testnet3's rules: no timewarp rule */
	ctx = root(&t3, 0, base, 0x1d00ffff, NULL, 0);
	for (uint32_t h = 1; h < 2016; h++)
		ctx = child(&t3, &ctx, base + 600 * h, 0x1d00ffff);
	bits = cs_rules_next_bits(&t3, &ctx, ctx.time - 601);
	check(judge(&t3, &ctx, 4, ctx.time - 601, bits, base + 10000000, why) == CS_RULES_VALID,
	    "testnet3: no timewarp rule (%s)", why);
	/* testnet4 away from a retarget height: only the median applies */
	ctx = root(&t4, 2016 * 5, base, 0x1d00ffff, NULL, 0);
	for (uint32_t h = 1; h < 20; h++)
		ctx = child(&t4, &ctx, base + 600 * h, 0x1d00ffff);
	bits = cs_rules_next_bits(&t4, &ctx, ctx.time - 601);
	check(judge(&t4, &ctx, 4, ctx.time - 601, bits, base + 10000000, why) == CS_RULES_VALID,
	    "testnet4: 601 s before its parent at a non-retarget height is accepted (%s)", why);
}

static void
test_median_time(void)
{
	static const uint32_t eleven[] = { 100, 200, 150, 300, 250, 400, 350, 500, 450, 600, 550 };
	static const uint32_t four[] = { 100, 200, 150, 300 };
	struct cs_rules m = rules("mainnet");
	char why[CS_RULES_REASON_MAX];
	struct cs_rules_ctx ctx;

	check(cs_rules_median_time(eleven, 11) == 350, "median of the 11 times is 350");
	check(cs_rules_median_time(four, 4) == 200, "median of 4 times is the upper middle, 200");
	/* a checkpoint at a period's first with ten times before it: newest
	 * first, the times of eleven[] as they come */
	{
		uint32_t prior[10];

		for (int i = 0; i < 10; i++)
			prior[i] = eleven[9 - i];
		ctx = root(&m, 2016, eleven[10], 0x1d00ffff, prior, 10);
	}
	check(judge(&m, &ctx, 4, 350, 0x1d00ffff, 1000000, why) == CS_RULES_INVALID &&
		  strcmp(why, "time-too-old") == 0,
	    "time at the median (350) is time-too-old (%s)", why);
	check(judge(&m, &ctx, 4, 351, 0x1d00ffff, 1000000, why) == CS_RULES_VALID,
	    "one second above the median (351) is accepted (%s)", why);
	/* the context carries the times on */
	{
		struct cs_rules_ctx next = child(&m, &ctx, 700, 0x1d00ffff);

		check(next.time_count == 11 && next.times[0] == 700 && next.times[10] == eleven[1],
		    "a child's times: its own, then the ten newest of its parent's");
	}
}

static void
test_time_too_new(void)
{
	struct cs_rules m = rules("mainnet");
	struct cs_rules_ctx ctx = root(&m, 2016, 1700000000, 0x1d00ffff, NULL, 0);
	char why[CS_RULES_REASON_MAX];
	int64_t now = 1800000000;

	check(judge(&m, &ctx, 4, (uint32_t)(now + 7200), 0x1d00ffff, now, why) == CS_RULES_VALID,
	    "two hours ahead of the clock is accepted (%s)", why);
	check(judge(&m, &ctx, 4, (uint32_t)(now + 7201), 0x1d00ffff, now, why) == CS_RULES_FUTURE &&
		  strcmp(why, "time-too-new") == 0,
	    "two hours and a second ahead is time-too-new, for later (%s)", why);
}

static void
test_versions(void)
{
	static const struct {
		uint32_t height;
		int32_t version;
		const char *reason; /* NULL: accepted */
	} cases[] = {
		{ 227930, 1, NULL },
		{ 227931, 1, "bad-version(0x00000001)" },
		{ 227931, 2, NULL },
		{ 363724, 2, NULL },
		{ 363725, 2, "bad-version(0x00000002)" },
		{ 388380, 3, NULL },
		{ 388381, 3, "bad-version(0x00000003)" },
		{ 388381, 4, NULL },
		{ 227931, -1, "bad-version(0xffffffff)" },
	};
	struct cs_rules m = rules("mainnet");
	char why[CS_RULES_REASON_MAX];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		/* a context for the parent: its period's first, then children */
		uint32_t parent = cases[i].height - 1, first = parent - parent % 2016;
		struct cs_rules_ctx ctx = root(&m, first, 1500000000, 0x1d00ffff, NULL, 0);
		enum cs_rules_verdict v;

		for (uint32_t h = first + 1; h <= parent; h++)
			ctx = child(&m, &ctx, 1500000000 + 600 * (h - first), 0x1d00ffff);
		v = judge(&m, &ctx, cases[i].version, ctx.time + 600, cs_rules_next_bits(&m, &ctx, ctx.time + 600),
		    2000000000, why);
		if (cases[i].reason == NULL)
			check(v == CS_RULES_VALID, "mainnet height %" PRIu32 ", version %" PRId32 ": accepted (%s)",
			    cases[i].height, cases[i].version, why);
		else
			check(v == CS_RULES_INVALID && strcmp(why, cases[i].reason) == 0,
			    "mainnet height %" PRIu32 ", version %" PRId32 ": %s (%s)", cases[i].height,
			    cases[i].version, cases[i].reason, why);
	}
}

static void
test_regtest(void)
{
	struct cs_rules r = rules("regtest");
	char why[CS_RULES_REASON_MAX];
	struct cs_rules_ctx ctx = root(&r, 0, 1296688602, 0x207fffff, NULL, 0);

	check(r.interval == 144 && r.pow_limit_bits == 0x207fffff, "regtest: interval 144, limit 0x207fffff");
	for (int32_t v = 1; v <= 3; v++)
		check(judge(&r, &ctx, v, 1296689202, 0x207fffff, 2000000000, why) == CS_RULES_INVALID,
		    "regtest: version %" PRId32 " at height 1 is rejected (%s)", v, why);
	for (uint32_t h = 1; h < 144; h++)
		ctx = child(&r, &ctx, 1296688602 + h, 0x207fffff);
	check(cs_rules_next_bits(&r, &ctx, ctx.time + 1) == 0x207fffff,
	    "regtest: no retargeting at height 144, even after a fast period");
	check(judge(&r, &ctx, 4, ctx.time + 1, 0x2000ffff, 2000000000, why) == CS_RULES_INVALID &&
		  strcmp(why, "bad-diffbits") == 0,
	    "regtest: other bits are bad-diffbits (%s)", why);
	{
		struct cs_rules none = rules("none");

		check(!none.enabled && judge(&none, &ctx, 1, 0, 0x1d00ffff, 0, why) == CS_RULES_VALID,
		    "rules none: nothing is checked");
	}
}

/* Every real mainnet retarget, recomputed from the period before it. */
static void
test_mainnet_retargets(const char *data_dir)
{
	char path[512], line[512];
	uint32_t times[1000] = { 0 }, bits[1000] = { 0 };
	bool have[1000] = { false };
	unsigned boundaries = 0, wrong = 0, rows = 0;
	struct cs_rules m = rules("mainnet");
	FILE *f;

	snprintf(path, sizeof(path), "%s/mainnet/retarget_boundaries_0-832608.csv", data_dir);
	if ((f = fopen(path, "r")) == NULL) {
		check(false, "cannot open %s", path);
		return;
	}
	/* height,hash,chainwork,header_hex: rows at 0, 2016k - 1 and 2016k;
	 * slot 2k holds the period's first (2016k), 2k + 1 its last */
	while (fgets(line, sizeof(line), f) != NULL) {
		char *comma = strrchr(line, ',');
		uint8_t raw[CS_HEADER_SIZE];
		unsigned long height = strtoul(line, NULL, 10);
		size_t slot;

		if (comma == NULL || line[0] < '0' || line[0] > '9' || cs_hex_decode(comma + 1, CS_HEADER_SIZE, raw) != 0)
			continue;
		rows++;
		slot = height % 2016 == 0 ? 2 * (height / 2016) : 2 * ((height + 1) / 2016) - 1;
		if (slot >= 1000)
			continue;
		times[slot] = cs_le32(raw + 68);
		bits[slot] = cs_header_bits(raw);
		have[slot] = true;
	}
	fclose(f);
	for (size_t k = 1; 2 * k < 1000; k++) {
		uint32_t got;

		/* the retarget at 2016k from the period 2016(k-1) .. 2016k - 1 */
		if (!have[2 * k] || !have[2 * k - 1] || !have[2 * (k - 1)])
			continue;
		boundaries++;
		got = cs_rules_calculate_next(&m, times[2 * k - 1], bits[2 * k - 1], times[2 * (k - 1)],
		    bits[2 * (k - 1)]);
		if (got != bits[2 * k]) {
			wrong++;
			printf("# retarget at %zu: 0x%08" PRIx32 ", the chain has 0x%08" PRIx32 "\n", 2016 * k, got,
			    bits[2 * k]);
		}
	}
	check(rows == 827 && boundaries == 413 && wrong == 0,
	    "all %u mainnet retargets of retarget_boundaries_0-832608.csv (%u rows) equal the real bits (%u differ)",
	    boundaries, rows, wrong);
}

int
main(int argc, char *argv[])
{
	const char *data_dir = argc > 1 ? argv[1] : "tests/data";

	test_pow_tests();
	test_check_proof_of_work();
	test_set_compact();
	test_block_proof();
	test_bip94_base();
	test_twenty_minutes();
	test_retarget_without_exception();
	test_walk_back_stops_at_period();
	test_walk_back_skips_minimum();
	test_timewarp();
	test_median_time();
	test_time_too_new();
	test_versions();
	test_regtest();
	test_mainnet_retargets(data_dir);
	printf("1..%u\n", tests_run);
	return tests_failed == 0 ? 0 : 1;
}
