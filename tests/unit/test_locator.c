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
#include "chain.h"
#include "genesis.h"
#include "header.h"
#include "hex.h"
#include "locator.h"
#include "network.h"
#include "reader.h"
#include "store.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fixture.h"
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

/* The btcd reorg chain (tests/data/mainnet/btcd_reorg): genesis-1-2-3-4 and
 * 3A-4A-5A off block 2; after 5A the main chain is 0,1,2,3A,4A,5A and the old
 * 3 and 4 are forks. Hashes from tests/data/mainnet/btcd_reorg/headers.csv. */
#define HASH_2 "00000000952ccb1bf9b799fcd0cc654dd48363f76781f8b1c61dbf1696c39f97"
#define HASH_OLD3 "00000000bc3589303953766cc9364130cb97bc3749bae170f476d45f1e23f850"
#define HASH_OLD4 "000000002f264d6504013e73b9c913de9098d4d771c1bb219af475d2a01b128e"
#define HASH_4A "00000000551dc04c148242d1f648802577df8cf7d4e1b469211016280204a2bf"

static void
fork_point_tests(void)
{
	/* room for the "/s" appended below */
	char dir[64] = "/tmp/cs-test-locator.XXXXXX", cmd[96];
	uint8_t loc[4][32];
	struct cs_error err;
	struct cs_store s;
	uint32_t height = 99;
	int rc;

	if (mkdtemp(dir) == NULL) {
		check(false, "fork point: cannot make a temporary directory");
		return;
	}
	strcat(dir, "/s");
	rc = fixture_blk_store(dir, "test_locator", fixture_reorg_files, FIXTURE_REORG_COUNT, true, &err);
	if (rc == 0)
		rc = cs_store_open(&s, dir, "test_locator", 0, &err);
	check(rc == 0, "fork point: the btcd reorg store builds%s%s", rc ? ": " : "", rc ? err.message : "");
	if (rc != 0)
		return;
	cs_hash_from_display(HASH_OLD4, loc[0]);
	cs_hash_from_display(HASH_OLD3, loc[1]);
	cs_hash_from_display(HASH_2, loc[2]);
	rc = cs_locator_fork_point(&s, (const uint8_t(*)[32])loc, 3, &height, &err);
	check(rc == 0 && height == 2, "fork point: fork hashes 4 and 3 skipped, block 2 found (got %u)", height);
	cs_hash_from_display("00000000474284d20067a4d33f6a02284e6ef70764a3a26d6a5b9df52ef663dd", loc[3]);
	rc = cs_locator_fork_point(&s, (const uint8_t(*)[32])loc + 3, 1, &height, &err);
	check(rc == 0 && height == 3, "fork point: 3A is on the main chain after the reorg (got %u)", height);
	memset(loc[0], 0xab, 32); /* not stored */
	cs_hash_from_display(HASH_4A, loc[1]);
	rc = cs_locator_fork_point(&s, (const uint8_t(*)[32])loc, 2, &height, &err);
	check(rc == 0 && height == 4, "fork point: unknown hash skipped, 4A on the main chain (got %u)", height);
	rc = cs_locator_fork_point(&s, (const uint8_t(*)[32])loc, 1, &height, &err);
	check(rc == 0 && height == 0, "fork point: nothing known gives the genesis (got %u)", height);
	rc = cs_locator_fork_point(&s, (const uint8_t(*)[32])loc, 0, &height, &err);
	check(rc == 0 && height == 0, "fork point: an empty locator gives the genesis (got %u)", height);
	cs_store_close(&s);
	dir[strlen(dir) - 2] = '\0';
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		check(false, "fork point: cannot remove %s", dir);
}

/* What cs_locator_write prints for two hashes, read back from a file. */
static bool
written(enum cs_format format, const char *want, size_t want_len)
{
	uint8_t hashes[2][32];
	char got[256];
	struct cs_out out;
	FILE *f = tmpfile();
	size_t n;

	if (f == NULL)
		return false;
	memset(hashes[0], 0x11, 32);
	memset(hashes[1], 0, 32);
	hashes[1][31] = 0xab; /* display order: "ab00...00" */
	cs_out_init(&out, fileno(f));
	cs_locator_write(&out, format, (const uint8_t(*)[32])hashes, 2);
	if (cs_out_finish(&out, NULL) != 0 || fseek(f, 0, SEEK_SET) != 0) {
		fclose(f);
		return false;
	}
	n = fread(got, 1, sizeof(got), f);
	fclose(f);
	return n == want_len && memcmp(got, want, n) == 0;
}

static void
write_tests(void)
{
	char text[140], json[140];
	uint8_t cbor[1 + 2 * 34], *p = cbor;

	/* CBOR: array(2), then two bstr(32) in internal order */
	*p++ = 0x82;
	*p++ = 0x58, *p++ = 32, memset(p, 0x11, 32), p += 32;
	*p++ = 0x58, *p++ = 32, memset(p, 0, 32), p[31] = 0xab, p += 32;
	snprintf(text, sizeof(text), "%s\nab%062d\n", "1111111111111111111111111111111111111111111111111111111111111111", 0);
	snprintf(json, sizeof(json), "[\"%s\",\"ab%062d\"]\n",
	    "1111111111111111111111111111111111111111111111111111111111111111", 0);
	check(written(CS_FORMAT_CBOR, (const char *)cbor, sizeof(cbor)), "cs_locator_write cbor: an array of two bstr(32)");
	check(written(CS_FORMAT_JSON, json, strlen(json)), "cs_locator_write json: one array line, display order");
	check(written(CS_FORMAT_TEXT, text, strlen(text)), "cs_locator_write text: a hash per line");
	check(written(CS_FORMAT_HEX, text, strlen(text)), "cs_locator_write hex: as text");
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

	fork_point_tests();
	write_tests();
	printf("1..%u\n", tests_run);
	return tests_failed == 0 ? 0 : 1;
}
