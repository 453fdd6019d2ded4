#include "backup.h"

#include "exit.h"
#include "fs.h"
#include "grow.h"
#include "leveldb.h"
#include "lock.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static int
join(char *out, size_t len, const char *dir, const char *name)
{
	return (size_t)snprintf(out, len, "%s/%s", dir, name) < len ? 0 : -1;
}

static long
elapsed_us(const struct timespec *since)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - since->tv_sec) * 1000000 + (now.tv_nsec - since->tv_nsec) / 1000;
}

/* Names of the files hard-linked into staging, to copy once let go. */
struct names {
	char **v;
	size_t n, cap;
};

static int
names_add(struct names *l, const char *name)
{
	char **grown = cs_grow(l->v, &l->cap, l->n + 1, 64, sizeof(*l->v));

	if (grown == NULL)
		return -1;
	l->v = grown;
	if ((l->v[l->n] = strdup(name)) == NULL)
		return -1;
	l->n++;
	return 0;
}

static void
names_free(struct names *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = l->cap = 0;
}

/* Hard links that cannot be made here: the file system has none or refuses
 * them (EXDEV is handled apart: there, staging helps). */
static bool
no_links(int e)
{
	return e == EPERM || e == EMLINK || e == EOPNOTSUPP || e == ENOSYS;
}

/* One copy of a store; on the heap, as its paths are large. */
struct walk {
	const char *src, *dst;
	char srcdb[CS_FS_PATH_MAX], dstdb[CS_FS_PATH_MAX];
	char staging[CS_FS_PATH_MAX]; /* "" until a table is staged */
	struct names staged;
	struct cs_leveldb_live live;
	bool live_known; /* false: no table is linked into the copy */
	struct cs_backup_copy *copy;
};

/* Hard-links from into the staging directory, made on first use. */
static int
stage(struct walk *w, const char *from, const char *name, bool *staged, struct cs_error *err)
{
	char path[CS_FS_PATH_MAX];
	int rc;

	*staged = false;
	if (w->staging[0] == '\0' &&
	    (rc = cs_fs_temp_dir(w->src, "cs-backup-", w->staging, sizeof(w->staging), err)) != 0)
		return rc;
	if (join(path, sizeof(path), w->staging, name) != 0)
		return cs_error_set(err, CS_EX_CANTCREAT, "path '%s' is too long", w->staging);
	if (link(from, path) == 0) {
		if (names_add(&w->staged, name) != 0)
			return cs_error_set(err, CS_EX_SOFTWARE, "out of memory");
		*staged = true;
		return 0;
	}
	if (!no_links(errno))
		return cs_error_set(err, CS_EX_IOERR, "cannot link '%s' to '%s': %s", from, path, strerror(errno));
	return 0;
}

/* own: the file belongs to this process's user. */
static int
copy_one(struct walk *w, const char *name, bool own, struct cs_error *err)
{
	char from[CS_FS_PATH_MAX], to[CS_FS_PATH_MAX];
	struct cs_backup_stats *st = &w->copy->stats;
	enum cs_leveldb_file kind = cs_leveldb_file_kind(name);
	bool link_it = kind == CS_LEVELDB_TABLE, staged;
	int rc;

	if (kind == CS_LEVELDB_PRIVATE)
		return 0;
	if (join(from, sizeof(from), w->srcdb, name) != 0 || join(to, sizeof(to), w->dstdb, name) != 0)
		return cs_error_set(err, CS_EX_CANTCREAT, "path '%s/%s' is too long", w->dstdb, name);
	if (link_it && w->live_known && !cs_leveldb_live_has(&w->live, name)) {
		st->dropped++; /* LevelDB would delete it at its next open */
		return 0;
	}
	st->files++;
	/* another user's table, linked, would stay theirs to change */
	if (link_it && !own)
		link_it = false;
	if (link_it && w->live_known && w->staging[0] == '\0' && !w->copy->copy_tables) {
		if (link(from, to) == 0) {
			st->linked++;
			return 0;
		}
		if (errno != EXDEV && !no_links(errno))
			return cs_error_set(err, CS_EX_CANTCREAT, "cannot link '%s' to '%s': %s", from, to,
			    strerror(errno));
		if (errno != EXDEV || !w->copy->lock)
			link_it = false;
	}
	/* Staged tables are copied once the lock is let go; copying from a
	 * link is safe whatever becomes of the file, so tables whose liveness
	 * is not known go this way too. */
	if (link_it && w->copy->lock) {
		if ((rc = stage(w, from, name, &staged, err)) != 0)
			return rc;
		if (staged) {
			st->staged++;
			return 0;
		}
	}
	/* The mutable files, and tables where no hard link can be made. */
	st->copied++;
	return cs_fs_copy_file(from, to, &st->bytes, false, err);
}

