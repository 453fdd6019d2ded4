/*
 * test_get.c - unit tests of what cs-get prints (get.c), on the btcd reorg
 * store (0..4, then 3A 4A 5A): entries by hash, height, range and the
 * newest N in text, in order; what is missing goes to the callback with
 * its message, and the status becomes 1, while the rest is printed.
 * Prints TAP; exits 1 if any test fails.
 */
#include "exit.h"
#include "get.h"
#include "hex.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fixture.h"
#include "tap.h"

#define HASH_5A "00000000195f85184e77c18914bd0febd11278d950f5e4731a38f71ed79f044e"
#define HASH_4 "000000002f264d6504013e73b9c913de9098d4d771c1bb219af475d2a01b128e"

static char said[8][CS_ERROR_MAX];
static size_t nsaid;

static void
on_missing(void *ctx, const char *message)
{
	if (nsaid < 8)
		snprintf(said[nsaid++], sizeof(said[0]), "%s", message);
}

/* The heights and statuses printed (text lines, the decoded ones left
 * out), as "H status" joined by commas. */
static void
printed(FILE *f, char *out, size_t len)
{
	char line[512];

	out[0] = '\0';
	rewind(f);
	while (fgets(line, sizeof(line), f) != NULL) {
		unsigned height;
		char hash[65], status[16];

		if (sscanf(line, "%u %64s %15s", &height, hash, status) != 3)
			continue;
		snprintf(out + strlen(out), len - strlen(out), "%s%u %s", out[0] ? "," : "", height, status);
	}
}

/* Runs calls on a fresh cs_get printing text into a file (err is the
 * caller's); what was printed into got, the status into *st. */
#define RUN(store, got, st, calls)                                                                       \
	do {                                                                                                 \
		struct cs_print how = { .format = CS_FORMAT_TEXT, .branchlen = -1 };                         \
		struct cs_out out;                                                                           \
		struct cs_get g;                                                                             \
		FILE *f = tmpfile();                                                                         \
		int rc = 0;                                                                                  \
		nsaid = 0;                                                                                   \
		cs_out_init(&out, fileno(f));                                                                \
		cs_get_init(&g, store, &out, &how);                                                          \
		g.missing = on_missing;                                                                      \
		calls;                                                                                       \
		cs_out_finish(&out, NULL);                                                                   \
		cs_get_free(&g);                                                                             \
		printed(f, got, sizeof(got));                                                                \
		fclose(f);                                                                                   \
		*(st) = rc != 0 ? rc : g.status;                                                             \
	} while (0)

int
main(void)
{
	char dir[] = "/tmp/cs-test-get.XXXXXX", store_dir[64], got[256], cmd[128];
	uint8_t h5a[32], h4[32], unknown[32];
	struct cs_error err;
	struct cs_store s;
	int status;

	if (mkdtemp(dir) == NULL)
		return 1;
	snprintf(store_dir, sizeof(store_dir), "%s/store", dir);
	if (fixture_blk_store(store_dir, "test_get", fixture_reorg_files, FIXTURE_REORG_COUNT, true, &err) != 0 ||
	    cs_store_open(&s, store_dir, "test_get", 0, &err) != 0) {
		printf("Bail out! the reorg store: %s\n", err.message);
		return 1;
	}
	cs_hash_from_display(HASH_5A, h5a);
	cs_hash_from_display(HASH_4, h4);
	memset(unknown, 0x42, 32);

	RUN(&s, got, &status, { rc = cs_get_hash(&g, h5a, &err); if (rc == 0) rc = cs_get_hash(&g, h4, &err); });
	check(strcmp(got, "5 main,4 fork") == 0 && status == 0, "hashes: 5A on the main chain, 4 on a fork (%s)", got);

	RUN(&s, got, &status, { rc = cs_get_hash(&g, unknown, &err); if (rc == 0) rc = cs_get_height(&g, 3, &err); });
	check(strcmp(got, "3 main") == 0 && status == CS_EX_NOTFOUND && nsaid == 1 &&
	    strcmp(said[0], "'4242424242424242424242424242424242424242424242424242424242424242': not found") == 0,
	    "an unknown hash: said once, status 1, and the height after it printed (%s; %s)", got, nsaid ? said[0] : "");

	RUN(&s, got, &status, { rc = cs_get_height(&g, 9, &err); });
	check(got[0] == '\0' && status == CS_EX_NOTFOUND && nsaid == 1 && strcmp(said[0], "height 9: not found") == 0,
	    "a height above the tip: 'height 9: not found', status 1");

	RUN(&s, got, &status, { rc = cs_get_range(&g, 2, 100, &err); });
	check(strcmp(got, "2 main,3 main,4 main,5 main") == 0 && status == 0,
	    "range 2..100: to the tip, the main chain's 3A 4A 5A (%s)", got);

	RUN(&s, got, &status, { rc = cs_get_range(&g, 7, 9, &err); });
	check(got[0] == '\0' && status == CS_EX_NOTFOUND && nsaid == 0, "range above the tip: nothing, status 1");

	RUN(&s, got, &status, { rc = cs_get_last(&g, 2, &err); });
	check(strcmp(got, "4 main,5 main") == 0 && status == 0, "the newest 2, oldest first (%s)", got);

	RUN(&s, got, &status, { rc = cs_get_last(&g, 100, &err); });
	check(strncmp(got, "0 main,1 main,", 14) == 0 && status == 0, "the newest 100 of 6: from the genesis (%s)", got);

	cs_store_close(&s);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		return 1;
	printf("1..%u\n", tests_run);
	return tests_failed == 0 ? 0 : 1;
}
