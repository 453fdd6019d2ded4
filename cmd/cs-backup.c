/*
 * cs-backup - a consistent backup of a live store, holding it only while its
 * files are listed and hard-linked; timestamped backups for cron; an export
 * that cs-put replays into an identical store; a check of a backup; an
 * atomic restore.
 */
#include "backup.h"
#include "check.h"
#include "cli.h"
#include "exit.h"
#include "lock.h"
#include "output.h"
#include "store.h"
#include "writer.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const char usage_text[] =
    "[-qv] [-s DIR] [-w SECONDS] [--copy] DEST\n"
    "[-qv] [-s DIR] [-w SECONDS] [--copy] --into DIR [--keep N]\n"
    "[-qv] [-s DIR] [-w SECONDS] [-f FORMAT] --export\n"
    "[-qv] [-w SECONDS] --verify DIR\n"
    "[-qv] [-s DIR] [-w SECONDS] [--force] --restore DIR";

enum { OPT_COPY = 256, OPT_EXPORT, OPT_FORCE, OPT_INTO, OPT_KEEP, OPT_RESTORE, OPT_VERIFY };

static const char options_text[] =
    "  --into DIR            a new backup inside DIR, named by its UTC time\n"
    "  --keep N              with --into: keep the newest N backups in DIR\n"
    "  --copy                copy the tables too: a backup that shares no file with the store\n"
    "  --export              print every entry, bodies included\n"
    "  -f, --format FORMAT   with --export: cbor, json, text or hex\n"
    "  --verify DIR          check the backup in DIR as cs-check does\n"
    "  --restore DIR         make the store from the backup in DIR\n"
    "  --force               with --restore: replace an existing store\n";

static const struct option long_options[] = {
	{ "copy", no_argument, NULL, OPT_COPY },
	{ "export", no_argument, NULL, OPT_EXPORT },
	{ "force", no_argument, NULL, OPT_FORCE },
	{ "format", required_argument, NULL, 'f' },
	{ "into", required_argument, NULL, OPT_INTO },
	{ "keep", required_argument, NULL, OPT_KEEP },
	{ "restore", required_argument, NULL, OPT_RESTORE },
	{ "verify", required_argument, NULL, OPT_VERIFY },
	CS_COMMON_LONG_OPTIONS,
};

/* A backup inside --into DIR: 20261122T051950.123456Z, fixed width, so that
 * names sort by age. */
#define NAME_LEN 23

struct backup {
	struct cs_cli cli;
	const char *store; /* the store: -s, $CS_STORE or ./chainstore */
	bool copy_tables;  /* --copy */
};

/*
 * Test hook, in the manner of git's GIT_TEST_* variables: with
 * CS_TEST_BACKUP_PAUSE naming a FIFO, stop where the store has been let go
 * (before copying data, exporting, or swapping a restore into place):
 * open the FIFO and read it to its end. A test opens it for writing, which
 * returns once cs-backup is there, acts, and closes it to let cs-backup go
 * on: no timing involved.
 */
static void
pause_for_test(void *ctx)
{
	const char *fifo = getenv("CS_TEST_BACKUP_PAUSE");
	char c;
	int fd;

	(void)ctx;
	if (fifo == NULL || fifo[0] == '\0' || (fd = open(fifo, O_RDONLY | O_CLOEXEC)) < 0)
		return;
	while (read(fd, &c, 1) > 0)
		;
	close(fd);
}

/* The store must exist before anything is made for it. */
static int
store_exists(struct backup *b, struct cs_error *err)
{
	char db[CS_BACKUP_PATH_MAX];
	struct stat st;

	if ((size_t)snprintf(db, sizeof(db), "%s/db", b->store) >= sizeof(db))
		return cs_error_set(err, CS_EX_USAGE, "store path '%s' is too long", b->store);
	if (stat(db, &st) != 0 && (errno == EACCES || errno == EPERM))
		return cs_error_set(err, CS_EX_NOPERM, "cannot open store '%s': %s", b->store, strerror(errno));
	if (stat(db, &st) != 0 || !S_ISDIR(st.st_mode))
		return cs_store_missing(b->store, err);
	return 0;
}