/* The held part: list the database's files and link or copy each. */
static int
walk_db(struct walk *w, struct cs_error *err)
{
	struct dirent *de;
	struct stat sb;
	char path[CS_FS_PATH_MAX];
	DIR *d;
	int rc = 0;

	if ((d = opendir(w->srcdb)) == NULL)
		return cs_error_set(err, errno == ENOENT ? CS_EX_NOINPUT : CS_EX_IOERR, "cannot open '%s': %s",
		    w->srcdb, strerror(errno));
	while (rc == 0) {
		errno = 0;
		if ((de = readdir(d)) == NULL) {
			if (errno != 0)
				rc = cs_error_set(err, CS_EX_IOERR, "cannot read '%s': %s", w->srcdb, strerror(errno));
			break;
		}
		if (de->d_name[0] == '.' || join(path, sizeof(path), w->srcdb, de->d_name) != 0)
			continue;
		if (lstat(path, &sb) != 0 || !S_ISREG(sb.st_mode))
			continue;
		rc = copy_one(w, de->d_name, sb.st_uid == geteuid(), err);
	}
	closedir(d);
	return rc;
}

/* The let-go part: copy what was staged, removing it as it goes. */
static int
copy_staged(struct walk *w, struct cs_error *err)
{
	char from[CS_FS_PATH_MAX], to[CS_FS_PATH_MAX];
	int rc = 0;

	for (size_t i = 0; i < w->staged.n && rc == 0; i++) {
		if (join(from, sizeof(from), w->staging, w->staged.v[i]) != 0 ||
		    join(to, sizeof(to), w->dstdb, w->staged.v[i]) != 0)
			return cs_error_set(err, CS_EX_CANTCREAT, "path '%s' is too long", w->dstdb);
		rc = cs_fs_copy_file(from, to, &w->copy->stats.bytes, false, err);
		if (rc == 0)
			unlink(from);
	}
	return rc;
}

static int
copy_walk(struct walk *w, struct cs_error *err)
{
	struct cs_backup_copy *copy = w->copy;
	char path[CS_FS_PATH_MAX];
	struct timespec since;
	struct cs_lock lock;
	int fd, rc;

	if (join(w->srcdb, sizeof(w->srcdb), w->src, "db") != 0 || join(w->dstdb, sizeof(w->dstdb), w->dst, "db") != 0 ||
	    join(path, sizeof(path), w->dst, "lock") != 0)
		return cs_error_set(err, CS_EX_USAGE, "path '%s' or '%s' is too long", w->src, w->dst);
	if (mkdir(w->dstdb, 0777) != 0)
		return cs_error_set(err, CS_EX_CANTCREAT, "cannot create '%s': %s", w->dstdb, strerror(errno));
	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644)) < 0)
		return cs_error_set(err, CS_EX_CANTCREAT, "cannot create '%s': %s", path, strerror(errno));
	close(fd);

	cs_lock_init(&lock, copy->command);
	if (copy->lock && (rc = cs_lock_acquire(&lock, w->src, copy->wait_seconds, err)) != 0) {
		cs_lock_close(&lock);
		return rc;
	}
	clock_gettime(CLOCK_MONOTONIC, &since);
	if (copy->lock)
		cs_fs_remove_stale(w->src, "cs-backup-");
	w->live_known = cs_leveldb_live_read(w->srcdb, &w->live) == 0;
	rc = walk_db(w, err);
	cs_lock_close(&lock);
	copy->stats.held_us = copy->lock ? elapsed_us(&since) : 0;

	if (rc == 0 && copy->released != NULL)
		copy->released(copy->ctx);
	if (rc == 0)
		rc = copy_staged(w, err);
	return rc;
}

int
cs_backup_copy_store(const char *src, const char *dst, struct cs_backup_copy *copy, struct cs_error *err)
{
	struct walk *w = calloc(1, sizeof(*w));
	int rc;

	memset(&copy->stats, 0, sizeof(copy->stats));
	if (w == NULL)
		return cs_error_set(err, CS_EX_SOFTWARE, "out of memory");
	w->src = src;
	w->dst = dst;
	w->copy = copy;
	rc = copy_walk(w, err);
	if (w->staging[0] != '\0')
		cs_fs_remove_tree(w->staging, NULL);
	names_free(&w->staged);
	cs_leveldb_live_free(&w->live);
	free(w);
	return rc;
}

