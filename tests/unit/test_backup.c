/*
 * test_backup.c - the backup workflows (backup.h) and what they read of
 * LevelDB (leveldb.h): the names of timestamped backups and their
 * collisions, the rotation, a backup to a name and into a directory, the
 * restore's steps (nothing there, an empty directory, a store with and
 * without force, what is refused), and the export's order, on the btcd
 * reorg chain of tests/data (genesis-1-2-3-4, then 3A-4A-5A off block 2:
 * main 0,1,2,3A,4A,5A; forks the old 3 and 4). Run from the repository
 * root; prints TAP and exits 1 if any test fails.
 */
#include "backup.h"
#include "chain.h"
#include "exit.h"
#include "fs.h"
#include "genesis.h"
#include "hex.h"
#include "leveldb.h"
#include "network.h"
#include "reader.h"
#include "store.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fixture.h"
#include "tap.h"

/* headers.csv of tests/data/mainnet/btcd_reorg */
#define HASH_5A "00000000195f85184e77c18914bd0febd11278d950f5e4731a38f71ed79f044e"
#define HASH_OLD3 "00000000bc3589303953766cc9364130cb97bc3749bae170f476d45f1e23f850"
#define HASH_OLD4 "000000002f264d6504013e73b9c913de9098d4d771c1bb219af475d2a01b128e"

static char root[64] = "/tmp/cs-test-backup.XXXXXX";

static const char *
at(const char *name)
{
	return fixture_at(root, name);
}

static void
touch(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT, 0644);

	if (fd >= 0)
		close(fd);
}

/* The tip of the store at dir, in display hex, or "" when it does not
 * open. */
static const char *
tip_of(const char *dir)
{
	static char hex[CS_HASH_HEX];
	struct cs_error err;
	struct cs_store s;
	uint8_t hash[32];

	hex[0] = '\0';
	if (cs_store_open(&s, dir, "test_backup", 0, &err) == 0 && cs_store_get_tip(&s, hash, &err) == 0)
		cs_hash_to_display(hash, hex);
	cs_store_close(&s);
	return hex;
}

static void
name_tests(void)
{
	char name[CS_BACKUP_NAME_LEN + 1];
	struct cs_error err;
	/* 1700000000 s is 2023-11-14 22:13:20 UTC */
	const int64_t now = 1700000000123456;

	check(cs_backup_is_name("20231114T221320.123456Z"), "is_name: a backup's name");
	check(!cs_backup_is_name("20231114T221320.123456") && !cs_backup_is_name("20231114T221320.123456Z1") &&
	    !cs_backup_is_name("2023-11-14") && !cs_backup_is_name("20231114X221320.123456Z") &&
	    !cs_backup_is_name("2023111aT221320.123456Z") && !cs_backup_is_name(""),
	    "is_name: anything else is not");

	mkdir(at("names"), 0777);
	check(cs_backup_next_name(at("names"), now, name, &err) == 0 && strcmp(name, "20231114T221320.123456Z") == 0,
	    "next_name: in an empty directory, the time itself (%s)", name);
	/* what is not a backup's name does not count */
	mkdir(at("names/29991231T235959"), 0777);
	touch(at("names/README"));
	check(cs_backup_next_name(at("names"), now, name, &err) == 0 && strcmp(name, "20231114T221320.123456Z") == 0,
	    "next_name: names not of the pattern do not count (%s)", name);
	/* a collision: the name is taken, the next microsecond is given */
	mkdir(at("names/20231114T221320.123456Z"), 0777);
	check(cs_backup_next_name(at("names"), now, name, &err) == 0 && strcmp(name, "20231114T221320.123457Z") == 0,
	    "next_name: the same microsecond taken, the next one (%s)", name);
	/* a clock behind the newest name: one microsecond after it, across
	 * a year's end; a file of that name counts too */
	touch(at("names/29991231T235959.999999Z"));
	check(cs_backup_next_name(at("names"), now, name, &err) == 0 && strcmp(name, "30000101T000000.000000Z") == 0,
	    "next_name: a clock behind the newest sorts after it (%s)", name);
	check(cs_backup_next_name(at("missing"), now, name, &err) == CS_EX_IOERR, "next_name: a missing directory, 74");
	cs_fs_remove_tree(at("names"), NULL);
}

struct removed {
	unsigned n;
	char first[CS_FS_PATH_MAX];
};

static void
on_removed(void *ctx, const char *path)
{
	struct removed *r = ctx;

	if (r->n++ == 0)
		snprintf(r->first, sizeof(r->first), "%s", path);
}