/* Writes err's message again with the temporary copy's path replaced by
 * the name the user gave. */
static void
rename_in_message(struct cs_error *err, const char *tmp, const char *name)
{
	char out[CS_ERROR_MAX] = "";
	size_t n = 0, tlen = strlen(tmp);
	const char *p = err->message, *hit;

	while ((hit = strstr(p, tmp)) != NULL && n < sizeof(out)) {
		n += (size_t)snprintf(out + n, sizeof(out) - n, "%.*s%s", (int)(hit - p), p, name);
		p = hit + tlen;
	}
	if (n < sizeof(out))
		snprintf(out + n, sizeof(out) - n, "%s", p);
	memcpy(err->message, out, sizeof(out));
	err->message[sizeof(err->message) - 1] = '\0';
}

/* Opens a copy as a store and lets go: it must be an initialised store of
 * a schema this chainstore knows, that LevelDB opens. Checking the copy,
 * not the original, keeps the live store out of it. */
static int
check_copy(struct backup *b, const char *tmp, const char *name, struct cs_store_meta *meta, struct cs_error *err)
{
	struct cs_store store;
	int rc = cs_store_open(&store, tmp, b->cli.prog, 0, err);

	if (rc == 0 && meta != NULL)
		*meta = store.meta;
	cs_store_close(&store);
	if (rc != 0)
		rename_in_message(err, tmp, name);
	else
		rc = cs_backup_tidy_store(tmp, err);
	return rc;
}

/* Copies the store into a new temporary directory in parent and checks
 * that the copy opens; makes it durable when asked. On failure nothing is
 * left behind. */
static int
copy_to_temp(struct backup *b, const char *parent, const char *prefix, bool durable, char *tmp, size_t len,
    struct cs_backup_copy *copy, struct cs_store_meta *meta, struct cs_error *err)
{
	int rc;

	cs_backup_remove_stale(parent, prefix);
	if ((rc = cs_backup_temp_dir(parent, prefix, tmp, len, err)) != 0)
		return rc;
	copy->command = b->cli.prog;
	copy->wait_seconds = b->cli.wait;
	copy->lock = true;
	copy->copy_tables = b->copy_tables;
	copy->released = pause_for_test;
	rc = cs_backup_copy_store(b->store, tmp, copy, err);
	if (rc == 0)
		rc = check_copy(b, tmp, b->store, meta, err);
	if (rc == 0 && durable)
		rc = cs_backup_sync_store(tmp, err);
	if (rc != 0)
		cs_backup_remove_tree(tmp, NULL);
	return rc;
}

static void
report_copy(struct backup *b, const char *dest, const struct cs_backup_stats *st)
{
	if (b->cli.verbose == 0)
		return;
	cs_warn(&b->cli, "backed up '%s' to '%s': %u files: %u linked, %u staged and copied, %u copied, %" PRIu64
	    " bytes copied, %u unused tables left out; store held %.3f ms",
	    b->store, dest, st->files, st->linked, st->staged, st->copied, st->bytes, st->dropped,
	    st->held_us / 1000.0);
}

