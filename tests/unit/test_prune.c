/*
 * test_prune.c - unit tests of the prune workflow (prune.h) and its
 * archive (archive.h) on real stores: the btcd reorg blocks and mainnet
 * blocks 1..255 (tests/data). Run from the top of the tree; prints TAP and
 * exits 1 if any test fails.
 *
 * The replanning is driven from the workflow's own let-go event: while
 * the pruner has let go of the store (after syncing its archive), the test
 * adds block 5A, which reorganises the chain (0-1-2-3-4 with 3A-4A off 2
 * becomes 0-1-2-3A-4A-5A with 3-4 off 2), as another command could.
 */
#include "archive.h"
#include "chain.h"
#include "exit.h"
#include "genesis.h"
#include "header.h"
#include "network.h"
#include "prune.h"
#include "reader.h"
#include "stat.h"
#include "store.h"

#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fixture.h"
#include "tap.h"

#define REORG "tests/data/mainnet/btcd_reorg/"
#define BLOCKS "tests/data/blocks/btcd_blocks_1-255.dat"
#define HEADERS "tests/data/mainnet/headers_0-10236.bin"

static char tmp[64] = "/tmp/cs-test-prune.XXXXXX";

static int
fixture_blk_store_prune(const char *dir, const char *const *files, size_t n, bool create, struct cs_error *err)
{
	return fixture_blk_store(dir, "test_prune", files, n, create, err);
}

/* The hashes of the blocks of a blk file, in its order. */
static size_t
block_hashes(const char *file, uint8_t (*out)[32], size_t max)
{
	struct cs_reader r;
	struct cs_record rec;
	struct cs_error err;
	size_t n = 0;

	if (cs_reader_open(&r, file, CS_FORMAT_BLK, cs_network_find("mainnet")->magic, &err) != 0)
		return 0;
	while (n < max && cs_reader_next(&r, &rec, true, &err) == CS_READ_RECORD)
		cs_header_hash(rec.header, out[n++]);
	cs_reader_close(&r);
	return n;
}

/* The hashes of the records of an archive, in its order. */
static size_t
archive_hashes(const char *file, uint8_t (*out)[32], size_t max)
{
	struct cs_reader r;
	struct cs_record rec;
	struct cs_error err;
	size_t n = 0;

	if (cs_reader_open(&r, file, CS_FORMAT_CBOR, NULL, &err) != 0)
		return 0;
	while (n < max && cs_reader_next(&r, &rec, true, &err) == CS_READ_RECORD)
		memcpy(out[n++], rec.hash, 32);
	cs_reader_close(&r);
	return n;
}

static void
copy_tree(const char *from, const char *to)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s' && cp -a '%s' '%s'", to, from, to);
	if (system(cmd) != 0)
		printf("# cannot copy %s\n", from);
}

static off_t
file_size(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? st.st_size : -1;
}

/* What the event callback does: at the first let-go, import a file (as
 * another command would, while the pruner does not hold the store). */
struct hook {
	const char *dir;
	const char *file;
	int let_go, cuts;
	int rc;
	struct cs_error err;
};

static void
on_event(void *ctx, enum cs_prune_event ev, const struct cs_prune *p)
{
	struct hook *h = ctx;

	if (ev == CS_PRUNE_ARCHIVE_CUT)
		h->cuts++;
	if (ev == CS_PRUNE_LET_GO) {
		if (cs_store_held(p->store))
			h->rc = -1; /* said let go while it still held it */
		else if (h->let_go == 0 && h->file != NULL)
			h->rc = fixture_blk_store_prune(h->dir, &h->file, 1, false, &h->err);
		h->let_go++;
	}
}

/* What the store at dir says about hash: 0 missing, 1 without a body, 2
 * with one. */
static int
entry_state(const char *dir, const uint8_t hash[32])
{
	struct cs_error err;
	struct cs_store s;
	char *body;
	size_t len;
	bool exists;
	int state = -1, rc;

	if (cs_store_open(&s, dir, "test_prune", 0, &err) != 0)
		return -1;
	if (cs_store_has_entry(&s, hash, &exists, &err) == 0) {
		state = exists;
		if (exists && (rc = cs_store_get_body(&s, hash, &body, &len, &err)) == 0) {
			state = 2;
			cs_store_free(body);
		}
	}
	cs_store_close(&s);
	return state;
}