int
cs_backup_tidy_store(const char *dir, struct cs_error *err)
{
	static const char *const private[] = { "LOCK", "LOG", "LOG.old" };
	char db[CS_FS_PATH_MAX], path[CS_FS_PATH_MAX];
	struct cs_leveldb_live live;
	struct dirent *de;
	DIR *d;
	int rc = 0;

	if (join(db, sizeof(db), dir, "db") != 0)
		return cs_error_set(err, CS_EX_USAGE, "path '%s' is too long", dir);
	for (size_t i = 0; i < sizeof(private) / sizeof(private[0]); i++) {
		if (join(path, sizeof(path), db, private[i]) == 0 && unlink(path) != 0 && errno != ENOENT)
			return cs_error_set(err, CS_EX_IOERR, "cannot remove '%s': %s", path, strerror(errno));
	}
	if (cs_leveldb_live_read(db, &live) != 0) {
		cs_leveldb_live_free(&live);
		return 0;
	}
	if ((d = opendir(db)) == NULL) {
		cs_leveldb_live_free(&live);
		return cs_error_set(err, CS_EX_IOERR, "cannot open '%s': %s", db, strerror(errno));
	}
	while ((de = readdir(d)) != NULL) {
		if (!cs_leveldb_is_table(de->d_name) || cs_leveldb_live_has(&live, de->d_name) ||
		    join(path, sizeof(path), db, de->d_name) != 0)
			continue;
		if (unlink(path) != 0 && errno != ENOENT) {
			rc = cs_error_set(err, CS_EX_IOERR, "cannot remove '%s': %s", path, strerror(errno));
			break;
		}
	}
	closedir(d);
	cs_leveldb_live_free(&live);
	return rc;
}

/*
 * The export. The main chain is read in height order through the height
 * index (cs_main_cursor: one sequential read), where reading each entry by
 * its hash was a random read a header. Which entries are forks is told by
 * one scan of the entries in hash order, which reads their flags and
 * heights alone: an entry above the tip or below the base is a fork; at a
 * main-chain height where it stands alone, an entry is the main one; only
 * where two or more stand is the height index asked which is main. The
 * forks, sorted by height then hash, are written after the main chain, as
 * before: each one's parent is on the main chain or a fork one height
 * below.
 */
struct fork {
	uint32_t height;
	uint8_t hash[32];
};

/* How many entries stand at a main-chain height: 0, 1, or more. */
enum { AT_NONE, AT_ONE, AT_MORE };

struct census {
	struct cs_store *s;
	uint32_t base, tip;
	uint8_t *at;     /* tip - base + 1 of them */
	bool contested;  /* some height has AT_MORE */
	struct fork *v;  /* the forks found */
	size_t n, cap;
};

static int
fork_add(struct census *c, const uint8_t hash[32], uint32_t height, struct cs_error *err)
{
	struct fork *grown = cs_grow(c->v, &c->cap, c->n + 1, 256, sizeof(*c->v));

	if (grown == NULL)
		return cs_error_set(err, CS_EX_SOFTWARE, "out of memory");
	c->v = grown;
	c->v[c->n].height = height;
	memcpy(c->v[c->n].hash, hash, 32);
	c->n++;
	return 0;
}

static int
count_entry(void *ctx, const uint8_t hash[32], unsigned flags, uint32_t height, struct cs_error *err)
{
	struct census *c = ctx;
	uint8_t *at;

	if (height < c->base || height > c->tip)
		return fork_add(c, hash, height, err);
	at = &c->at[height - c->base];
	if (*at != AT_MORE)
		(*at)++;
	c->contested |= *at == AT_MORE;
	return 0;
}

/* At a height where more than one entry stands: the height index tells. */
static int
sort_contested(void *ctx, const uint8_t hash[32], unsigned flags, uint32_t height, struct cs_error *err)
{
	struct census *c = ctx;
	uint8_t main_hash[32];
	int rc;

	if (height < c->base || height > c->tip || c->at[height - c->base] != AT_MORE)
		return 0;
	if ((rc = cs_store_get_main(c->s, height, main_hash, err)) == CS_EX_NOTFOUND)
		return cs_error_set(err, CS_EX_IOERR, "store '%s' is corrupt: no main-chain entry at height %lu",
		    c->s->dir, (unsigned long)height);
	if (rc != 0)
		return rc;
	return memcmp(main_hash, hash, 32) != 0 ? fork_add(c, hash, height, err) : 0;
}