/* The parent of a path that is to be created; it must be a directory. */
static int
creatable(const char *path, char *parent, size_t parent_len, char *name, size_t name_len, struct cs_error *err)
{
	struct stat st;

	if (lstat(path, &st) == 0)
		return cs_error_set(err, CS_EX_CANTCREAT, "cannot create backup '%s': it exists", path);
	if (errno != ENOENT)
		return cs_error_set(err, CS_EX_CANTCREAT, "cannot create backup '%s': %s", path, strerror(errno));
	if (cs_backup_split_path(path, parent, parent_len, name, name_len) != 0)
		return cs_error_set(err, CS_EX_CANTCREAT, "cannot create backup '%s': not a usable path", path);
	if (stat(parent, &st) != 0)
		return cs_error_set(err, CS_EX_CANTCREAT, "cannot create backup '%s': %s", path, strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return cs_error_set(err, CS_EX_CANTCREAT, "cannot create backup '%s': %s", path, strerror(ENOTDIR));
	return 0;
}

/* cs-backup DEST */
static int
backup_to(struct backup *b, const char *dest, struct cs_error *err)
{
	char parent[CS_BACKUP_PATH_MAX], name[NAME_MAX + 1], prefix[NAME_MAX + 16], tmp[CS_BACKUP_PATH_MAX];
	struct cs_backup_copy copy = { 0 };
	bool existed;
	int rc;

	if ((rc = creatable(dest, parent, sizeof(parent), name, sizeof(name), err)) != 0 ||
	    (rc = store_exists(b, err)) != 0)
		return rc;
	snprintf(prefix, sizeof(prefix), ".%s.cs-backup-", name);
	/* what killed backups to other names here left */
	cs_backup_remove_stale(parent, CS_BACKUP_HIDDEN_ANY);
	if ((rc = copy_to_temp(b, parent, prefix, true, tmp, sizeof(tmp), &copy, NULL, err)) != 0)
		return rc;
	/* The backup appears under its name whole, or not at all. */
	if ((rc = cs_backup_rename_noreplace(tmp, dest, &existed, err)) != 0) {
		cs_backup_remove_tree(tmp, NULL);
		return rc;
	}
	if ((rc = cs_backup_sync_dir(parent, err)) != 0)
		return rc;
	report_copy(b, dest, &copy.stats);
	return 0;
}

static bool
is_backup_name(const char *s)
{
	static const char shape[] = "DDDDDDDDTDDDDDD.DDDDDDZ";

	for (size_t i = 0; i < NAME_LEN; i++) {
		if (shape[i] == 'D' ? (s[i] < '0' || s[i] > '9') : s[i] != shape[i])
			return false;
	}
	return s[NAME_LEN] == '\0';
}

/* Microseconds since the epoch of a backup name, or -1. */
static int64_t
name_to_us(const char *s)
{
	struct tm tm = { 0 };
	long usec;
	time_t t;

	if (sscanf(s, "%4d%2d%2dT%2d%2d%2d.%6ld", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min,
		&tm.tm_sec, &usec) != 7)
		return -1;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	if ((t = timegm(&tm)) == (time_t)-1)
		return -1;
	return (int64_t)t * 1000000 + usec;
}

static void
us_to_name(int64_t us, char out[NAME_LEN + 1])
{
	time_t t = (time_t)(us / 1000000);
	char buf[64];
	struct tm tm;

	gmtime_r(&t, &tm);
	snprintf(buf, sizeof(buf), "%04d%02d%02dT%02d%02d%02d.%06ldZ", tm.tm_year + 1900, tm.tm_mon + 1,
	    tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (long)(us % 1000000));
	memcpy(out, buf, NAME_LEN);
	out[NAME_LEN] = '\0';
}

struct names {
	char (*v)[NAME_LEN + 1];
	size_t n, cap;
};

static int
by_name(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* The backups in dir (names of the pattern), oldest first. With dirs_only,
 * only directories: what --keep may remove. */
static int
list_backups(const char *dir, bool dirs_only, struct names *l, struct cs_error *err)
{
	char path[CS_BACKUP_PATH_MAX];
	struct dirent *de;
	struct stat st;
	DIR *d;

	l->n = 0;
	if ((d = opendir(dir)) == NULL)
		return cs_error_set(err, CS_EX_IOERR, "cannot open '%s': %s", dir, strerror(errno));
	while ((de = readdir(d)) != NULL) {
		if (!is_backup_name(de->d_name))
			continue;
		if (dirs_only && ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, de->d_name) >= sizeof(path) ||
				     lstat(path, &st) != 0 || !S_ISDIR(st.st_mode)))
			continue;
		if (l->n == l->cap) {
			size_t cap = l->cap ? 2 * l->cap : 32;
			char(*grown)[NAME_LEN + 1] = realloc(l->v, cap * sizeof(*grown));

			if (grown == NULL) {
				closedir(d);
				return cs_error_set(err, CS_EX_SOFTWARE, "out of memory");
			}
			l->v = grown;
			l->cap = cap;
		}
		memcpy(l->v[l->n++], de->d_name, NAME_LEN + 1);
	}
	closedir(d);
	if (l->n > 1) /* qsort takes no NULL array, even empty */
		qsort(l->v, l->n, sizeof(l->v[0]), by_name);
	return 0;
}