static int
count_tip(void *ctx, const uint8_t hash[32], struct cs_error *err)
{
	(*(size_t *)ctx)++;
	return 0;
}

static int
store_stat(const char *dir, struct cs_stat *st, uint8_t tip[32], size_t *tips)
{
	struct cs_error err;
	struct cs_store s;
	int rc;

	if ((rc = cs_store_open(&s, dir, "test_prune", 0, &err)) != 0)
		return rc;
	*tips = 0;
	if ((rc = cs_stat_store(&s, false, st, &err)) == 0 && (rc = cs_store_get_tip(&s, tip, &err)) == 0)
		rc = cs_store_each_tip(&s, count_tip, tips, &err);
	cs_stat_free(st);
	cs_store_close(&s);
	return rc;
}

static void
parse_time_tests(void)
{
	static const struct {
		const char *text;
		int rc;
		uint32_t time;
	} cases[] = {
		/* the genesis block's time, 2009-01-03 18:15:05 UTC (published) */
		{ "1231006505", 0, 1231006505 },
		{ "2009-01-03T18:15:05Z", 0, 1231006505 },
		{ "2009-01-03T18:15:05", 0, 1231006505 },
		{ "2009-01-03T18:15", 0, 1231006500 },
		{ "2009-01-03", 0, 1230940800 },
		{ "1970-01-01", 0, 0 },
		{ "0", 0, 0 },
		{ "2106-02-07T06:28:15Z", 0, UINT32_MAX },
		{ "2024-02-29", 0, 1709164800 },
		{ "2106-02-07T06:28:16Z", -1, 0 },
		{ "4294967296", -1, 0 },
		{ "2023-02-29", -1, 0 },
		{ "2009-13-01", -1, 0 },
		{ "2009-01-03T24:00", -1, 0 },
		{ "2009-01-03T18:60", -1, 0 },
		{ "2009-1-3", -1, 0 },
		{ "2009-01-03 18:15:05", -1, 0 },
		{ "2009-01-03T18:15:05+01:00", -1, 0 },
		{ "2009-01-03T18", -1, 0 },
		{ "1969-12-31", -1, 0 },
		{ "-1", -1, 0 },
		{ " 1231006505", -1, 0 },
		{ "", -1, 0 },
		{ "yesterday", -1, 0 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint32_t t = 12345;
		int rc = cs_prune_parse_time(cases[i].text, &t);

		if (cases[i].rc == 0)
			check(rc == 0 && t == cases[i].time, "parse time '%s': %u (got %d, %u)", cases[i].text,
			    cases[i].time, rc, t);
		else
			check(rc == -1 && t == 12345, "parse time '%s': refused, nothing written", cases[i].text);
	}
}

/* Forks planned, archived; while the pruner lets go to sync the archive,
 * 5A arrives and the chain reorganises: the fork table is planned again,
 * what is new (3, 4) is archived before it goes, and 3A, 4A, now main
 * chain, stay. */
static void
replan_tests(const char *base)
{
	static const char *const files[] = { REORG "blk_0_to_4.dat", REORG "blk_3A.dat", REORG "blk_4A.dat" };
	char dir[128], archive[128];
	uint8_t main[5][32], a3[1][32], a4[1][32], a5[1][32], got[8][32], tip[32];
	struct cs_prune_options o = { .command = "test_prune", .forks_on = true, .keep_forks = 0 };
	struct hook h = { .file = REORG "blk_5A.dat" };
	struct cs_prune_result result;
	struct cs_error err;
	struct cs_stat st;
	size_t tips, n;
	int rc;

	snprintf(dir, sizeof(dir), "%s/replan", base);
	snprintf(archive, sizeof(archive), "%s/replan.cbor", base);
	rc = fixture_blk_store_prune(dir, files, 3, true, &err);
	check(rc == 0, "replan: the reorg store before 5A builds%s%s", rc ? ": " : "", rc ? err.message : "");
	if (rc != 0)
		return;
	check(block_hashes(REORG "blk_0_to_4.dat", main, 5) == 5 && block_hashes(REORG "blk_3A.dat", a3, 1) == 1 &&
		block_hashes(REORG "blk_4A.dat", a4, 1) == 1 && block_hashes(REORG "blk_5A.dat", a5, 1) == 1,
	    "replan: the blocks' hashes read");
	o.dir = h.dir = dir;
	o.archive = archive;
	o.event = on_event;
	o.event_ctx = &h;
	rc = cs_prune_store(&o, &result, &err);
	check(rc == 0 && h.rc == 0, "replan: the prune succeeds with 5A added while it let go%s%s", rc ? ": " : "",
	    rc ? err.message : h.rc ? h.err.message : "");
	check(h.let_go >= 2, "replan: let go to sync the archive, twice (got %d)", h.let_go);
	check(result.stats.fork_entries == 2 && result.stats.fork_bodies == 2,
	    "replan: two fork entries dropped, with their bodies (got %llu, %llu)",
	    (unsigned long long)result.stats.fork_entries, (unsigned long long)result.stats.fork_bodies);
	check(entry_state(dir, main[3]) == 0 && entry_state(dir, main[4]) == 0,
	    "replan: 3 and 4, the fork after the reorganisation, are gone");
	check(entry_state(dir, a3[0]) == 2 && entry_state(dir, a4[0]) == 2 && entry_state(dir, a5[0]) == 2,
	    "replan: 3A, 4A (planned to go, main chain now) and 5A stay, with their bodies");
	rc = store_stat(dir, &st, tip, &tips);
	check(rc == 0 && tips == 1 && memcmp(tip, a5[0], 32) == 0 && st.entries == 6 && st.forks == 0,
	    "replan: one chain tip, 5A; 6 entries, no fork (got %zu tips, %llu entries)", tips,
	    (unsigned long long)st.entries);
	n = archive_hashes(archive, got, 8);
	check(n == 4 && memcmp(got[0], a3[0], 32) == 0 && memcmp(got[1], a4[0], 32) == 0 &&
		memcmp(got[2], main[3], 32) == 0 && memcmp(got[3], main[4], 32) == 0,
	    "replan: the archive holds 3A, 4A (the first plan), then 3, 4 (the second) (got %zu records)", n);

	/* Bodies: 0 (blk_0_to_4.dat holds the genesis block), 1, 2, 3 are
	 * planned (more than 0 below tip 4); 3 is a fork once 5A arrived,
	 * and keeps its body. */
	snprintf(dir, sizeof(dir), "%s/bodies", base);
	snprintf(archive, sizeof(archive), "%s/bodies.cbor", base);
	rc = fixture_blk_store_prune(dir, files, 3, true, &err);
	memset(&h, 0, sizeof(h));
	h.file = REORG "blk_5A.dat";
	o = (struct cs_prune_options){ .command = "test_prune", .bodies_on = true, .keep_bodies = 0, .force = true };
	o.dir = h.dir = dir;
	o.archive = archive;
	o.event = on_event;
	o.event_ctx = &h;
	if (rc == 0)
		rc = cs_prune_store(&o, &result, &err);
	check(rc == 0 && h.rc == 0, "reorganised while let go: the prune succeeds%s%s", rc ? ": " : "",
	    rc ? err.message : "");
	check(result.body_plan == 4 && result.stats.bodies == 3,
	    "reorganised while let go: 4 bodies planned, 3 dropped (got %zu, %llu)", result.body_plan,
	    (unsigned long long)result.stats.bodies);
	check(entry_state(dir, main[0]) == 1 && entry_state(dir, main[1]) == 1 && entry_state(dir, main[2]) == 1,
	    "reorganised while let go: 0, 1 and 2, still main chain, lost their bodies");
	check(entry_state(dir, main[3]) == 2 && entry_state(dir, main[4]) == 2,
	    "reorganised while let go: 3, now a fork, keeps its body (and 4)");
	n = archive_hashes(archive, got, 8);
	check(n == 4 && memcmp(got[0], main[0], 32) == 0 && memcmp(got[3], main[3], 32) == 0,
	    "reorganised while let go: the archive holds 0, 1, 2, 3 (got %zu)", n);
}

/* A record torn at the end of an archive is cut off; bytes that are not
 * records are not. */
static void
archive_tests(const char *base)
{
	char path[128], junk[128], cmd[512];
	struct cs_archive a;
	struct cs_error err;
	uint64_t whole;
	off_t size;
	int rc;

	snprintf(path, sizeof(path), "%s/replan.cbor", base);
	size = file_size(path);
	rc = cs_archive_whole(path, &whole, &err);
	check(rc == 0 && size > 100 && whole == (uint64_t)size, "archive: a whole archive is whole (%lld bytes)",
	    (long long)size);
	/* a run killed while it wrote: the first 100 bytes of a record again */
	snprintf(cmd, sizeof(cmd), "head -c 100 '%s' >>'%s'", path, path);
	if (system(cmd) != 0)
		printf("# cannot append\n");
	rc = cs_archive_whole(path, &whole, &err);
	check(rc == 0 && whole == (uint64_t)size, "archive: a torn tail: the whole records end at %lld (got %llu)",
	    (long long)size, (unsigned long long)whole);
	cs_archive_init(&a);
	rc = cs_archive_open(&a, path, &err);
	check(rc == 0 && a.cut_bytes == 100 && a.cut_at == (uint64_t)size && file_size(path) == size &&
		a.synced == size,
	    "archive: opening cuts the 100 torn bytes at %lld (got %llu at %llu)", (long long)size,
	    (unsigned long long)a.cut_bytes, (unsigned long long)a.cut_at);
	check(cs_archive_close(&a, &err) == 0, "archive: closes");

	/* a file that held something else first is not ours to cut */
	snprintf(junk, sizeof(junk), "%s/junk.cbor", base);
	snprintf(cmd, sizeof(cmd), "printf 'keep me' >'%s' && head -c 100 '%s' >>'%s'", junk, path, junk);
	if (system(cmd) != 0)
		printf("# cannot write\n");
	size = file_size(junk);
	rc = cs_archive_whole(junk, &whole, &err);
	check(rc == 0 && whole == UINT64_MAX, "archive: 'keep me' then a torn record: not records, no torn tail");
	cs_archive_init(&a);
	rc = cs_archive_open(&a, junk, &err);
	check(rc == 0 && a.cut_bytes == 0 && file_size(junk) == size, "archive: ... and left whole by the open");
	cs_archive_close(&a, &err);
	/* whole records, then bytes that do not start a map */
	snprintf(cmd, sizeof(cmd), "cp '%s' '%s' && printf 'xyz' >>'%s'", path, junk, junk);
	if (system(cmd) != 0)
		printf("# cannot write\n");
	size = file_size(junk);
	cs_archive_init(&a);
	rc = cs_archive_open(&a, junk, &err);
	check(rc == 0 && a.cut_bytes == 0 && file_size(junk) == size, "archive: records then 'xyz': nothing cut");
	cs_archive_close(&a, &err);
	cs_archive_init(&a);
	rc = cs_archive_open(&a, "/dev/null", &err);
	check(rc == CS_EX_CANTCREAT && strcmp(err.message, "cannot create archive '/dev/null': not a regular file") == 0,
	    "archive: /dev/null is refused, 73 (got %d: %s)", rc, rc ? err.message : "");
	cs_archive_close(&a, &err);
}

/* The height Core's FindEarliestAtLeast finds for time - 7200, worked out
 * here from the headers file itself. */
static long
core_height_for_time(const uint8_t *headers, size_t count, uint32_t time)
{
	uint32_t goal = time > 7200 ? time - 7200 : 0, most = 0;

	for (size_t h = 0; h < count; h++) {
		const uint8_t *t = headers + 80 * h + 68;
		uint32_t v = (uint32_t)t[0] | (uint32_t)t[1] << 8 | (uint32_t)t[2] << 16 | (uint32_t)t[3] << 24;

		most = v > most ? v : most;
		if (most >= goal)
			return (long)h;
	}
	return -1;
}

static void
height_tests(const char *base)
{
	static const char *const files[] = { BLOCKS };
	uint8_t *headers = malloc(256 * 80), tip[32];
	char dir[128], copy[128];
	struct cs_prune_options o = { .command = "test_prune", .height_on = true, .height = 100, .force = true };
	struct cs_prune_result result;
	struct cs_error err;
	struct cs_stat st;
	struct cs_store s;
	struct cs_prune p;
	size_t tips;
	FILE *f = fopen(HEADERS, "rb");
	int rc;

	if (headers == NULL || f == NULL || fread(headers, 80, 256, f) != 256) {
		check(false, "heights: cannot read %s", HEADERS);
		free(headers);
		if (f != NULL)
			fclose(f);
		return;
	}
	fclose(f);
	snprintf(dir, sizeof(dir), "%s/blocks", base);
	snprintf(copy, sizeof(copy), "%s/blocks-copy", base);
	rc = fixture_blk_store_prune(dir, files, 1, true, &err);
	check(rc == 0, "heights: blocks 1..255 store builds%s%s", rc ? ": " : "", rc ? err.message : "");
	rc = store_stat(dir, &st, tip, &tips);
	check(rc == 0 && st.bodies == 255 && st.prune_height == 1,
	    "heights: every body but the genesis's: pruneheight 1 (got %llu)", (unsigned long long)st.prune_height);

	/* time to height, as Core's pruneblockchain finds it */
	if (cs_store_open(&s, dir, "test_prune", 0, &err) == 0 && cs_prune_init(&p, &s, &err) == 0) {
		static const uint32_t times[] = { 0, 7200, 1231006505, 1231469665 + 7200, 1231469665 + 7199,
			1231731025, 1232000000, 1231734000 };
		bool good = true;

		for (size_t i = 0; i < sizeof(times) / sizeof(times[0]); i++) {
			long want = core_height_for_time(headers, 256, times[i]);
			uint32_t got = 99999;

			rc = cs_prune_height_for_time(&p, times[i], &got, &err);
			if (want < 0 ? rc != CS_EX_NOTFOUND : rc != 0 || got != (uint32_t)want) {
				printf("# time %u: want %ld, got %d %u\n", times[i], want, rc, got);
				good = false;
			}
		}
		check(good, "heights: time to height matches FindEarliestAtLeast(time - 7200) on mainnet 0..255");
		cs_prune_free(&p);
	}
	cs_store_close(&s);

	copy_tree(dir, copy);
	o.dir = copy;
	rc = cs_prune_store(&o, &result, &err);
	check(rc == 0 && result.stats.bodies == 100, "--keep-bodies-above 100 --force: 100 bodies go (got %llu)",
	    (unsigned long long)result.stats.bodies);
	rc = store_stat(copy, &st, tip, &tips);
	check(rc == 0 && st.bodies == 155 && st.pruned == 100 && st.prune_height == 101,
	    "--keep-bodies-above 100: pruneheight 101, 155 bodies left (got %llu, %llu)",
	    (unsigned long long)st.prune_height, (unsigned long long)st.bodies);

	copy_tree(dir, copy);
	o.force = false;
	rc = cs_prune_store(&o, &result, &err);
	check(rc == 0 && result.body_plan == 0 && result.stats.bodies == 0,
	    "--keep-bodies-above 100 without --force: none within 288 of tip 255 goes");
	o.force = true;
	o.height = 256;
	rc = cs_prune_store(&o, &result, &err);
	check(rc == CS_EX_NOTFOUND && strcmp(err.message, "--keep-bodies-above 256: the tip is at height 255") == 0,
	    "--keep-bodies-above 256: above the tip, 1 (got %d: %s)", rc, rc ? err.message : "");
	o.height = 255;
	rc = cs_prune_store(&o, &result, &err);
	check(rc == 0 && result.stats.bodies == 254, "--keep-bodies-above 255 --force: the tip's body stays (got %llu)",
	    (unsigned long long)result.stats.bodies);
	rc = store_stat(copy, &st, tip, &tips);
	check(rc == 0 && st.prune_height == 255, "... pruneheight 255 (got %llu)", (unsigned long long)st.prune_height);
	free(headers);
}

int
main(void)
{
	char dir[128];

	parse_time_tests();
	if (mkdtemp(tmp) == NULL) {
		check(false, "cannot make a temporary directory");
	} else {
		snprintf(dir, sizeof(dir), "%s", tmp);
		replan_tests(dir);
		archive_tests(dir);
		height_tests(dir);
		snprintf(dir, sizeof(dir), "rm -rf '%s'", tmp);
		if (system(dir) != 0)
			printf("# cannot remove %s\n", tmp);
	}
	printf("1..%u\n", tests_run);
	return tests_failed == 0 ? 0 : 1;
}
