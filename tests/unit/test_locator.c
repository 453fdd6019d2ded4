/*
 * test_locator.c - unit tests of the locator step shape. Needs no store or
 * data files; prints TAP and exits 1 if any test fails.
 *
 * The expected heights are worked out by hand from LocatorEntries in
 * Bitcoin Core's src/chain.cpp:
 *     step = 1; loop { push(height); if (height == 0) break;
 *                      height = max(height - step, 0);
 *                      if (pushed > 10) step *= 2; }
 * so twelve heights one apart (the step doubles only after the 11th push
 * has already moved one back), then steps of 2, 4, 8, ..., then 0.
 * The fork point and --from on real stores are tested in cs-locator.bats.
 */
#include "locator.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "tap.h"

/* The locator heights of tip equal want[0..n). */
static bool
heights_are(uint32_t tip, const uint32_t *want, size_t n)
{
	uint32_t got[CS_LOCATOR_MAX];
	size_t count = cs_locator_heights(tip, got, CS_LOCATOR_MAX);

	if (count != n) {
		printf("# tip %u: got %zu heights, want %zu\n", tip, count, n);
		return false;
	}
	for (size_t i = 0; i < n; i++) {
		if (got[i] != want[i]) {
			printf("# tip %u: heights[%zu] is %u, want %u\n", tip, i, got[i], want[i]);
			return false;
		}
	}
	return true;
}

int
main(void)
{
	static const uint32_t tip0[] = { 0 };
	static const uint32_t tip1[] = { 1, 0 };
	static const uint32_t tip5[] = { 5, 4, 3, 2, 1, 0 };
	/* 11 pushed at step 1 reach height 0 exactly. */
	static const uint32_t tip10[] = { 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0 };
	/* The 12th is still one back (11 -> 0 by step 1), and it is genesis. */
	static const uint32_t tip11[] = { 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0 };
	/* 12 -> 1 one apart, then step 2 from 1: max(1 - 2, 0) = 0. */
	static const uint32_t tip12[] = { 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0 };
	/* 20..9, then 9-2=7, 7-4=3, 3-8 -> 0. */
	static const uint32_t tip20[] = { 20, 19, 18, 17, 16, 15, 14, 13, 12, 11, 10, 9, 7, 3, 0 };
	/* The 10k mainnet store: 10236..10225, then -2, -4, ... -4096, then 0. */
	static const uint32_t tip10236[] = { 10236, 10235, 10234, 10233, 10232, 10231, 10230, 10229, 10228,
		10227, 10226, 10225, 10223, 10219, 10211, 10195, 10163, 10099, 9971, 9715, 9203, 8179, 6131,
		2035, 0 };
	uint32_t got[CS_LOCATOR_MAX], small[3];
	size_t n;

	check(heights_are(0, tip0, 1), "tip 0: [0]");
	check(heights_are(1, tip1, 2), "tip 1: [1, 0]");
	check(heights_are(5, tip5, 6), "tip 5: 5..0");
	check(heights_are(10, tip10, 11), "tip 10: 10..0, eleven heights");
	check(heights_are(11, tip11, 12), "tip 11: 11..0, twelve heights");
	check(heights_are(12, tip12, 13), "tip 12: 12..0");
	check(heights_are(20, tip20, 15), "tip 20: 20..9, 7, 3, 0");
	check(heights_are(10236, tip10236, 25), "tip 10236: 12 one apart, 12 doubling steps, genesis");

	/* The largest height: 12 one apart, then steps 2, 4, ..., 2^30 (30 of
	 * them, reaching H - 11 - (2^31 - 2)); the step 2^31 passes the genesis:
	 * 12 + 30 + 1. */
	n = cs_locator_heights(UINT32_MAX, got, CS_LOCATOR_MAX);
	check(n == 43 && got[0] == UINT32_MAX && got[11] == UINT32_MAX - 11 && got[12] == UINT32_MAX - 13 &&
		  got[n - 2] == UINT32_MAX - 11 - ((UINT32_C(1) << 31) - 2) && got[n - 1] == 0,
	    "tip 2^32-1: 43 heights, no overflow, genesis last (got %zu)", n);
	check(n <= CS_LOCATOR_MAX, "every locator fits the 101-hash cap");

	/* Strictly decreasing, ending at 0, for every height up to 100000. */
	{
		bool good = true;

		for (uint32_t tip = 0; tip <= 100000 && good; tip++) {
			n = cs_locator_heights(tip, got, CS_LOCATOR_MAX);
			good = n >= 1 && got[0] == tip && got[n - 1] == 0;
			for (size_t i = 1; i < n && good; i++)
				good = got[i] < got[i - 1];
			for (size_t i = 1; i < n && i < 12 && good; i++)
				good = got[i] == tip - i;
			if (!good)
				printf("# tip %u misshapen\n", tip);
		}
		check(good, "heights 0..100000: start at the tip, 12 one apart, strictly down, end at 0");
	}

	/* A small cap: the count is the whole locator's, only cap written. */
	memset(small, 0xff, sizeof(small));
	n = cs_locator_heights(20, small, 2);
	check(n == 15 && small[0] == 20 && small[1] == 19 && small[2] == UINT32_MAX,
	    "cap 2: count 15, two heights written");

	printf("1..%u\n", tests_run);
	return tests_failed == 0 ? 0 : 1;
}