/* The name for a new backup in dir: the time now, or one microsecond after
 * the newest name there when the clock is behind it, so that names always
 * sort by age and --keep never takes the new backup for an old one. */
static int
next_name(const char *dir, char out[NAME_LEN + 1], struct cs_error *err)
{
	struct names l = { NULL, 0, 0 };
	struct timespec now;
	int64_t us, newest;
	int rc;

	clock_gettime(CLOCK_REALTIME, &now);
	us = (int64_t)now.tv_sec * 1000000 + now.tv_nsec / 1000;
	if ((rc = list_backups(dir, false, &l, err)) != 0)
		return rc;
	if (l.n > 0 && (newest = name_to_us(l.v[l.n - 1])) >= us)
		us = newest + 1;
	free(l.v);
	us_to_name(us, out);
	return 0;
}

/* Removes the oldest backups in dir beyond keep. Each is first renamed out
 * of the pattern, so that a crash never leaves half a backup under a
 * backup's name. */
static int
prune(struct backup *b, const char *dir, uint32_t keep, struct cs_error *err)
{
	char path[CS_BACKUP_PATH_MAX], doomed[CS_BACKUP_PATH_MAX];
	struct names l = { NULL, 0, 0 };
	int rc;

	if ((rc = list_backups(dir, true, &l, err)) != 0)
		return rc;
	for (size_t i = 0; rc == 0 && l.n > keep && i < l.n - keep; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, l.v[i]);
		if ((rc = cs_backup_temp_dir(dir, ".cs-backup-", doomed, sizeof(doomed), err)) != 0)
			break;
		if (rename(path, doomed) != 0) {
			rc = cs_error_set(err, CS_EX_IOERR, "cannot remove '%s': %s", path, strerror(errno));
			rmdir(doomed);
			break;
		}
		if ((rc = cs_backup_remove_tree(doomed, err)) == 0 && b->cli.verbose > 0)
			cs_warn(&b->cli, "removed old backup '%s'", path);
	}
	free(l.v);
	if (rc == 0)
		rc = cs_backup_sync_dir(dir, err);
	return rc;
}

/* cs-backup --into DIR [--keep N] */
static int
backup_into(struct backup *b, const char *dir, uint32_t keep, struct cs_error *err)
{
	char tmp[CS_BACKUP_PATH_MAX], name[NAME_LEN + 1], path[CS_BACKUP_PATH_MAX];
	struct cs_backup_copy copy = { 0 };
	struct stat st;
	bool existed;
	int rc;

	if ((rc = store_exists(b, err)) != 0)
		return rc;
	if (mkdir(dir, 0777) != 0 && errno != EEXIST)
		return cs_error_set(err, CS_EX_CANTCREAT, "cannot create '%s': %s", dir, strerror(errno));
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
		return cs_error_set(err, CS_EX_CANTCREAT, "cannot create a backup in '%s': %s", dir, strerror(ENOTDIR));
	if ((rc = copy_to_temp(b, dir, ".cs-backup-", true, tmp, sizeof(tmp), &copy, NULL, err)) != 0)
		return rc;
	/* Another backup may take the same name at the same moment: the
	 * rename refuses to replace it, and the next name is after it. */
	for (int tries = 0;; tries++) {
		if ((rc = next_name(dir, name, err)) != 0)
			break;
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >= sizeof(path)) {
			rc = cs_error_set(err, CS_EX_CANTCREAT, "path '%s' is too long", dir);
			break;
		}
		if ((rc = cs_backup_rename_noreplace(tmp, path, &existed, err)) == 0 || !existed || tries == 100)
			break;
	}
	if (rc != 0) {
		cs_backup_remove_tree(tmp, NULL);
		return rc;
	}
	if ((rc = cs_backup_sync_dir(dir, err)) != 0)
		return rc;
	report_copy(b, path, &copy.stats);
	return keep > 0 ? prune(b, dir, keep, err) : 0;
}