static void
rotate_tests(void)
{
	static const char *const dirs[] = { "20240101T000000.000000Z", "20240101T000000.000001Z",
		"20250101T000000.000000Z", "20260101T000000.000000Z" };
	struct removed r = { 0 };
	struct cs_error err;
	char path[64];
	int rc;

	mkdir(at("rot"), 0777);
	for (size_t i = 0; i < 4; i++) {
		snprintf(path, sizeof(path), "rot/%s", dirs[i]);
		mkdir(at(path), 0777);
	}
	touch(at("rot/20000101T000000.000000Z")); /* a file: not a backup to remove */
	mkdir(at("rot/notes"), 0777);
	touch(at("rot/20240101T000000.000000Z/inside"));
	rc = cs_backup_rotate(at("rot"), 2, on_removed, &r, &err);
	check(rc == 0 && r.n == 2, "rotate --keep 2 of 4: two removed (%u)", r.n);
	check(strcmp(r.first, at("rot/20240101T000000.000000Z")) == 0, "rotate: the oldest goes first (%s)", r.first);
	check(!fixture_exists(at("rot/20240101T000000.000000Z")) && !fixture_exists(at("rot/20240101T000000.000001Z")) &&
	    fixture_exists(at("rot/20250101T000000.000000Z")) && fixture_exists(at("rot/20260101T000000.000000Z")),
	    "rotate: the newest two stay");
	check(fixture_exists(at("rot/20000101T000000.000000Z")) && fixture_exists(at("rot/notes")),
	    "rotate: a file of a backup's name and other names stay");
	r.n = 0;
	check(cs_backup_rotate(at("rot"), 5, on_removed, &r, &err) == 0 && r.n == 0,
	    "rotate: fewer than keep, nothing removed");
	check(cs_backup_rotate(at("rot"), 1, NULL, NULL, &err) == 0 && !fixture_exists(at("rot/20250101T000000.000000Z")),
	    "rotate: without a callback");
	cs_fs_remove_tree(at("rot"), NULL);
}

struct calls {
	unsigned paused, backed_up, removed;
};

static void
on_paused(void *ctx)
{
	((struct calls *)ctx)->paused++;
}

static void
on_backed_up(void *ctx, const struct cs_backup_job *job)
{
	((struct calls *)ctx)->backed_up++;
}

static void
on_job_removed(void *ctx, const char *path)
{
	((struct calls *)ctx)->removed++;
}

static void
job_init(struct cs_backup_job *job, const char *store, struct calls *calls)
{
	memset(job, 0, sizeof(*job));
	memset(calls, 0, sizeof(*calls));
	job->store = store;
	job->command = "test_backup";
	job->paused = on_paused;
	job->backed_up = on_backed_up;
	job->removed = on_job_removed;
	job->ctx = calls;
}

/* Whether dir holds nothing whose name has ".cs-backup-" in it. */
static bool
no_leftovers(const char *dir)
{
	char cmd[CS_FS_PATH_MAX + 64];

	snprintf(cmd, sizeof(cmd), "test -z \"$(ls -A '%s' | grep cs-backup-)\"", dir);
	return system(cmd) == 0;
}

static void
backup_tests(const char *store)
{
	char tip[CS_HASH_HEX];
	struct cs_backup_job job;
	struct calls calls;
	struct cs_error err;
	int rc;

	snprintf(tip, sizeof(tip), "%s", tip_of(store));
	check(strcmp(tip, HASH_5A) == 0, "the reorg store's tip is 5A (%s)", tip);

	job_init(&job, store, &calls);
	rc = cs_backup_to(&job, at("b"), &err);
	check(rc == 0 && strcmp(job.made, at("b")) == 0, "backup_to: made%s%s", rc ? ": " : "", rc ? err.message : "");
	check(calls.paused == 1 && calls.backed_up == 1, "backup_to: paused once let go, reported once in place");
	check(job.stats.files > 0 && job.stats.linked > 0 && job.stats.held_us >= 0,
	    "backup_to: tables linked (%u of %u files)", job.stats.linked, job.stats.files);
	check(fixture_exists(at("b/lock")) && !fixture_exists(at("b/db/LOCK")) && !fixture_exists(at("b/db/LOG")),
	    "backup_to: a lock file; LevelDB's own files left out");
	check(strcmp(tip_of(at("b")), HASH_5A) == 0, "backup_to: the backup opens as a store, tip 5A");
	check(no_leftovers(root), "backup_to: no temporary directory left");
	job_init(&job, store, &calls);
	rc = cs_backup_to(&job, at("b"), &err);
	check(rc == CS_EX_CANTCREAT && calls.paused == 0 && calls.backed_up == 0,
	    "backup_to an existing name: 73 before anything is copied");
	rc = cs_backup_to(&job, at("nodir/b"), &err);
	check(rc == CS_EX_CANTCREAT, "backup_to a missing directory: 73");
	job_init(&job, at("nostore"), &calls);
	rc = cs_backup_to(&job, at("b2"), &err);
	check(rc == CS_EX_NOINPUT && !fixture_exists(at("b2")), "backup_to of a missing store: 66, nothing made");

	job_init(&job, store, &calls);
	rc = cs_backup_into(&job, at("into"), 1, &err);
	check(rc == 0 && calls.backed_up == 1 && calls.removed == 0, "backup_into --keep 1: the first%s%s",
	    rc ? ": " : "", rc ? err.message : "");
	rc = cs_backup_into(&job, at("into"), 1, &err);
	check(rc == 0 && calls.backed_up == 2 && calls.removed == 1, "backup_into --keep 1: the second, the first removed");
	check(strrchr(job.made, '/') != NULL && cs_backup_is_name(strrchr(job.made, '/') + 1) &&
	    strcmp(tip_of(job.made), HASH_5A) == 0,
	    "backup_into: named by its time, a store (%s)", job.made);
	check(no_leftovers(at("into")), "backup_into: no temporary directory left");
	cs_fs_remove_tree(at("into"), NULL);
}