static int
by_height_then_hash(const void *a, const void *b)
{
	const struct fork *x = a, *y = b;

	if (x->height != y->height)
		return x->height < y->height ? -1 : 1;
	return memcmp(x->hash, y->hash, 32);
}

/* Every entry's height counted, and the forks found. */
static int
take_census(struct census *c, struct cs_error *err)
{
	int rc;

	if ((c->at = calloc((size_t)(c->tip - c->base) + 1, 1)) == NULL)
		return cs_error_set(err, CS_EX_SOFTWARE, "out of memory");
	if ((rc = cs_store_each_entry(c->s, NULL, count_entry, c, err)) != 0)
		return rc;
	if (c->contested && (rc = cs_store_each_entry(c->s, NULL, sort_contested, c, err)) != 0)
		return rc;
	if (c->n > 1) /* qsort takes no NULL array, even empty */
		qsort(c->v, c->n, sizeof(c->v[0]), by_height_then_hash);
	return 0;
}

/* Writes e with its body, when one is stored. */
static int
export_entry(struct cs_store *s, struct cs_out *out, const struct cs_print *how, struct cs_entry *e,
    struct cs_error *err)
{
	char *body = NULL;
	size_t body_len;
	int rc = cs_store_get_body(s, e->hash, &body, &body_len, err);

	if (rc == 0) {
		e->body = (const uint8_t *)body;
		e->body_len = body_len;
	}
	if (rc == 0 || rc == CS_EX_NOTFOUND)
		rc = cs_write_entry(out, how, e, err);
	cs_store_free(body);
	if (rc == 0 && cs_out_full(out))
		rc = cs_out_flush(out, err);
	return rc;
}

/* One more entry written: counted, and told to the job. */
static void
exported(const struct census *c, const struct cs_backup_job *job, uint64_t *count)
{
	(*count)++;
	if (job != NULL && job->exporting != NULL)
		job->exporting(job->ctx, *count, (uint64_t)(c->tip - c->base) + 1 + c->n);
}

static int
export_main(struct cs_store *s, struct census *c, struct cs_out *out, const struct cs_print *how,
    const struct cs_backup_job *job, uint64_t *count, struct cs_error *err)
{
	struct cs_main_cursor cursor;
	struct cs_entry e;
	int rc = 0;

	cs_main_cursor_init(&cursor, s, c->base);
	for (uint64_t h = c->base; h <= c->tip && !out->closed; h++) {
		if ((rc = cs_main_cursor_next(&cursor, &e, err)) == CS_EX_NOTFOUND)
			rc = cs_error_set(err, CS_EX_IOERR, "store '%s' is corrupt: no main-chain entry at height %llu",
			    s->dir, (unsigned long long)h);
		else if (rc == 0 && c->at[h - c->base] == AT_NONE)
			rc = cs_error_set(err, CS_EX_IOERR, "store '%s' is corrupt: an indexed entry is missing", s->dir);
		if (rc != 0 || (rc = export_entry(s, out, how, &e, err)) != 0)
			break;
		exported(c, job, count);
	}
	cs_main_cursor_close(&cursor);
	return rc;
}

static int
export_forks(struct cs_store *s, const struct census *c, struct cs_out *out, const struct cs_print *how,
    const struct cs_backup_job *job, uint64_t *count, struct cs_error *err)
{
	int rc = 0;

	for (size_t i = 0; i < c->n && rc == 0 && !out->closed; i++) {
		struct cs_entry e;
		char *owned;

		if ((rc = cs_store_read_entry(s, c->v[i].hash, &e, &owned, err)) == CS_EX_NOTFOUND)
			return cs_error_set(err, CS_EX_IOERR, "store '%s' is corrupt: an indexed entry is missing", s->dir);
		if (rc != 0)
			return rc;
		e.main = false;
		if ((rc = export_entry(s, out, how, &e, err)) == 0)
			exported(c, job, count);
		cs_store_free(owned);
	}
	return rc;
}