/* cs-backup --export: from a private copy of the store, made as a backup is
 * inside the store's directory, so the store is held for O(files) and the
 * output is one consistent moment however slowly it is read. */
static int
export(struct backup *b, struct cs_print *how, struct cs_error *err)
{
	struct cs_backup_copy copy = { 0 };
	struct cs_store_meta meta;
	struct cs_store snapshot;
	char tmp[CS_BACKUP_PATH_MAX];
	struct cs_out out;
	uint64_t count = 0;
	int rc;

	cs_out_init(&out, STDOUT_FILENO);
	if ((rc = store_exists(b, err)) != 0 ||
	    (rc = copy_to_temp(b, b->store, "cs-backup-", false, tmp, sizeof(tmp), &copy, &meta, err)) != 0) {
		cs_out_finish(&out, NULL);
		return rc;
	}
	how->opaque = meta.opaque;
	if ((rc = cs_store_open(&snapshot, tmp, b->cli.prog, 0, err)) == 0)
		rc = cs_backup_export(&snapshot, &out, how, &count, err);
	cs_store_close(&snapshot);
	cs_backup_remove_tree(tmp, NULL);
	if (rc == 0)
		rc = cs_out_finish(&out, err);
	else
		cs_out_finish(&out, NULL);
	if (rc == 0 && b->cli.verbose > 0)
		cs_warn(&b->cli, "exported %" PRIu64 " entries of '%s'%s; store held %.3f ms", count, b->store,
		    out.closed ? " (the reader went away)" : "", copy.stats.held_us / 1000.0);
	return rc;
}

enum target { TARGET_ABSENT, TARGET_EMPTY, TARGET_STORE };

/* What the restore would replace: nothing, an empty directory, or a store;
 * anything else is refused. path may be resolved (a symbolic link to a
 * store restores into the store it names). */
static int
restore_target(char *path, size_t len, enum target *target, struct cs_error *err)
{
	char resolved[PATH_MAX], db[CS_BACKUP_PATH_MAX];
	struct dirent *de;
	struct stat st;
	bool empty = true;
	DIR *d;

	if (lstat(path, &st) != 0) {
		if (errno != ENOENT)
			return cs_error_set(err, CS_EX_CANTCREAT, "cannot create store '%s': %s", path, strerror(errno));
		*target = TARGET_ABSENT;
		return 0;
	}
	if (S_ISLNK(st.st_mode)) {
		if (realpath(path, resolved) == NULL || strlen(resolved) >= len || stat(resolved, &st) != 0)
			return cs_error_set(err, CS_EX_CANTCREAT, "cannot create store '%s': cannot resolve it", path);
		memcpy(path, resolved, strlen(resolved) + 1);
	}
	if (!S_ISDIR(st.st_mode))
		return cs_error_set(err, CS_EX_CANTCREAT, "'%s' exists and is not a store", path);
	snprintf(db, sizeof(db), "%s/db", path);
	if (stat(db, &st) == 0 && S_ISDIR(st.st_mode)) {
		*target = TARGET_STORE;
		return 0;
	}
	if ((d = opendir(path)) == NULL)
		return cs_error_set(err, CS_EX_CANTCREAT, "cannot open '%s': %s", path, strerror(errno));
	while (empty && (de = readdir(d)) != NULL)
		empty = strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0;
	closedir(d);
	if (!empty)
		return cs_error_set(err, CS_EX_CANTCREAT, "'%s' exists and is not a store", path);
	*target = TARGET_EMPTY;
	return 0;
}