static void
restore_tests(const char *store)
{
	struct cs_backup_job job;
	struct calls calls;
	struct cs_error err;
	int rc;

	/* nothing there: the copy is renamed into place */
	job_init(&job, at("r"), &calls);
	rc = cs_backup_restore(&job, at("b"), false, &err);
	check(rc == 0 && !job.replaced && calls.paused == 1, "restore to a free name%s%s", rc ? ": " : "",
	    rc ? err.message : "");
	check(strcmp(tip_of(at("r")), HASH_5A) == 0, "restore: the new store opens, tip 5A");
	/* a store there: refused without force */
	job_init(&job, at("r"), &calls);
	rc = cs_backup_restore(&job, at("b"), false, &err);
	check(rc == CS_EX_CANTCREAT && strstr(err.message, "use --force") != NULL && calls.paused == 0,
	    "restore over a store without force: 73 (%s)", err.message);
	rc = cs_backup_restore(&job, at("b"), true, &err);
	check(rc == 0 && job.replaced && calls.paused == 1, "restore --force: the store's database replaced");
	check(strcmp(tip_of(at("r")), HASH_5A) == 0 && fixture_exists(at("r/lock")), "restore --force: it opens, its lock kept");
	check(no_leftovers(at("r")) && no_leftovers(root), "restore: no temporary directory left");
	/* an empty directory: exchanged */
	mkdir(at("empty"), 0777);
	job_init(&job, at("empty"), &calls);
	rc = cs_backup_restore(&job, at("b"), false, &err);
	check(rc == 0 && !job.replaced && strcmp(tip_of(at("empty")), HASH_5A) == 0,
	    "restore into an empty directory: it becomes the store");
	/* what is refused */
	mkdir(at("full"), 0777);
	touch(at("full/data"));
	job_init(&job, at("full"), &calls);
	rc = cs_backup_restore(&job, at("b"), true, &err);
	check(rc == CS_EX_CANTCREAT && fixture_exists(at("full/data")) && !fixture_exists(at("full/db")),
	    "restore into a directory that is not a store: 73, untouched (%s)", err.message);
	job_init(&job, at("b"), &calls);
	rc = cs_backup_restore(&job, at("b"), true, &err);
	check(rc == CS_EX_USAGE, "restore of the store from itself: 64 (%s)", err.message);
	rc = cs_backup_restore(&job, at("nosuch"), true, &err);
	check(rc == CS_EX_NOINPUT, "restore from a missing backup: 66");
	rc = cs_backup_restore(&job, at("full"), true, &err);
	check(rc == CS_EX_NOINPUT && strstr(err.message, "no db") != NULL, "restore from what is no backup: 66");
	job_init(&job, store, &calls);
	rc = cs_backup_to(&job, at("s/inner"), &err);
	job_init(&job, store, &calls);
	rc = rc == 0 ? cs_backup_restore(&job, at("s/inner"), true, &err) : rc;
	check(rc == CS_EX_USAGE && fixture_exists(at("s/inner/db")), "restore from a backup inside the store: 64 (%s)",
	    err.message);
	cs_fs_remove_tree(at("s/inner"), NULL);
	cs_fs_remove_tree(at("full"), NULL);
	cs_fs_remove_tree(at("empty"), NULL);
	cs_fs_remove_tree(at("r"), NULL);
}