int
cs_backup_export(struct cs_store *s, struct cs_out *out, const struct cs_print *how,
    const struct cs_backup_job *job, uint64_t *count, struct cs_error *err)
{
	struct census c = { .s = s, .base = s->meta.base_height };
	struct cs_print print = *how;
	struct cs_chain_view view;
	struct cs_entry tip;
	char *owned;
	int rc;

	*count = 0;
	print.with_body = true;
	print.branchlen = -1;
	cs_chain_view_init(&view, s);
	print.view = &view;
	if ((rc = cs_store_get_tip_entry(s, &tip, &owned, err)) != 0)
		return rc;
	cs_store_free(owned);
	if (tip.height < c.base)
		return cs_error_set(err, CS_EX_IOERR, "store '%s' is corrupt: the tip is below the base", s->dir);
	c.tip = tip.height;
	if ((rc = take_census(&c, err)) == 0 && (rc = export_main(s, &c, out, &print, job, count, err)) == 0)
		rc = export_forks(s, &c, out, &print, job, count, err);
	free(c.at);
	free(c.v);
	return rc;
}

/* The store must exist before anything is made for it. */
static int
store_exists(const char *store, struct cs_error *err)
{
	char db[CS_FS_PATH_MAX];
	struct stat st;

	if ((size_t)snprintf(db, sizeof(db), "%s/db", store) >= sizeof(db))
		return cs_error_set(err, CS_EX_USAGE, "store path '%s' is too long", store);
	if (stat(db, &st) != 0 && (errno == EACCES || errno == EPERM))
		return cs_error_set(err, CS_EX_NOPERM, "cannot open store '%s': %s", store, strerror(errno));
	if (stat(db, &st) != 0 || !S_ISDIR(st.st_mode))
		return cs_store_missing(store, err);
	return 0;
}

/* Writes err's message again with the temporary copy's path replaced by
 * the name the user gave: LevelDB's own messages name the files it
 * opened, which are the copy's. */
static void
name_in_message(struct cs_error *err, const char *tmp, const char *name)
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
check_copy(const struct cs_backup_job *job, const char *tmp, const char *name, struct cs_store_meta *meta,
    struct cs_error *err)
{
	struct cs_store store;
	int rc = cs_store_open(&store, tmp, job->command, 0, err);

	if (rc == 0 && meta != NULL)
		*meta = store.meta;
	cs_store_close(&store);
	if (rc != 0)
		name_in_message(err, tmp, name);
	else
		rc = cs_backup_tidy_store(tmp, err);
	return rc;
}

/* Copies from (a store or a backup) into a new temporary directory in
 * parent, checks that the copy opens as a store, and makes it durable
 * when asked. On failure nothing is left behind. */
static int
copy_to_temp(struct cs_backup_job *job, const char *from, struct cs_backup_copy *copy, const char *parent,
    const char *prefix, bool durable, char *tmp, size_t len, struct cs_store_meta *meta, struct cs_error *err)
{
	int rc;

	cs_fs_remove_stale(parent, prefix);
	if ((rc = cs_fs_temp_dir(parent, prefix, tmp, len, err)) != 0)
		return rc;
	rc = cs_backup_copy_store(from, tmp, copy, err);
	job->stats = copy->stats;
	if (rc == 0)
		rc = check_copy(job, tmp, from, meta, err);
	if (rc == 0 && durable)
		rc = cs_fs_sync_tree(tmp, err);
	if (rc != 0)
		cs_fs_remove_tree(tmp, NULL);
	return rc;
}