/* Puts the restored copy tmp at path: renamed there when nothing is, or
 * exchanged with an empty directory; into an existing store, only its
 * database is exchanged (while holding its lock), so that nothing else in
 * the store's directory is touched, and the old database removed. */
static int
swap_in(struct backup *b, const char *tmp, const char *path, enum target target, struct cs_error *err)
{
	char new_db[CS_BACKUP_PATH_MAX], old_db[CS_BACKUP_PATH_MAX];
	struct cs_lock lock;
	bool existed;
	int rc;

	switch (target) {
	case TARGET_ABSENT:
		return cs_backup_rename_noreplace(tmp, path, &existed, err);
	case TARGET_EMPTY:
		if ((rc = cs_backup_exchange(tmp, path, err)) == 0)
			rmdir(tmp);
		return rc;
	case TARGET_STORE:
		break;
	}
	if ((size_t)snprintf(new_db, sizeof(new_db), "%s/db", tmp) >= sizeof(new_db) ||
	    (size_t)snprintf(old_db, sizeof(old_db), "%s/db", path) >= sizeof(old_db))
		return cs_error_set(err, CS_EX_CANTCREAT, "path '%s' is too long", path);
	cs_lock_init(&lock, b->cli.prog);
	if ((rc = cs_lock_acquire(&lock, path, b->cli.wait, err)) == 0)
		rc = cs_backup_exchange(new_db, old_db, err);
	cs_lock_close(&lock);
	/* tmp now holds the old database (or, on failure, still the new one) */
	cs_backup_remove_tree(tmp, NULL);
	return rc;
}

/* Whether inner lies inside (or is) outer, both resolved. */
static bool
path_within(const char *inner, const char *outer)
{
	char a[PATH_MAX], c[PATH_MAX];
	size_t n;

	if (realpath(inner, a) == NULL || realpath(outer, c) == NULL)
		return false;
	n = strlen(c);
	return strncmp(a, c, n) == 0 && (a[n] == '\0' || a[n] == '/' || (n == 1 && c[0] == '/'));
}