static void
export_tests(const char *store)
{
	static const char *const want[] = { "0 main", "1 main", "2 main", "3 main", "4 main", "5 main",
		"3 fork " HASH_OLD3, "4 fork " HASH_OLD4 };
	struct cs_print how = { .format = CS_FORMAT_TEXT, .branchlen = -1 };
	char line[512], got[160];
	struct cs_error err;
	struct cs_store s;
	struct cs_out out;
	uint64_t count = 0;
	size_t n = 0;
	bool order = true;
	FILE *f = tmpfile();
	int rc;

	if (f == NULL || (rc = cs_store_open(&s, store, "test_backup", 0, &err)) != 0) {
		check(false, "export: the store opens");
		return;
	}
	cs_out_init(&out, fileno(f));
	rc = cs_backup_export(&s, &out, &how, NULL, &count, &err);
	if (rc == 0)
		rc = cs_out_flush(&out, &err);
	cs_out_finish(&out, NULL);
	cs_store_close(&s);
	check(rc == 0 && count == 8, "export: 8 entries (%llu)", (unsigned long long)count);
	rewind(f);
	/* text: "HEIGHT  HASH  STATUS  CHAINWORK", each line followed by its
	 * decoded header ("  key  value" lines, skipped here) */
	while (fgets(line, sizeof(line), f) != NULL) {
		unsigned height;
		char hash[65], status[8];

		if (strncmp(line, "  ", 2) == 0 && line[2] >= 'a' && line[2] <= 'z')
			continue;
		if (sscanf(line, "%u %64s %7s", &height, hash, status) != 3)
			break;
		if (strcmp(status, "fork") == 0)
			snprintf(got, sizeof(got), "%u %s %s", height, status, hash);
		else
			snprintf(got, sizeof(got), "%u %s", height, status);
		if (n >= 8 || strcmp(got, want[n]) != 0) {
			printf("# line %zu: %s\n", n, got);
			order = false;
		}
		n++;
	}
	fclose(f);
	check(order && n == 8, "export: the main chain by height, then the forks by height");
}

static void
leveldb_tests(const char *store)
{
	char db[CS_FS_PATH_MAX + 8], name[CS_FS_PATH_MAX + 40];
	struct cs_leveldb_live live;
	unsigned linked = 0;

	check(cs_leveldb_file_kind("000005.ldb") == CS_LEVELDB_TABLE &&
	    cs_leveldb_file_kind("000005.sst") == CS_LEVELDB_TABLE, "file_kind: .ldb and .sst are tables");
	check(cs_leveldb_file_kind("LOCK") == CS_LEVELDB_PRIVATE && cs_leveldb_file_kind("LOG.old") == CS_LEVELDB_PRIVATE &&
	    cs_leveldb_file_kind("000007.dbtmp") == CS_LEVELDB_PRIVATE, "file_kind: LevelDB's private files");
	check(cs_leveldb_file_kind("CURRENT") == CS_LEVELDB_MUTABLE &&
	    cs_leveldb_file_kind("MANIFEST-000002") == CS_LEVELDB_MUTABLE &&
	    cs_leveldb_file_kind("000003.log") == CS_LEVELDB_MUTABLE && cs_leveldb_file_kind(".ldb") == CS_LEVELDB_MUTABLE,
	    "file_kind: the rest is mutable");
	snprintf(db, sizeof(db), "%s/db", store);
	check(cs_leveldb_live_read(db, &live) == 0, "live_read: the store's MANIFEST replays");
	for (size_t i = 0; i < live.n; i++) {
		snprintf(name, sizeof(name), "%s/%06llu.ldb", db, (unsigned long long)live.v[i].number);
		linked += fixture_exists(name);
	}
	check(live.n > 0 && linked == live.n, "live_read: each live table (%zu) has its file", live.n);
	check(!cs_leveldb_live_has(&live, "999999.ldb"), "live_has: a table the MANIFEST does not list is not live");
	cs_leveldb_live_free(&live);
	check(cs_leveldb_live_read(at("nosuch"), &live) == -1, "live_read: no CURRENT, -1");
	cs_leveldb_live_free(&live);
}

int
main(void)
{
	char store[CS_FS_PATH_MAX];
	struct cs_error err;
	int rc;

	if (mkdtemp(root) == NULL) {
		printf("Bail out! cannot make a temporary directory: %s\n", strerror(errno));
		return 1;
	}
	name_tests();
	rotate_tests();
	/* at() gives each path for a few calls only */
	snprintf(store, sizeof(store), "%s", at("s"));
	rc = fixture_blk_store(store, "test_backup", fixture_reorg_files, FIXTURE_REORG_COUNT, true, &err);
	check(rc == 0, "the btcd reorg store builds%s%s", rc ? ": " : "", rc ? err.message : "");
	if (rc == 0) {
		leveldb_tests(store);
		export_tests(store);
		backup_tests(store);
		restore_tests(store);
	}
	cs_fs_remove_tree(root, NULL);
	printf("1..%u\n", tests_run);
	return tests_failed == 0 ? 0 : 1;
}