/* A copy of the job's store, held while listed, paused after. */
static int
copy_store_to_temp(struct cs_backup_job *job, const char *parent, const char *prefix, bool durable, char *tmp,
    size_t len, struct cs_store_meta *meta, struct cs_error *err)
{
	struct cs_backup_copy copy = {
		.command = job->command,
		.wait_seconds = job->wait_seconds,
		.lock = true,
		.copy_tables = job->copy_tables,
		.released = job->paused,
		.ctx = job->ctx,
	};

	return copy_to_temp(job, job->store, &copy, parent, prefix, durable, tmp, len, meta, err);
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
	if (cs_fs_split_path(path, parent, parent_len, name, name_len) != 0)
		return cs_error_set(err, CS_EX_CANTCREAT, "cannot create backup '%s': not a usable path", path);
	if (stat(parent, &st) != 0)
		return cs_error_set(err, CS_EX_CANTCREAT, "cannot create backup '%s': %s", path, strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return cs_error_set(err, CS_EX_CANTCREAT, "cannot create backup '%s': %s", path, strerror(ENOTDIR));
	return 0;
}

int
cs_backup_to(struct cs_backup_job *job, const char *dest, struct cs_error *err)
{
	char parent[CS_FS_PATH_MAX], name[NAME_MAX + 1], prefix[NAME_MAX + 16], tmp[CS_FS_PATH_MAX];
	bool existed;
	int rc;

	job->made[0] = '\0';
	if ((rc = creatable(dest, parent, sizeof(parent), name, sizeof(name), err)) != 0 ||
	    (rc = store_exists(job->store, err)) != 0)
		return rc;
	snprintf(prefix, sizeof(prefix), ".%s.cs-backup-", name);
	/* what killed backups to other names here left */
	cs_fs_remove_stale(parent, CS_BACKUP_HIDDEN_ANY);
	if ((rc = copy_store_to_temp(job, parent, prefix, true, tmp, sizeof(tmp), NULL, err)) != 0)
		return rc;
	/* The backup appears under its name whole, or not at all. */
	if ((rc = cs_fs_rename_noreplace(tmp, dest, &existed, err)) != 0) {
		cs_fs_remove_tree(tmp, NULL);
		return rc;
	}
	snprintf(job->made, sizeof(job->made), "%s", dest);
	if ((rc = cs_fs_sync_dir(parent, err)) == 0 && job->backed_up != NULL)
		job->backed_up(job->ctx, job);
	return rc;
}

bool
cs_backup_is_name(const char *s)
{
	static const char shape[] = "DDDDDDDDTDDDDDD.DDDDDDZ";

	for (size_t i = 0; i < CS_BACKUP_NAME_LEN; i++) {
		if (shape[i] == 'D' ? (s[i] < '0' || s[i] > '9') : s[i] != shape[i])
			return false;
	}
	return s[CS_BACKUP_NAME_LEN] == '\0';
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
us_to_name(int64_t us, char out[CS_BACKUP_NAME_LEN + 1])
{
	time_t t = (time_t)(us / 1000000);
	char buf[64];
	struct tm tm;

	gmtime_r(&t, &tm);
	snprintf(buf, sizeof(buf), "%04d%02d%02dT%02d%02d%02d.%06ldZ", tm.tm_year + 1900, tm.tm_mon + 1,
	    tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (long)(us % 1000000));
	memcpy(out, buf, CS_BACKUP_NAME_LEN);
	out[CS_BACKUP_NAME_LEN] = '\0';
}

struct backup_names {
	char (*v)[CS_BACKUP_NAME_LEN + 1];
	size_t n, cap;
};

static int
by_name(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* The backups in dir (names of the pattern), oldest first; free l->v.
 * With dirs_only, only directories: what rotation may remove. */
static int
list_backups(const char *dir, bool dirs_only, struct backup_names *l, struct cs_error *err)
{
	char path[CS_FS_PATH_MAX];
	struct dirent *de;
	struct stat st;
	DIR *d;

	memset(l, 0, sizeof(*l));
	if ((d = opendir(dir)) == NULL)
		return cs_error_set(err, CS_EX_IOERR, "cannot open '%s': %s", dir, strerror(errno));
	while ((de = readdir(d)) != NULL) {
		char(*grown)[CS_BACKUP_NAME_LEN + 1];

		if (!cs_backup_is_name(de->d_name))
			continue;
		if (dirs_only && (join(path, sizeof(path), dir, de->d_name) != 0 || lstat(path, &st) != 0 ||
				     !S_ISDIR(st.st_mode)))
			continue;
		if ((grown = cs_grow(l->v, &l->cap, l->n + 1, 32, sizeof(*l->v))) == NULL) {
			closedir(d);
			return cs_error_set(err, CS_EX_SOFTWARE, "out of memory");
		}
		l->v = grown;
		memcpy(l->v[l->n++], de->d_name, CS_BACKUP_NAME_LEN + 1);
	}
	closedir(d);
	if (l->n > 1) /* qsort takes no NULL array, even empty */
		qsort(l->v, l->n, sizeof(l->v[0]), by_name);
	return 0;
}

int
cs_backup_next_name(const char *dir, int64_t now_us, char out[CS_BACKUP_NAME_LEN + 1], struct cs_error *err)
{
	struct backup_names l;
	int64_t newest;
	int rc;

	if ((rc = list_backups(dir, false, &l, err)) != 0) {
		free(l.v);
		return rc;
	}
	if (l.n > 0 && (newest = name_to_us(l.v[l.n - 1])) >= now_us)
		now_us = newest + 1;
	free(l.v);
	us_to_name(now_us, out);
	return 0;
}

int
cs_backup_rotate(const char *dir, uint32_t keep, void (*removed)(void *ctx, const char *path), void *ctx,
    struct cs_error *err)
{
	char path[CS_FS_PATH_MAX], doomed[CS_FS_PATH_MAX];
	struct backup_names l;
	int rc;

	if ((rc = list_backups(dir, true, &l, err)) != 0) {
		free(l.v);
		return rc;
	}
	for (size_t i = 0; rc == 0 && l.n > keep && i < l.n - keep; i++) {
		if (join(path, sizeof(path), dir, l.v[i]) != 0) {
			rc = cs_error_set(err, CS_EX_IOERR, "path '%s' is too long", dir);
			break;
		}
		if ((rc = cs_fs_temp_dir(dir, ".cs-backup-", doomed, sizeof(doomed), err)) != 0)
			break;
		if (rename(path, doomed) != 0) {
			rc = cs_error_set(err, CS_EX_IOERR, "cannot remove '%s': %s", path, strerror(errno));
			rmdir(doomed);
			break;
		}
		if ((rc = cs_fs_remove_tree(doomed, err)) == 0 && removed != NULL)
			removed(ctx, path);
	}
	free(l.v);
	if (rc == 0)
		rc = cs_fs_sync_dir(dir, err);
	return rc;
}

int
cs_backup_into(struct cs_backup_job *job, const char *dir, uint32_t keep, struct cs_error *err)
{
	char tmp[CS_FS_PATH_MAX], name[CS_BACKUP_NAME_LEN + 1], path[CS_FS_PATH_MAX];
	struct timespec now;
	struct stat st;
	bool existed;
	int rc;

	job->made[0] = '\0';
	if ((rc = store_exists(job->store, err)) != 0)
		return rc;
	if (mkdir(dir, 0777) != 0 && errno != EEXIST)
		return cs_error_set(err, CS_EX_CANTCREAT, "cannot create '%s': %s", dir, strerror(errno));
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
		return cs_error_set(err, CS_EX_CANTCREAT, "cannot create a backup in '%s': %s", dir, strerror(ENOTDIR));
	if ((rc = copy_store_to_temp(job, dir, ".cs-backup-", true, tmp, sizeof(tmp), NULL, err)) != 0)
		return rc;
	/* Another backup may take the same name at the same moment: the
	 * rename refuses to replace it, and the next name is after it. */
	for (int tries = 0;; tries++) {
		clock_gettime(CLOCK_REALTIME, &now);
		if ((rc = cs_backup_next_name(dir, (int64_t)now.tv_sec * 1000000 + now.tv_nsec / 1000, name, err)) != 0)
			break;
		if (join(path, sizeof(path), dir, name) != 0) {
			rc = cs_error_set(err, CS_EX_CANTCREAT, "path '%s' is too long", dir);
			break;
		}
		if ((rc = cs_fs_rename_noreplace(tmp, path, &existed, err)) == 0 || !existed || tries == 100)
			break;
	}
	if (rc != 0) {
		cs_fs_remove_tree(tmp, NULL);
		return rc;
	}
	snprintf(job->made, sizeof(job->made), "%s", path);
	if ((rc = cs_fs_sync_dir(dir, err)) != 0)
		return rc;
	if (job->backed_up != NULL)
		job->backed_up(job->ctx, job);
	return keep > 0 ? cs_backup_rotate(dir, keep, job->removed, job->ctx, err) : 0;
}

int
cs_backup_export_store(struct cs_backup_job *job, struct cs_out *out, struct cs_print *how, struct cs_error *err)
{
	struct cs_store_meta meta;
	struct cs_store snapshot;
	char tmp[CS_FS_PATH_MAX];
	int rc;

	job->exported = 0;
	if ((rc = store_exists(job->store, err)) != 0 ||
	    (rc = copy_store_to_temp(job, job->store, "cs-backup-", false, tmp, sizeof(tmp), &meta, err)) != 0)
		return rc;
	how->opaque = meta.opaque;
	if ((rc = cs_store_open(&snapshot, tmp, job->command, 0, err)) == 0)
		rc = cs_backup_export(&snapshot, out, how, job, &job->exported, err);
	cs_store_close(&snapshot);
	cs_fs_remove_tree(tmp, NULL);
	return rc;
}

enum target { TARGET_ABSENT, TARGET_EMPTY, TARGET_STORE };

/* What the restore would replace: nothing, an empty directory, or a store;
 * anything else is refused. path may be resolved (a symbolic link to a
 * store restores into the store it names). */
static int
restore_target(char *path, size_t len, enum target *target, struct cs_error *err)
{
	char resolved[PATH_MAX], db[CS_FS_PATH_MAX];
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
	if (join(db, sizeof(db), path, "db") == 0 && stat(db, &st) == 0 && S_ISDIR(st.st_mode)) {
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
swap_in(const struct cs_backup_job *job, const char *tmp, const char *path, enum target target,
    struct cs_error *err)
{
	char new_db[CS_FS_PATH_MAX], old_db[CS_FS_PATH_MAX];
	struct cs_lock lock;
	bool existed;
	int rc;

	switch (target) {
	case TARGET_ABSENT:
		return cs_fs_rename_noreplace(tmp, path, &existed, err);
	case TARGET_EMPTY:
		if ((rc = cs_fs_exchange(tmp, path, err)) == 0)
			rmdir(tmp);
		return rc;
	case TARGET_STORE:
		break;
	}
	if (join(new_db, sizeof(new_db), tmp, "db") != 0 || join(old_db, sizeof(old_db), path, "db") != 0)
		return cs_error_set(err, CS_EX_CANTCREAT, "path '%s' is too long", path);
	cs_lock_init(&lock, job->command);
	if ((rc = cs_lock_acquire(&lock, path, job->wait_seconds, err)) == 0)
		rc = cs_fs_exchange(new_db, old_db, err);
	cs_lock_close(&lock);
	/* tmp now holds the old database (or, on failure, still the new one) */
	cs_fs_remove_tree(tmp, NULL);
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

int
cs_backup_restore(struct cs_backup_job *job, const char *from, bool force, struct cs_error *err)
{
	char *path = job->made, parent[CS_FS_PATH_MAX], name[NAME_MAX + 1], prefix[NAME_MAX + 16];
	char tmp[CS_FS_PATH_MAX], db[CS_FS_PATH_MAX];
	struct cs_backup_copy copy = { .command = job->command, .wait_seconds = job->wait_seconds };
	const char *tmp_parent;
	enum target target;
	struct stat st;
	int rc;

	job->replaced = false;
	job->made[0] = '\0';
	if (stat(from, &st) != 0)
		return cs_error_set(err, CS_EX_FROM_ERRNO(errno), "backup '%s' not found: %s", from, strerror(errno));
	if (join(db, sizeof(db), from, "db") != 0 || stat(db, &st) != 0 || !S_ISDIR(st.st_mode))
		return cs_error_set(err, CS_EX_NOINPUT, "'%s' is not a backup: it has no db", from);
	if ((size_t)snprintf(path, sizeof(job->made), "%s", job->store) >= sizeof(job->made))
		return cs_error_set(err, CS_EX_USAGE, "store path '%s' is too long", job->store);
	if (path_within(from, path) && path_within(path, from))
		return cs_error_set(err, CS_EX_USAGE, "'%s' is the store itself", from);
	if ((rc = restore_target(path, sizeof(job->made), &target, err)) != 0)
		return rc;
	/* The store is replaced; what lies inside it would go with it. */
	if (target == TARGET_STORE && path_within(from, path))
		return cs_error_set(err, CS_EX_USAGE, "backup '%s' lies inside the store '%s' it would replace", from,
		    path);
	if (target == TARGET_STORE && !force)
		return cs_error_set(err, CS_EX_CANTCREAT, "store '%s' exists: use --force to replace it", path);
	if (cs_fs_split_path(path, parent, sizeof(parent), name, sizeof(name)) != 0)
		return cs_error_set(err, CS_EX_CANTCREAT, "cannot create store '%s': not a usable path", path);
	errno = 0;
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
	/* A backup that cs-backup made has a lock: take it, in case the
	 * backup is itself a live store; a read-only one cannot be written.
	 * A symbolic link there is taken too, which refuses it (lock.c). */
	if (join(db, sizeof(db), from, "lock") != 0)
		return cs_error_set(err, CS_EX_USAGE, "path '%s' is too long", from);
	copy.lock = lstat(db, &st) == 0 && (S_ISLNK(st.st_mode) || access(db, W_OK) == 0);
	/* The copy must open as a store before it replaces anything. */
	if ((rc = copy_to_temp(job, from, &copy, tmp_parent, prefix, true, tmp, sizeof(tmp), NULL, err)) != 0)
		return rc;
	if (job->paused != NULL)
		job->paused(job->ctx);
	if ((rc = swap_in(job, tmp, path, target, err)) != 0) {
		cs_fs_remove_tree(tmp, NULL);
		return rc;
	}
	job->replaced = target == TARGET_STORE;
	return cs_fs_sync_dir(target == TARGET_STORE ? path : parent, err);
}