/* cs-backup --restore DIR */
static int
restore(struct backup *b, const char *from, bool force, struct cs_error *err)
{
	char path[CS_BACKUP_PATH_MAX], parent[CS_BACKUP_PATH_MAX], name[NAME_MAX + 1], prefix[NAME_MAX + 16];
	char tmp[CS_BACKUP_PATH_MAX], db[CS_BACKUP_PATH_MAX];
	const char *tmp_parent;
	struct cs_backup_copy copy = { 0 };
	enum target target;
	struct stat st;
	int rc;

	if (stat(from, &st) != 0)
		return cs_error_set(err, CS_EX_FROM_ERRNO(errno), "backup '%s' not found: %s", from, strerror(errno));
	if ((size_t)snprintf(db, sizeof(db), "%s/db", from) >= sizeof(db) || stat(db, &st) != 0 || !S_ISDIR(st.st_mode))
		return cs_error_set(err, CS_EX_NOINPUT, "'%s' is not a backup: it has no db", from);
	if ((size_t)snprintf(path, sizeof(path), "%s", b->store) >= sizeof(path))
		return cs_error_set(err, CS_EX_USAGE, "store path '%s' is too long", b->store);
	if (path_within(from, path) && path_within(path, from))
		return cs_error_set(err, CS_EX_USAGE, "'%s' is the store itself", from);
	if ((rc = restore_target(path, sizeof(path), &target, err)) != 0)
		return rc;
	/* The store is replaced; what lies inside it would go with it. */
	if (target == TARGET_STORE && path_within(from, path))
		return cs_error_set(err, CS_EX_USAGE, "backup '%s' lies inside the store '%s' it would replace", from,
		    path);
	if (target == TARGET_STORE && !force)
		return cs_error_set(err, CS_EX_CANTCREAT, "store '%s' exists: use --force to replace it", path);
	if (cs_backup_split_path(path, parent, sizeof(parent), name, sizeof(name)) != 0)
		return cs_error_set(err, CS_EX_CANTCREAT, "cannot create store '%s': not a usable path", path);
	if (stat(parent, &st) != 0 || !S_ISDIR(st.st_mode))
		return cs_error_set(err, CS_EX_CANTCREAT, "cannot create store '%s': %s", path,
		    strerror(errno == 0 ? ENOTDIR : errno));

	/* The new store is made beside its name, or for an existing store
	 * inside it (where its database is exchanged, on the same file
	 * system; a store's open removes what a killed restore left there). */
	if (target == TARGET_STORE) {
		tmp_parent = path;
		snprintf(prefix, sizeof(prefix), "cs-backup-");
	} else {
		tmp_parent = parent;
		snprintf(prefix, sizeof(prefix), ".%s.cs-backup-", name);
	}
	cs_backup_remove_stale(tmp_parent, prefix);
	if ((rc = cs_backup_temp_dir(tmp_parent, prefix, tmp, sizeof(tmp), err)) != 0)
		return rc;
	/* A backup that cs-backup made has a lock: take it, in case the
	 * backup is itself a live store; a read-only one cannot be written.
	 * A symbolic link there is taken too, which refuses it (lock.c). */
	snprintf(db, sizeof(db), "%s/lock", from);
	copy.command = b->cli.prog;
	copy.wait_seconds = b->cli.wait;
	copy.lock = lstat(db, &st) == 0 && (S_ISLNK(st.st_mode) || access(db, W_OK) == 0);
	rc = cs_backup_copy_store(from, tmp, &copy, err);
	if (rc == 0) {
		/* The copy must open as a store before it replaces anything. */
		rc = check_copy(b, tmp, from, NULL, err);
	}
	if (rc == 0)
		rc = cs_backup_sync_store(tmp, err);
	if (rc != 0) {
		cs_backup_remove_tree(tmp, NULL);
		return rc;
	}
	pause_for_test(NULL);
	if ((rc = swap_in(b, tmp, path, target, err)) != 0) {
		cs_backup_remove_tree(tmp, NULL);
		return rc;
	}
	if ((rc = cs_backup_sync_dir(target == TARGET_STORE ? path : parent, err)) != 0)
		return rc;
	if (b->cli.verbose > 0)
		cs_warn(&b->cli, "restored '%s' from '%s'%s", path, from,
		    target == TARGET_STORE ? ", replacing the store that was there" : "");
	return 0;
}

/* A backup's findings, as cs-check prints a store's (at most
 * VERIFY_PRINT_MAX unless -v). */
#define VERIFY_PRINT_MAX 100

struct verify {
	const struct backup *b;
	const char *dir;
	uint64_t findings;
};

static void
on_finding(void *ctx, const char *message)
{
	struct verify *v = ctx;

	if (v->b->cli.verbose > 0 || v->findings < VERIFY_PRINT_MAX)
		cs_warn(&v->b->cli, "backup '%s' is corrupt: %s", v->dir, message);
	v->findings++;
}

/* --verify DIR: what cs-check does, on a backup; silent when it is sound. */
static int
verify(const struct backup *b, const char *dir, struct cs_error *err)
{
	struct verify v = { b, dir, 0 };
	struct cs_check_options o = { on_finding, NULL, NULL, &v };
	struct cs_check_report r;
	struct cs_store store;
	int rc;

	if ((rc = cs_store_open_as(&store, dir, b->cli.prog, b->cli.wait, true, CS_OPEN_COPY, err)) != 0) {
		cs_store_close(&store);
		return rc;
	}
	rc = cs_check_store(&store, &o, &r, err);
	cs_store_close(&store);
	if (rc != 0)
		return rc;
	if (v.findings > VERIFY_PRINT_MAX && b->cli.verbose == 0)
		cs_warn(&b->cli, "backup '%s' is corrupt: %" PRIu64 " more not shown (-v shows every one)", dir,
		    v.findings - VERIFY_PRINT_MAX);
	if (v.findings > 0)
		return cs_error_set(err, CS_EX_IOERR, "backup '%s' is corrupt: %" PRIu64 " %s found", dir, v.findings,
		    v.findings == 1 ? "problem" : "problems");
	if (b->cli.verbose > 0)
		cs_warn(&b->cli, "backup '%s' is sound: %" PRIu64 " entries, tip height %" PRIu64 "%s", dir, r.entries,
		    r.main - 1, r.hashes_verified ? "" : " (an opaque store: hashes not verified)");
	return 0;
}

int
main(int argc, char *argv[])
{
	static struct backup b;
	const char *into = NULL, *restore_from = NULL, *verify_dir = NULL;
	struct cs_print how = { .branchlen = -1, .with_body = true };
	bool export_mode = false, force = false, keep_set = false;
	uint32_t keep = 0;
	struct cs_error err;
	int opt, rc, modes;

	cs_cli_init(&b.cli, "cs-backup", usage_text, CS_FORMATS_OUTPUT);
	cs_cli_set_options(&b.cli, options_text);
	while ((opt = cs_cli_getopt(&b.cli, argc, argv, "f:" CS_COMMON_SHORT_OPTIONS, long_options)) != -1) {
		switch (opt) {
		case OPT_COPY:
			b.copy_tables = true;
			break;
		case OPT_EXPORT:
			export_mode = true;
			break;
		case OPT_FORCE:
			force = true;
			break;
		case OPT_INTO:
			into = optarg;
			break;
		case OPT_KEEP:
			if (cs_parse_u32(optarg, &keep) != 0 || keep == 0)
				cs_cli_usage_error(&b.cli, "bad count '%s': keep at least 1", optarg);
			keep_set = true;
			break;
		case OPT_RESTORE:
			restore_from = optarg;
			break;
		case OPT_VERIFY:
			verify_dir = optarg;
			break;
		default:
			cs_cli_option(&b.cli, opt, optarg);
			break;
		}
	}
	argc -= optind;
	argv += optind;
	modes = (argc > 0) + (into != NULL) + export_mode + (restore_from != NULL) + (verify_dir != NULL);
	if (modes != 1)
		cs_cli_usage_error(&b.cli, modes == 0 ? "nothing to do: give DEST, --into, --export, --verify or --restore"
						      : "give one of DEST, --into, --export, --verify or --restore");
	if (argc > 1)
		cs_cli_usage_error(&b.cli, "unexpected argument '%s'", argv[1]);
	if (keep_set && into == NULL)
		cs_cli_usage_error(&b.cli, "--keep goes with --into");
	if (force && restore_from == NULL)
		cs_cli_usage_error(&b.cli, "--force goes with --restore");
	if (b.copy_tables && argc == 0 && into == NULL)
		cs_cli_usage_error(&b.cli, "--copy goes with DEST or --into");
	if (b.cli.format_set && !export_mode)
		cs_cli_usage_error(&b.cli, "-f goes with --export");
	/* $CS_FORMAT is an export's default when it names what one carries */
	if (export_mode)
		how.format = cs_cli_output_format_of(&b.cli, CS_FORMATS_OUTPUT & ~(1u << CS_FORMAT_RAW),
		    cs_format_default_output());
	if (export_mode && how.format == CS_FORMAT_RAW)
		cs_cli_usage_error(&b.cli, "raw carries headers only: export as cbor, json, text or hex");
	if (argc == 1 && argv[0][0] == '\0')
		cs_cli_usage_error(&b.cli, "empty DEST");
	b.store = cs_store_path(b.cli.store);
	cs_error_clear(&err);

	if (argc == 1)
		rc = backup_to(&b, argv[0], &err);
	else if (into != NULL)
		rc = backup_into(&b, into, keep, &err);
	else if (export_mode)
		rc = export(&b, &how, &err);
	else if (verify_dir != NULL)
		rc = verify(&b, verify_dir, &err);
	else
		rc = restore(&b, restore_from, force, &err);
	return rc != 0 ? cs_fail(&b.cli, &err) : 0;
}
