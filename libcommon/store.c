#include "store.h"

#include "backup.h"
#include "exit.h"
#include "fs.h"
#include "grow.h"
#include "header.h"
#include "hex.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CONTEXT_SIZE 12 /* period time, period bits, walk bits (store.h) */

#define ENTRY_PREFIX 5 /* flags(1) height(4), then the chainwork (store.h) */

const char *
cs_store_path(const char *option)
{
	const char *env;

	if (option != NULL && option[0] != '\0')
		return option;
	env = getenv("CS_STORE");
	if (env != NULL && env[0] != '\0')
		return env;
	return "chainstore";
}

void
cs_store_key(uint8_t key[33], char prefix, const uint8_t hash[32])
{
	key[0] = (uint8_t)prefix;
	memcpy(key + 1, hash, 32);
}

void
cs_store_height_key(uint8_t key[5], uint32_t height)
{
	key[0] = CS_KEY_MAIN;
	key[1] = (uint8_t)(height >> 24);
	key[2] = (uint8_t)(height >> 16);
	key[3] = (uint8_t)(height >> 8);
	key[4] = (uint8_t)height;
}

/* The header without its prev: version (4), then merkle root, time, bits
 * and nonce (44), after the hash. */
size_t
cs_store_main_value(const struct cs_store *s, uint32_t height, const uint8_t hash[32], const uint8_t *header,
    uint8_t out[CS_MAIN_VALUE_MAX])
{
	memcpy(out, hash, 32);
	if (s->schema < 2 || s->meta.opaque || height == s->meta.base_height || header == NULL)
		return 32;
	memcpy(out + 32, header, 4);
	memcpy(out + 36, header + 36, 44);
	return CS_MAIN_VALUE_MAX;
}

void
cs_store_main_header(const uint8_t *value, const uint8_t prev[32], uint8_t header[80])
{
	memcpy(header, value + 32, 4);
	memcpy(header + 4, prev, 32);
	memcpy(header + 36, value + 36, 44);
}

void
cs_store_tx_key(uint8_t key[CS_TX_KEY_SIZE], const uint8_t txid[32], const uint8_t block[32])
{
	key[0] = CS_KEY_TX;
	memcpy(key + 1, txid, 32);
	memcpy(key + 33, block, 32);
}

void
cs_store_tx_value(uint8_t value[4], uint32_t index)
{
	value[0] = (uint8_t)(index >> 24);
	value[1] = (uint8_t)(index >> 16);
	value[2] = (uint8_t)(index >> 8);
	value[3] = (uint8_t)index;
}

static uint32_t
be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void
put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static int
leveldb_failed(struct cs_store *s, char *lerr, const char *what, struct cs_error *err)
{
	/* LevelDB reports a failed allocation (an mmap of a table) as an I/O
	 * error, with strerror's text: it is memory, not the disk (70) */
	int code = strstr(lerr, ": Cannot allocate memory") != NULL ? CS_EX_SOFTWARE : CS_EX_IOERR;

	cs_error_set(err, code, "%s '%s': %s", what, s->dir, lerr);
	leveldb_free(lerr);
	return code;
}

/*
 * Options chosen by measurement (docs/benchmarks.md). A 32 MiB write
 * buffer and 16 MiB tables: fewer, larger level-0 tables and less
 * rewriting of random keys by compactions (an import of a million
 * headers 1.3-1.5 times as fast as with 2 MiB of each). Their memory is
 * bounded because the writers read tables without mmap
 * (cs_leveldb_without_mmap). Hashes do not compress: snappy saved 15% of
 * the bytes but cost a third of the compaction CPU, and lookups read
 * uncompressed blocks straight from the mapping instead of inflating a
 * copy.
 */
static void
options_create(struct cs_store *s)
{
	s->options = leveldb_options_create();
	s->cache = leveldb_cache_create_lru(16 << 20);
	s->filter = leveldb_filterpolicy_create_bloom(10);
	leveldb_options_set_cache(s->options, s->cache);
	leveldb_options_set_filter_policy(s->options, s->filter);
	leveldb_options_set_write_buffer_size(s->options, CS_WRITE_BUFFER);
	leveldb_options_set_max_file_size(s->options, CS_TABLE_SIZE);
	leveldb_options_set_compression(s->options, leveldb_no_compression);
	s->read = leveldb_readoptions_create();
	s->write_sync = leveldb_writeoptions_create();
	leveldb_writeoptions_set_sync(s->write_sync, 1);
}

static void
store_init(struct cs_store *s, const char *dir, const char *command, double wait_seconds)
{
	memset(s, 0, sizeof(*s));
	snprintf(s->dir, sizeof(s->dir), "%s", dir);
	snprintf(s->dbpath, sizeof(s->dbpath), "%s/db", dir);
	s->wait_seconds = wait_seconds;
	cs_lock_init(&s->lock, command);
	cs_work_cache_init(&s->work_cache);
	options_create(s);
}

static int
db_open(struct cs_store *s, bool create, struct cs_error *err)
{
	char *lerr = NULL;

	leveldb_options_set_create_if_missing(s->options, create);
	s->db = leveldb_open(s->options, s->dbpath, &lerr);
	if (lerr != NULL) {
		/* LevelDB gives no errno, only strerror's text (C locale) */
		bool denied = strstr(lerr, ": Permission denied") != NULL ||
		    strstr(lerr, ": Operation not permitted") != NULL || strstr(lerr, ": Read-only file system") != NULL;

		s->db = NULL;
		leveldb_failed(s, lerr, create ? "cannot create store" : "cannot open store", err);
		if (denied)
			err->code = CS_EX_NOPERM;
		return err->code;
	}
	return 0;
}

int
cs_store_acquire(struct cs_store *s, struct cs_error *err)
{
	int rc;

	if (s->db != NULL)
		return 0;
	if ((rc = cs_lock_acquire(&s->lock, s->copy[0] != '\0' ? s->copy : s->dir, s->wait_seconds, err)) != 0)
		return rc;
	if ((rc = db_open(s, false, err)) != 0) {
		cs_lock_release(&s->lock);
		return rc;
	}
	clock_gettime(CLOCK_MONOTONIC, &s->held_since);
	return 0;
}

static void cursor_drop(struct cs_main_cursor *c);

void
cs_store_release(struct cs_store *s)
{
	if (s->cursor != NULL)
		cursor_drop(s->cursor);
	if (s->db != NULL)
		leveldb_close(s->db);
	s->db = NULL;
	cs_lock_release(&s->lock);
}

bool
cs_store_held(const struct cs_store *s)
{
	return s->db != NULL;
}

long
cs_store_held_ms(const struct cs_store *s)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - s->held_since.tv_sec) * 1000 + (now.tv_nsec - s->held_since.tv_nsec) / 1000000;
}

bool
cs_store_should_let_go(struct cs_store *s)
{
	return cs_store_held_ms(s) >= CS_STORE_HOLD_MS || cs_lock_wanted(&s->lock);
}

void
cs_store_yield_to_waiters(struct cs_store *s)
{
	sched_yield();
	for (int i = 0; i < 1000 && cs_lock_wanted(&s->lock); i++)
		usleep(1000);
}

/* Bytes of the regular files in path, and in the directories below it down
 * to depth more. */
static int
bytes_under(const char *path, int depth, uint64_t *bytes)
{
	char file[8192];
	struct dirent *de;
	struct stat st;
	DIR *d = opendir(path);

	if (d == NULL)
		return -1;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		snprintf(file, sizeof(file), "%s/%s", path, de->d_name);
		if (lstat(file, &st) != 0)
			continue;
		if (S_ISREG(st.st_mode))
			*bytes += (uint64_t)st.st_size;
		else if (S_ISDIR(st.st_mode) && depth > 0)
			bytes_under(file, depth - 1, bytes);
	}
	closedir(d);
	return 0;
}

int
cs_store_disk_bytes(const struct cs_store *s, uint64_t *bytes, struct cs_error *err)
{
	*bytes = 0;
	if (bytes_under(s->dbpath, 1, bytes) != 0)
		return cs_error_set(err, CS_EX_IOERR, "cannot read '%s': %s", s->dbpath, strerror(errno));
	return 0;
}

void
cs_store_close(struct cs_store *s)
{
	cs_store_release(s);
	cs_lock_close(&s->lock);
	if (s->copy[0] != '\0')
		cs_fs_remove_tree(s->copy, NULL);
	s->copy[0] = '\0';
	if (s->options != NULL)
		leveldb_options_destroy(s->options);
	if (s->cache != NULL)
		leveldb_cache_destroy(s->cache);
	if (s->filter != NULL)
		leveldb_filterpolicy_destroy(s->filter);
	if (s->read != NULL)
		leveldb_readoptions_destroy(s->read);
	if (s->write_sync != NULL)
		leveldb_writeoptions_destroy(s->write_sync);
	s->options = NULL;
	s->cache = NULL;
	s->filter = NULL;
	s->read = NULL;
	s->write_sync = NULL;
}

void
cs_store_free(void *owned)
{
	if (owned != NULL)
		leveldb_free(owned);
}

/* Reads a value; CS_EX_NOTFOUND when the key is absent. */
static int
db_get(struct cs_store *s, const void *key, size_t klen, char **value, size_t *vlen, struct cs_error *err)
{
	char *lerr = NULL;

	*value = leveldb_get(s->db, s->read, key, klen, vlen, &lerr);
	if (lerr != NULL)
		return leveldb_failed(s, lerr, "cannot read store", err);
	return *value == NULL ? CS_EX_NOTFOUND : 0;
}

static int
meta_get(struct cs_store *s, const char *name, void *out, size_t size, size_t *len, struct cs_error *err)
{
	char *value;
	size_t vlen;
	int rc = db_get(s, name, strlen(name), &value, &vlen, err);

	if (rc != 0)
		return rc;
	if (vlen > size) {
		leveldb_free(value);
		return cs_error_set(err, CS_EX_IOERR, "store '%s' is corrupt: meta '%s' is %zu bytes", s->dir,
		    name + 1, vlen);
	}
	memcpy(out, value, vlen);
	if (len != NULL)
		*len = vlen;
	leveldb_free(value);
	return 0;
}

/* The rules and the checkpoint: schema 3 says them; a store made before
 * keeps its network's rules (a custom chain none), and starts at its
 * genesis. */
static int
meta_load_rules(struct cs_store *s, struct cs_error *err)
{
	char rules[sizeof(s->meta.rules)] = "";
	uint8_t point[32 + 4 + 4 * 10];
	size_t len = 0;
	int rc;

	rc = meta_get(s, CS_META_RULES, rules, sizeof(rules) - 1, &len, err);
	if (rc != 0 && rc != CS_EX_NOTFOUND)
		return rc;
	rules[rc == 0 ? len : 0] = '\0';
	if (cs_rules_find(rc == 0 ? rules : s->meta.opaque ? "none" : s->meta.network, &s->rules) != 0) {
		if (rc == 0)
			return cs_error_set(err, CS_EX_IOERR, "store '%s' has rules '%s', unknown to this chainstore", s->dir,
			    rules);
		cs_rules_find("none", &s->rules);
	}
	if (s->rules.enabled)
		cs_rules_set_limit(&s->rules, &s->meta.pow_limit);
	snprintf(s->meta.rules, sizeof(s->meta.rules), "%s", s->rules.name);

	memcpy(s->meta.root, s->meta.genesis, 32);
	rc = meta_get(s, CS_META_CHECKPOINT, point, sizeof(point), &len, err);
	if (rc == CS_EX_NOTFOUND)
		return 0;
	if (rc != 0)
		return rc;
	if (len < 36 || (len - 36) % 4 != 0)
		return cs_error_set(err, CS_EX_IOERR, "store '%s' is corrupt: meta 'checkpoint' is %zu bytes", s->dir,
		    len);
	memcpy(s->meta.root, point, 32);
	s->meta.base_height = be32(point + 32);
	s->meta.root_time_count = (unsigned)((len - 36) / 4);
	for (unsigned i = 0; i < s->meta.root_time_count; i++)
		s->meta.root_times[i] = be32(point + 36 + 4 * i);
	return 0;
}

/* Loads the meta records; CS_EX_NOINPUT when the store was never
 * initialised (no schema record). */
static int
meta_load(struct cs_store *s, struct cs_error *err)
{
	char schema[16] = "", network[32] = "";
	uint8_t limit[32];
	size_t len = 0;
	int rc;

	rc = meta_get(s, CS_META_SCHEMA, schema, sizeof(schema) - 1, &len, err);
	if (rc == CS_EX_NOTFOUND)
		return cs_error_set(err, CS_EX_NOINPUT, "'%s' is not an initialised store (run cs-init)", s->dir);
	if (rc != 0)
		return rc;
	schema[len] = '\0';
	s->schema = atoi(schema);
	if (s->schema > CS_SCHEMA_VERSION)
		return cs_error_set(err, CS_EX_IOERR,
		    "store '%s' has schema %s, newer than this chainstore knows (%d): upgrade chainstore", s->dir,
		    schema, CS_SCHEMA_VERSION);
	if ((rc = meta_get(s, CS_META_NETWORK, network, sizeof(network) - 1, &len, err)) != 0 ||
	    (rc = meta_get(s, CS_META_GENESIS, s->meta.genesis, 32, NULL, err)) != 0 ||
	    (rc = meta_get(s, CS_META_POW_LIMIT, limit, 32, NULL, err)) != 0 ||
	    (rc = meta_get(s, CS_META_MAGIC, s->meta.magic, 4, NULL, err)) != 0)
		return rc == CS_EX_NOTFOUND ? cs_error_set(err, CS_EX_IOERR, "store '%s' is corrupt: meta missing", s->dir)
					    : rc;
	network[len] = '\0';
	snprintf(s->meta.network, sizeof(s->meta.network), "%s", network);
	s->meta.opaque = strcmp(network, "opaque") == 0;
	cs_u256_from_be(&s->meta.pow_limit, limit);
	return meta_load_rules(s, err);
}

/* Makes s read from a private copy of its store (cs_store_open_reader). */
static int
open_private_copy(struct cs_store *s, struct cs_error *err)
{
	const char *tmp = getenv("TMPDIR"), *command = s->lock.command;
	struct cs_backup_copy copy = { .command = command };
	int rc;

	if (tmp == NULL || tmp[0] == '\0')
		tmp = "/tmp";
	cs_fs_remove_stale(tmp, "cs-private-");
	/* held (for reading, where that is all it allows) while copied, so
	 * that no writer is halfway through */
	if ((rc = cs_lock_acquire(&s->lock, s->dir, s->wait_seconds, err)) != 0)
		return rc;
	if ((rc = cs_fs_temp_dir(tmp, "cs-private-", s->copy, sizeof(s->copy), err)) == 0 &&
	    (rc = cs_backup_copy_store(s->dir, s->copy, &copy, err)) == 0 &&
	    (size_t)snprintf(s->dbpath, sizeof(s->dbpath), "%s/db", s->copy) >= sizeof(s->dbpath))
		rc = cs_error_set(err, CS_EX_USAGE, "path '%s' is too long", s->copy);
	cs_lock_close(&s->lock);
	cs_lock_init(&s->lock, command);
	if (rc != 0 && s->copy[0] != '\0') {
		cs_fs_remove_tree(s->copy, NULL);
		s->copy[0] = '\0';
	}
	return rc != 0 ? rc : cs_store_acquire(s, err);
}

/* Whether a failed open is one a private copy gets round. */
static bool
not_writable_here(const struct cs_error *err)
{
	return err->code == CS_EX_NOPERM || strstr(err->message, "Read-only file system") != NULL;
}

/*
 * Refuses a store whose files anyone may replace: LevelDB opens its files
 * by name (db/LOG is truncated at every open), so a link planted in a
 * world-writable store directory, or in a directory another user's link
 * leads to, would have the command write, with its privileges, the file the
 * link names. A world-writable directory with the sticky bit (as /tmp) is
 * no better here, since the store's own files are replaced by name. A
 * store shared by a group is group-writable, which is taken as meant.
 * A symbolic link to the store is followed as fs.protected_symlinks
 * follows one in a sticky directory: when the link and what it leads to
 * have one owner, or the link is this user's.
 */
static int
store_dirs_check(const char *dir, const char *db, struct cs_error *err)
{
	const char *paths[] = { dir, db };
	struct stat link, st;

	if (lstat(dir, &link) == 0 && S_ISLNK(link.st_mode) && stat(dir, &st) == 0 && link.st_uid != st.st_uid &&
	    link.st_uid != geteuid())
		return cs_error_set(err, CS_EX_NOPERM,
		    "store '%s' is a link of another user's (uid %u) to a directory of uid %u: not followed", dir,
		    (unsigned)link.st_uid, (unsigned)st.st_uid);
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		if (stat(paths[i], &st) == 0 && (st.st_mode & S_IWOTH))
			return cs_error_set(err, CS_EX_NOPERM,
			    "'%s' is writable by every user: a link planted there would be followed; "
			    "chmod o-w it (a store shared by a group is group-writable)",
			    paths[i]);
	}
	return 0;
}

int
cs_store_missing(const char *dir, struct cs_error *err)
{
	struct stat st;

	/* -s /tmp, or a typo for the store's parent: cs-init there would be
	 * the wrong advice */
	if (stat(dir, &st) == 0 && S_ISDIR(st.st_mode))
		return cs_error_set(err, CS_EX_NOINPUT, "'%s' is not a store (no db directory)", dir);
	return cs_error_set(err, CS_EX_NOINPUT, "store '%s' not found (create it with cs-init)", dir);
}

int
cs_store_open_as(struct cs_store *s, const char *dir, const char *command, double wait_seconds, bool verify,
    enum cs_open how, struct cs_error *err)
{
	struct stat st;
	int rc;

	store_init(s, dir, command, wait_seconds);
	if (verify) {
		leveldb_options_set_paranoid_checks(s->options, 1);
		leveldb_readoptions_set_verify_checksums(s->read, 1);
	}
	if (stat(s->dbpath, &st) != 0) {
		if (errno == EACCES || errno == EPERM)
			return cs_error_set(err, CS_EX_NOPERM, "cannot open store '%s': %s", dir, strerror(errno));
		st.st_mode = 0;
	}
	if (!S_ISDIR(st.st_mode))
		return cs_store_missing(dir, err);
	if ((rc = store_dirs_check(dir, s->dbpath, err)) != 0)
		return rc;
	if (how == CS_OPEN_COPY)
		rc = open_private_copy(s, err);
	else if ((rc = cs_store_acquire(s, err)) != 0 && how == CS_OPEN_READ && not_writable_here(err)) {
		/* what cannot be copied either fails as it did in place */
		struct cs_error in_place = *err;

		if ((rc = open_private_copy(s, err)) != 0) {
			*err = in_place;
			rc = in_place.code;
		}
	}
	if (rc != 0)
		return rc;
	if ((rc = meta_load(s, err)) != 0) {
		cs_store_release(s);
		return rc;
	}
	/* what a cs-backup killed midway left in the store: its private copy
	 * for --export, its staging, a restore's new database (backup.h) */
	if (s->copy[0] == '\0' && !s->lock.read_only)
		cs_fs_remove_stale(dir, "cs-backup-");
	return 0;
}

int
cs_store_open(struct cs_store *s, const char *dir, const char *command, double wait_seconds,
    struct cs_error *err)
{
	return cs_store_open_as(s, dir, command, wait_seconds, false, CS_OPEN_WRITE, err);
}

int
cs_store_open_verified(struct cs_store *s, const char *dir, const char *command, double wait_seconds,
    struct cs_error *err)
{
	return cs_store_open_as(s, dir, command, wait_seconds, true, CS_OPEN_WRITE, err);
}

int
cs_store_repair(struct cs_store *s, struct cs_error *err)
{
	char *lerr = NULL;
	int rc;

	if (s->db != NULL) {
		leveldb_close(s->db);
		s->db = NULL;
	} else if ((rc = cs_lock_acquire(&s->lock, s->dir, s->wait_seconds, err)) != 0) {
		return rc;
	}
	/* LevelDB's repair takes no lock of its own (LIBRARIES.md 9.4): the
	 * store's lock, held here with the database closed, is the only guard. */
	leveldb_repair_db(s->options, s->dbpath, &lerr);
	if (lerr != NULL) {
		cs_lock_release(&s->lock);
		return leveldb_failed(s, lerr, "cannot repair store", err);
	}
	if ((rc = db_open(s, false, err)) != 0) {
		cs_lock_release(&s->lock);
		return rc;
	}
	clock_gettime(CLOCK_MONOTONIC, &s->held_since);
	if ((rc = meta_load(s, err)) != 0) {
		cs_store_release(s);
		return rc;
	}
	return 0;
}

static void
batch_meta(leveldb_writebatch_t *b, const char *name, const void *value, size_t len)
{
	leveldb_writebatch_put(b, name, strlen(name), value, len);
}

/* Failing to open what cs-init is creating is "cannot create" (73); a
 * busy store stays busy (75). */
static int
cannot_create(int rc, struct cs_error *err)
{
	if (rc == CS_EX_NOINPUT || rc == CS_EX_IOERR)
		err->code = CS_EX_CANTCREAT;
	return err->code;
}

/* An opaque genesis names its own hash: given again, it must be the same
 * entry (header, prev, work), else it is a conflict. */
static int
same_genesis(struct cs_store *s, const struct cs_entry *genesis, struct cs_error *err)
{
	const char *what = NULL;
	struct cs_entry e;
	char *owned, hex[CS_HASH_HEX];
	int rc = cs_store_read_entry(s, genesis->hash, &e, &owned, err);

	if (rc != 0)
		return rc == CS_EX_NOTFOUND ? cs_error_set(err, CS_EX_IOERR, "store '%s' is corrupt: genesis entry missing",
						  s->dir)
					    : rc;
	if (e.header_len != genesis->header_len || memcmp(e.header, genesis->header, e.header_len) != 0)
		what = "header";
	else if (memcmp(e.prev, genesis->prev, 32) != 0)
		what = "prev";
	else if (cs_u256_cmp(&e.work, &genesis->work) != 0)
		what = "work";
	cs_store_free(owned);
	if (what == NULL)
		return 0;
	cs_hash_to_display(genesis->hash, hex);
	return cs_error_set(err, CS_EX_DATAERR, "conflict: '%s' holds genesis %s with a different %s", s->dir, hex,
	    what);
}

/* The meta records and the genesis entry, in one synced batch, into the
 * held store s, whose database holds nothing yet. */
static int
write_genesis(struct cs_store *s, const struct cs_store_meta *meta, const struct cs_entry *genesis,
    struct cs_error *err)
{
	uint8_t key[33], hkey[5], limit[32], value[CS_ENTRY_VALUE_MAX];
	struct cs_entry first;
	leveldb_writebatch_t *batch;
	char schema[8];
	size_t vlen;
	int rc;

	s->meta = *meta;
	s->schema = CS_SCHEMA_VERSION;
	if (cs_rules_find(meta->rules, &s->rules) != 0)
		return cs_error_set(err, CS_EX_USAGE, "unknown rules '%s'", meta->rules);
	if (s->rules.enabled)
		cs_rules_set_limit(&s->rules, &meta->pow_limit);
	first = *genesis;
	if (s->rules.enabled && !meta->opaque) {
		struct cs_rules_ctx ctx;

		cs_rules_ctx_root(&s->rules, meta->base_height, genesis->header, meta->root_times, meta->root_time_count,
		    &ctx);
		first.has_context = true;
		first.period_time = ctx.period_time;
		first.period_bits = ctx.period_bits;
		first.walk_bits = ctx.walk_bits;
	}
	vlen = cs_store_encode_entry(s, &first, value, sizeof(value));
	if (vlen == 0)
		return cs_error_set(err, CS_EX_DATAERR, "genesis header is too large");
	batch = leveldb_writebatch_create();
	snprintf(schema, sizeof(schema), "%d", CS_SCHEMA_VERSION);
	batch_meta(batch, CS_META_SCHEMA, schema, strlen(schema));
	batch_meta(batch, CS_META_NETWORK, meta->network, strlen(meta->network));
	batch_meta(batch, CS_META_GENESIS, meta->genesis, 32);
	cs_u256_to_be(&meta->pow_limit, limit);
	batch_meta(batch, CS_META_POW_LIMIT, limit, 32);
	batch_meta(batch, CS_META_MAGIC, meta->magic, 4);
	batch_meta(batch, CS_META_TIP, genesis->hash, 32);
	batch_meta(batch, CS_META_RULES, meta->rules, strlen(meta->rules));
	if (meta->base_height > 0 || memcmp(meta->root, meta->genesis, 32) != 0) {
		uint8_t point[32 + 4 + 4 * 10];

		memcpy(point, meta->root, 32);
		put_be32(point + 32, meta->base_height);
		for (unsigned i = 0; i < meta->root_time_count; i++)
			put_be32(point + 36 + 4 * i, meta->root_times[i]);
		batch_meta(batch, CS_META_CHECKPOINT, point, 36 + 4 * meta->root_time_count);
	}
	cs_store_key(key, CS_KEY_ENTRY, genesis->hash);
	leveldb_writebatch_put(batch, (char *)key, 33, (char *)value, vlen);
	cs_store_height_key(hkey, meta->base_height);
	leveldb_writebatch_put(batch, (char *)hkey, 5, (const char *)genesis->hash, 32);
	cs_store_key(key, CS_KEY_TIP, genesis->hash);
	leveldb_writebatch_put(batch, (char *)key, 33, "", 0);
	if (genesis->body != NULL) {
		cs_store_key(key, CS_KEY_BODY, genesis->hash);
		leveldb_writebatch_put(batch, (char *)key, 33, (const char *)genesis->body, genesis->body_len);
	}
	rc = cs_store_write(s, batch, err);
	leveldb_writebatch_destroy(batch);
	return rc;
}

/* The held store s exists: it must be of meta's network and start where
 * meta does (an opaque one at the same genesis entry). */
static int
same_store(struct cs_store *s, const struct cs_store_meta *meta, const struct cs_entry *genesis,
    struct cs_error *err)
{
	char have[CS_HASH_HEX], want[CS_HASH_HEX];

	if (s->meta.opaque != meta->opaque || strcmp(s->meta.network, meta->network) != 0)
		return cs_error_set(err, CS_EX_DATAERR, "'%s' is %s %s store, not %s", s->dir, s->meta.opaque ? "an" : "a",
		    s->meta.network, meta->network);
	if (memcmp(s->meta.genesis, meta->genesis, 32) != 0) {
		cs_hash_to_display(s->meta.genesis, have);
		cs_hash_to_display(meta->genesis, want);
		return cs_error_set(err, CS_EX_DATAERR, "'%s' is a store of genesis %s, not %s", s->dir, have, want);
	}
	if (strcmp(s->meta.rules, meta->rules) != 0)
		return cs_error_set(err, CS_EX_DATAERR, "'%s' is a store with %s rules, not %s", s->dir, s->meta.rules,
		    meta->rules);
	if (memcmp(s->meta.root, meta->root, 32) != 0 || s->meta.base_height != meta->base_height) {
		cs_hash_to_display(s->meta.root, have);
		cs_hash_to_display(meta->root, want);
		return cs_error_set(err, CS_EX_DATAERR, "'%s' starts at %s (height %u), not %s (height %u)", s->dir, have,
		    s->meta.base_height, want, meta->base_height);
	}
	return meta->opaque ? same_genesis(s, genesis, err) : 0;
}

/* cs-init on a directory that has a database: a store, compared with
 * meta; or one that an older cs-init left without its meta, finished in
 * place (the genesis batch is one synced write). */
static int
create_in_place(struct cs_store *s, const char *dir, const char *command, double wait_seconds,
    const struct cs_store_meta *meta, const struct cs_entry *genesis, bool *existed, struct cs_error *err)
{
	int rc;

	store_init(s, dir, command, wait_seconds);
	if ((rc = cs_lock_acquire(&s->lock, s->dir, s->wait_seconds, err)) != 0)
		return cannot_create(rc, err);
	if ((rc = db_open(s, true, err)) != 0) {
		cs_lock_release(&s->lock);
		return cannot_create(rc, err);
	}
	clock_gettime(CLOCK_MONOTONIC, &s->held_since);
	rc = meta_load(s, err);
	if (rc == 0) {
		*existed = true;
		rc = same_store(s, meta, genesis, err);
	} else if (rc == CS_EX_NOINPUT) {
		rc = write_genesis(s, meta, genesis, err);
	}
	cs_store_release(s);
	return rc;
}

/* Builds a whole store in the new directory tmp (its lock, its database
 * with the meta and genesis), closes it and syncs every file of it.
 * Messages name the store dir, which tmp is to become. */
static int
build_store(const char *tmp, const char *dir, const char *command, const struct cs_store_meta *meta,
    const struct cs_entry *genesis, struct cs_error *err)
{
	struct cs_store t;
	int rc;

	store_init(&t, tmp, command, 0);
	snprintf(t.dir, sizeof(t.dir), "%s", dir);
	if ((rc = cs_lock_acquire(&t.lock, tmp, 0, err)) == 0 && (rc = db_open(&t, true, err)) == 0)
		rc = write_genesis(&t, meta, genesis, err);
	cs_store_close(&t);
	if (rc == 0)
		rc = cs_fs_sync_tree(tmp, err);
	return rc == CS_EX_NOINPUT || rc == CS_EX_IOERR ? cannot_create(rc, err) : rc;
}

#define CREATE_RACED (-1) /* another cs-init put a store there first */
#define INSIDE_PREFIX ".cs-init-"

/* No store dir: the store is built in a hidden sibling, then renamed to
 * dir without replacing anything, and the parent synced. A cs-init killed
 * midway leaves only the sibling, which the next one removes. */
static int
create_beside(const char *dir, const char *command, const struct cs_store_meta *meta,
    const struct cs_entry *genesis, struct cs_error *err)
{
	char parent[CS_FS_PATH_MAX], name[NAME_MAX + 1], prefix[NAME_MAX + 16], tmp[CS_FS_PATH_MAX];
	struct stat st;
	bool existed;
	int rc;

	if (cs_fs_split_path(dir, parent, sizeof(parent), name, sizeof(name)) != 0)
		return cs_error_set(err, CS_EX_CANTCREAT, "cannot create store '%s': not a usable path", dir);
	if (stat(parent, &st) != 0 || !S_ISDIR(st.st_mode))
		return cs_error_set(err, CS_EX_CANTCREAT, "cannot create store '%s': %s", dir,
		    strerror(errno == 0 ? ENOTDIR : errno));
	snprintf(prefix, sizeof(prefix), ".%s.cs-init-", name);
	if ((rc = cs_fs_temp_dir(parent, prefix, tmp, sizeof(tmp), err)) != 0)
		return rc;
	if ((rc = build_store(tmp, dir, command, meta, genesis, err)) == 0 &&
	    (rc = cs_fs_rename_noreplace(tmp, dir, &existed, err)) != 0 && existed)
		rc = CREATE_RACED;
	if (rc != 0) {
		cs_fs_remove_tree(tmp, NULL);
		return rc;
	}
	return cs_fs_sync_dir(parent, err);
}

/* A directory without a database (empty, or holding a lock file): the
 * store is built in a hidden directory inside it, and its database
 * renamed in without replacing anything; that rename is the moment the
 * store appears (commands find a store by DIR/db). Building beside it and
 * exchanging the two would not do for a mount point, nor a directory
 * whose parent the user cannot write. */
static int
create_inside(const char *dir, const char *command, const struct cs_store_meta *meta,
    const struct cs_entry *genesis, struct cs_error *err)
{
	char tmp[CS_FS_PATH_MAX], from[CS_FS_PATH_MAX + 8], to[CS_FS_PATH_MAX + 8];
	bool existed;
	int rc;

	if ((rc = cs_fs_temp_dir(dir, INSIDE_PREFIX, tmp, sizeof(tmp), err)) != 0)
		return rc;
	snprintf(from, sizeof(from), "%s/db", tmp);
	snprintf(to, sizeof(to), "%s/db", dir);
	if ((rc = build_store(tmp, dir, command, meta, genesis, err)) == 0 &&
	    (rc = cs_fs_rename_noreplace(from, to, &existed, err)) != 0 && existed)
		rc = CREATE_RACED;
	if (rc == 0) {
		/* the lock file comes too, unless one is there (any command
		 * makes one when it is missing) */
		snprintf(from, sizeof(from), "%s/lock", tmp);
		snprintf(to, sizeof(to), "%s/lock", dir);
		cs_fs_rename_noreplace(from, to, &existed, err);
		cs_error_clear(err);
	}
	cs_fs_remove_tree(tmp, NULL);
	return rc == 0 ? cs_fs_sync_dir(dir, err) : rc;
}

/* Whether dir holds only what a store may start from: nothing, a lock
 * file, a file system's lost+found (a mount point), another cs-init's
 * hidden directory. Anything else is someone's data, and a store put
 * among it would be a mistaken -s (cs-init -s ~). */
static int
check_empty(const char *dir, struct cs_error *err)
{
	struct dirent *d;
	DIR *dp;
	int rc = 0;

	if ((dp = opendir(dir)) == NULL)
		return cs_error_set(err, CS_EX_CANTCREAT, "cannot create store '%s': %s", dir, strerror(errno));
	while (rc == 0 && (d = readdir(dp)) != NULL) {
		if (strcmp(d->d_name, ".") == 0 || strcmp(d->d_name, "..") == 0 || strcmp(d->d_name, "lock") == 0 ||
		    strcmp(d->d_name, "lost+found") == 0 || strncmp(d->d_name, INSIDE_PREFIX, strlen(INSIDE_PREFIX)) == 0)
			continue;
		rc = cs_error_set(err, CS_EX_CANTCREAT,
		    "cannot create store '%s': a directory that is not empty and not a store", dir);
	}
	closedir(dp);
	return rc;
}

int
cs_store_create(struct cs_store *s, const char *dir, const char *command, double wait_seconds,
    const struct cs_store_meta *meta, const struct cs_entry *genesis, bool *existed, struct cs_error *err)
{
	char db[CS_FS_PATH_MAX], parent[CS_FS_PATH_MAX], name[NAME_MAX + 1], prefix[NAME_MAX + 16];
	struct stat st;
	int rc, tries = 0;

	*existed = false;
	memset(s, 0, sizeof(*s));
	if ((size_t)snprintf(db, sizeof(db), "%s/db", dir) >= sizeof(db))
		return cs_error_set(err, CS_EX_USAGE, "store path '%s' is too long", dir);
	/* what a killed cs-init of this name left, beside it or inside it */
	if (cs_fs_split_path(dir, parent, sizeof(parent), name, sizeof(name)) == 0) {
		snprintf(prefix, sizeof(prefix), ".%s.cs-init-", name);
		cs_fs_remove_stale(parent, prefix);
	}
	cs_fs_remove_stale(dir, INSIDE_PREFIX);
	do {
		if (stat(db, &st) == 0)
			return create_in_place(s, dir, command, wait_seconds, meta, genesis, existed, err);
		if (stat(dir, &st) != 0) {
			int saved = errno;

			/* a dangling symbolic link is in the way too */
			rc = saved == ENOENT && lstat(dir, &st) != 0
			    ? create_beside(dir, command, meta, genesis, err)
			    : cs_error_set(err, CS_EX_CANTCREAT, "cannot create store '%s': %s", dir, strerror(saved));
		} else if (S_ISDIR(st.st_mode)) {
			if ((rc = check_empty(dir, err)) == 0)
				rc = create_inside(dir, command, meta, genesis, err);
		} else {
			rc = cs_error_set(err, CS_EX_CANTCREAT, "cannot create store '%s': %s", dir, strerror(ENOTDIR));
		}
	} while (rc == CREATE_RACED && tries++ < 3);
	if (rc == CREATE_RACED)
		return cs_error_set(err, CS_EX_CANTCREAT, "cannot create store '%s': another cs-init made it meanwhile",
		    dir);
	if (rc != 0)
		return rc;
	/* Not opened again: opening replays the log into a table, and a
	 * disk with no room for it would fail a cs-init whose store is made. */
	snprintf(s->dir, sizeof(s->dir), "%s", dir);
	s->meta = *meta;
	return 0;
}

/* Schema 1 keeps the chainwork in 32 bytes; schema 2 in a length byte
 * and its big-endian bytes without leading zeros: a chain's chainwork is
 * far below 2^256 (2^95 on mainnet, 2^21 on a million regtest headers),
 * and the 20 to 28 bytes spared of every entry are bytes LevelDB's log,
 * memtable and compactions no longer carry (docs/benchmarks.md). */
size_t
cs_store_encode_entry(const struct cs_store *s, const struct cs_entry *e, uint8_t *out, size_t cap)
{
	uint8_t chainwork[32];
	size_t zeros = 0, need;
	uint8_t *p = out;

	cs_u256_to_be(&e->chainwork, chainwork);
	while (s->schema >= 2 && zeros < 32 && chainwork[zeros] == 0)
		zeros++;
	bool context = e->has_context && s->schema >= 3 && !s->meta.opaque;

	need = ENTRY_PREFIX + (s->schema >= 2 ? 1 : 0) + 32 - zeros + (s->meta.opaque ? 64 : 0) + e->header_len +
	    (context ? CONTEXT_SIZE : 0);
	if (need > cap)
		return 0;
	*p++ = (uint8_t)(e->flags | (s->meta.opaque ? CS_ENTRY_OPAQUE : 0) | (context ? CS_ENTRY_CONTEXT : 0));
	*p++ = (uint8_t)(e->height >> 24);
	*p++ = (uint8_t)(e->height >> 16);
	*p++ = (uint8_t)(e->height >> 8);
	*p++ = (uint8_t)e->height;
	if (s->schema >= 2)
		*p++ = (uint8_t)(32 - zeros);
	memcpy(p, chainwork + zeros, 32 - zeros);
	p += 32 - zeros;
	if (s->meta.opaque) {
		memcpy(p, e->prev, 32);
		cs_u256_to_be(&e->work, p + 32);
		p += 64;
	}
	memcpy(p, e->header, e->header_len);
	if (context) {
		p += e->header_len;
		put_be32(p, e->period_time);
		put_be32(p + 4, e->period_bits);
		put_be32(p + 8, e->walk_bits);
	}
	return need;
}

void
cs_store_header_work(struct cs_store *s, const uint8_t *header, struct cs_u256 *work)
{
	*work = *cs_work_cache_get(&s->work_cache, cs_header_bits(header));
}

/* Decodes a stored value; the store's work cache fills derived work. */
int
cs_store_decode_entry(struct cs_store *s, const uint8_t hash[32], const char *value, size_t len,
    struct cs_entry *e)
{
	const uint8_t *p = (const uint8_t *)value, *end = p + len;
	uint8_t chainwork[32] = { 0 };
	size_t n = 32;

	memset(e, 0, sizeof(*e));
	if (len < ENTRY_PREFIX + (s->schema >= 2 ? 1 : 0))
		return -1;
	memcpy(e->hash, hash, 32);
	e->flags = p[0];
	e->height = be32(p + 1);
	p += ENTRY_PREFIX;
	if (s->schema >= 2)
		n = *p++;
	if (n > 32 || (size_t)(end - p) < n + ((e->flags & CS_ENTRY_OPAQUE) ? 64 : 0))
		return -1;
	memcpy(chainwork + 32 - n, p, n);
	cs_u256_from_be(&e->chainwork, chainwork);
	p += n;
	if (e->flags & CS_ENTRY_OPAQUE) {
		memcpy(e->prev, p, 32);
		cs_u256_from_be(&e->work, p + 32);
		p += 64;
	}
	if ((e->flags & CS_ENTRY_CONTEXT) && !(e->flags & CS_ENTRY_OPAQUE)) {
		if ((size_t)(end - p) < CONTEXT_SIZE)
			return -1;
		end -= CONTEXT_SIZE;
		e->has_context = true;
		e->period_time = be32(end);
		e->period_bits = be32(end + 4);
		e->walk_bits = be32(end + 8);
		e->flags &= ~(unsigned)CS_ENTRY_CONTEXT;
	}
	e->header = p;
	e->header_len = (size_t)(end - p);
	if (!(e->flags & CS_ENTRY_OPAQUE)) {
		if (e->header_len != CS_HEADER_SIZE)
			return -1;
		memcpy(e->prev, cs_header_prev(e->header), 32);
		cs_store_header_work(s, e->header, &e->work);
	}
	return 0;
}

static int
corrupt_entry(struct cs_store *s, const uint8_t hash[32], struct cs_error *err)
{
	char hex[CS_HASH_HEX];

	cs_hash_to_display(hash, hex);
	return cs_error_set(err, CS_EX_IOERR, "store '%s' is corrupt: entry %s does not decode", s->dir, hex);
}

int
cs_store_get_main(struct cs_store *s, uint32_t height, uint8_t hash[32], struct cs_error *err)
{
	uint8_t key[5];
	char *value;
	size_t vlen;
	int rc;

	cs_store_height_key(key, height);
	if ((rc = db_get(s, key, sizeof(key), &value, &vlen, err)) != 0)
		return rc;
	if (vlen != 32 && vlen != CS_MAIN_VALUE_MAX) {
		leveldb_free(value);
		return cs_error_set(err, CS_EX_IOERR, "store '%s' is corrupt: height index at %u", s->dir, height);
	}
	memcpy(hash, value, 32);
	leveldb_free(value);
	return 0;
}

void
cs_main_cursor_init(struct cs_main_cursor *c, struct cs_store *s, uint32_t height)
{
	memset(c, 0, sizeof(*c));
	c->s = s;
	c->next = height;
}

/* Lets go of the iterator; what was returned last is kept. */
static void
cursor_drop(struct cs_main_cursor *c)
{
	if (c->it != NULL)
		leveldb_iter_destroy(c->it);
	c->it = NULL;
	if (c->s->cursor == c)
		c->s->cursor = NULL;
}

void
cs_main_cursor_close(struct cs_main_cursor *c)
{
	cursor_drop(c);
	cs_store_free(c->owned);
	c->owned = NULL;
}

/* The height index value under the iterator when its key is height. */
static const uint8_t *
cursor_value(struct cs_main_cursor *c, uint32_t height, size_t *vlen)
{
	uint8_t want[5];
	const char *key;
	size_t klen;

	if (!leveldb_iter_valid(c->it))
		return NULL;
	key = leveldb_iter_key(c->it, &klen);
	cs_store_height_key(want, height);
	if (klen != sizeof(want) || memcmp(key, want, sizeof(want)) != 0)
		return NULL;
	return (const uint8_t *)leveldb_iter_value(c->it, vlen);
}

/* Seeks to c->next, through the height below it: still the hash returned
 * last, the chainwork carries on; another, the next entry is read whole. */
static void
cursor_seek(struct cs_main_cursor *c)
{
	const uint8_t *value;
	uint8_t key[5];
	size_t vlen;

	c->it = leveldb_create_iterator(c->s->db, c->s->read);
	c->s->cursor = c;
	cs_store_height_key(key, c->next > 0 ? c->next - 1 : 0);
	leveldb_iter_seek(c->it, (const char *)key, sizeof(key));
	if (c->next == 0)
		return;
	value = cursor_value(c, c->next - 1, &vlen);
	if (value == NULL || vlen < 32) {
		c->have_last = c->have_work = false;
		return;
	}
	if (!c->have_last || memcmp(c->last, value, 32) != 0)
		c->have_work = false;
	memcpy(c->last, value, 32);
	c->have_last = true;
	leveldb_iter_next(c->it);
}

int
cs_main_cursor_next(struct cs_main_cursor *c, struct cs_entry *e, struct cs_error *err)
{
	const uint8_t *value;
	uint8_t hash[32];
	size_t vlen;
	int rc;

	cs_store_free(c->owned);
	c->owned = NULL;
	if (c->it == NULL)
		cursor_seek(c);
	if ((value = cursor_value(c, c->next, &vlen)) == NULL) {
		char *lerr = NULL;

		leveldb_iter_get_error(c->it, &lerr);
		return lerr != NULL ? leveldb_failed(c->s, lerr, "cannot read store", err) : CS_EX_NOTFOUND;
	}
	if (vlen != 32 && vlen != CS_MAIN_VALUE_MAX)
		return cs_error_set(err, CS_EX_IOERR, "store '%s' is corrupt: height index at %u", c->s->dir, c->next);
	memcpy(hash, value, 32);
	if (vlen == CS_MAIN_VALUE_MAX && c->have_last && c->have_work && !c->s->meta.opaque) {
		memset(e, 0, sizeof(*e));
		memcpy(e->hash, hash, 32);
		memcpy(e->prev, c->last, 32);
		cs_store_main_header(value, c->last, c->header);
		e->header = c->header;
		e->header_len = CS_HEADER_SIZE;
		e->height = c->next;
		cs_store_header_work(c->s, c->header, &e->work);
		cs_u256_add_saturate(&e->chainwork, &c->work, &e->work);
	} else {
		rc = cs_store_read_entry(c->s, hash, e, &c->owned, err);
		if (rc != 0)
			return rc == CS_EX_NOTFOUND ? cs_error_set(err, CS_EX_IOERR,
							  "store '%s' is corrupt: main chain entry missing at height %u",
							  c->s->dir, c->next)
						    : rc;
	}
	e->main = true;
	memcpy(c->last, hash, 32);
	c->work = e->chainwork;
	c->have_last = c->have_work = true;
	c->next++;
	leveldb_iter_next(c->it);
	return 0;
}

int
cs_store_read_entry(struct cs_store *s, const uint8_t hash[32], struct cs_entry *e, char **owned,
    struct cs_error *err)
{
	uint8_t key[33];
	size_t vlen;
	int rc;

	*owned = NULL;
	cs_store_key(key, CS_KEY_ENTRY, hash);
	if ((rc = db_get(s, key, sizeof(key), owned, &vlen, err)) != 0)
		return rc;
	if (cs_store_decode_entry(s, hash, *owned, vlen, e) != 0) {
		leveldb_free(*owned);
		*owned = NULL;
		return corrupt_entry(s, hash, err);
	}
	return 0;
}

int
cs_store_get_entry(struct cs_store *s, const uint8_t hash[32], struct cs_entry *e, char **owned,
    struct cs_error *err)
{
	uint8_t main_hash[32];
	int rc;

	if ((rc = cs_store_read_entry(s, hash, e, owned, err)) != 0)
		return rc;
	rc = cs_store_get_main(s, e->height, main_hash, err);
	if (rc != 0 && rc != CS_EX_NOTFOUND) {
		leveldb_free(*owned);
		*owned = NULL;
		return rc;
	}
	e->main = rc == 0 && memcmp(main_hash, hash, 32) == 0;
	return 0;
}

int
cs_store_get_tip_entry(struct cs_store *s, struct cs_entry *e, char **owned, struct cs_error *err)
{
	uint8_t hash[32];
	int rc;

	*owned = NULL;
	if ((rc = cs_store_get_tip(s, hash, err)) != 0)
		return rc;
	rc = cs_store_read_entry(s, hash, e, owned, err);
	if (rc == CS_EX_NOTFOUND)
		return cs_error_set(err, CS_EX_IOERR, "store '%s' is corrupt: tip entry missing", s->dir);
	e->main = true;
	return rc;
}

int
cs_store_has_entry(struct cs_store *s, const uint8_t hash[32], bool *exists, struct cs_error *err)
{
	uint8_t key[33];
	char *value;
	size_t vlen;
	int rc;

	cs_store_key(key, CS_KEY_ENTRY, hash);
	rc = db_get(s, key, sizeof(key), &value, &vlen, err);
	if (rc != 0 && rc != CS_EX_NOTFOUND)
		return rc;
	*exists = rc == 0;
	if (value != NULL)
		leveldb_free(value);
	return 0;
}

int
cs_store_get_tip(struct cs_store *s, uint8_t hash[32], struct cs_error *err)
{
	size_t len = 0;
	int rc = meta_get(s, CS_META_TIP, hash, 32, &len, err);

	if (rc == CS_EX_NOTFOUND || (rc == 0 && len != 32))
		return cs_error_set(err, CS_EX_IOERR, "store '%s' is corrupt: no tip", s->dir);
	return rc;
}

int
cs_store_get_body(struct cs_store *s, const uint8_t hash[32], char **owned, size_t *len, struct cs_error *err)
{
	uint8_t key[33];

	cs_store_key(key, CS_KEY_BODY, hash);
	return db_get(s, key, sizeof(key), owned, len, err);
}

/* Ends a walk over keys: a read error LevelDB met on the way is the
 * result, else what the walk returned. */
static int
iter_finish(struct cs_store *s, leveldb_iterator_t *it, int rc, struct cs_error *err)
{
	char *lerr = NULL;

	leveldb_iter_get_error(it, &lerr);
	leveldb_iter_destroy(it);
	if (lerr != NULL)
		return leveldb_failed(s, lerr, "cannot read store", err);
	return rc;
}

int
cs_store_each_tip(struct cs_store *s, int (*fn)(void *ctx, const uint8_t hash[32], struct cs_error *err),
    void *ctx, struct cs_error *err)
{
	leveldb_iterator_t *it = leveldb_create_iterator(s->db, s->read);
	int rc = 0;

	for (leveldb_iter_seek(it, "X", 1); leveldb_iter_valid(it); leveldb_iter_next(it)) {
		size_t klen;
		const char *key = leveldb_iter_key(it, &klen);

		if (klen != 33 || key[0] != CS_KEY_TIP)
			break;
		if ((rc = fn(ctx, (const uint8_t *)key + 1, err)) != 0)
			break;
	}
	return iter_finish(s, it, rc, err);
}

int
cs_store_each_mark(struct cs_store *s,
    int (*fn)(void *ctx, const uint8_t hash[32], uint32_t height, struct cs_error *err), void *ctx,
    struct cs_error *err)
{
	leveldb_iterator_t *it = leveldb_create_iterator(s->db, s->read);
	int rc = 0;

	for (leveldb_iter_seek(it, "I", 1); leveldb_iter_valid(it); leveldb_iter_next(it)) {
		size_t klen, vlen;
		const char *key = leveldb_iter_key(it, &klen);
		const char *value;

		if (klen == 0 || key[0] != CS_KEY_INVALID)
			break;
		value = leveldb_iter_value(it, &vlen);
		if (klen != 33 || vlen != CS_MARK_VALUE_SIZE) {
			rc = cs_error_set(err, CS_EX_IOERR, "store '%s' is corrupt: an invalid mark of %zu + %zu bytes",
			    s->dir, klen, vlen);
			break;
		}
		if ((rc = fn(ctx, (const uint8_t *)key + 1, be32((const uint8_t *)value), err)) != 0)
			break;
	}
	return iter_finish(s, it, rc, err);
}

int
cs_store_each_entry(struct cs_store *s, const uint8_t *after,
    int (*fn)(void *ctx, const uint8_t hash[32], unsigned flags, uint32_t height, struct cs_error *err), void *ctx,
    struct cs_error *err)
{
	leveldb_readoptions_t *scan = leveldb_readoptions_create();
	leveldb_iterator_t *it;
	uint8_t start[33] = { CS_KEY_ENTRY };
	int rc = 0;

	/* A bulk scan: do not push the hot blocks out of the cache. */
	leveldb_readoptions_set_fill_cache(scan, 0);
	it = leveldb_create_iterator(s->db, scan);
	if (after != NULL)
		cs_store_key(start, CS_KEY_ENTRY, after);
	for (leveldb_iter_seek(it, (const char *)start, after != NULL ? 33 : 1); leveldb_iter_valid(it);
	     leveldb_iter_next(it)) {
		size_t klen, vlen;
		const char *key = leveldb_iter_key(it, &klen);
		const uint8_t *value;

		if (klen != 33 || key[0] != CS_KEY_ENTRY)
			break;
		if (after != NULL && memcmp(key + 1, after, 32) == 0)
			continue;
		value = (const uint8_t *)leveldb_iter_value(it, &vlen);
		if (vlen < ENTRY_PREFIX) {
			rc = corrupt_entry(s, (const uint8_t *)key + 1, err);
			break;
		}
		if ((rc = fn(ctx, (const uint8_t *)key + 1, value[0], be32(value + 1), err)) != 0)
			break;
	}
	rc = iter_finish(s, it, rc, err);
	leveldb_readoptions_destroy(scan);
	return rc;
}

int
cs_store_each_tx(struct cs_store *s, const uint8_t txid[32],
    int (*fn)(void *ctx, const uint8_t block[32], uint32_t index, struct cs_error *err), void *ctx,
    struct cs_error *err)
{
	leveldb_iterator_t *it = leveldb_create_iterator(s->db, s->read);
	uint8_t prefix[33];
	int rc = 0;

	cs_store_key(prefix, CS_KEY_TX, txid);
	for (leveldb_iter_seek(it, (const char *)prefix, sizeof(prefix)); leveldb_iter_valid(it);
	     leveldb_iter_next(it)) {
		size_t klen, vlen;
		const char *key = leveldb_iter_key(it, &klen);
		const char *value;

		if (klen != CS_TX_KEY_SIZE || memcmp(key, prefix, sizeof(prefix)) != 0)
			break;
		value = leveldb_iter_value(it, &vlen);
		if (vlen != 4) {
			rc = cs_error_set(err, CS_EX_IOERR, "store '%s' is corrupt: transaction index value is %zu bytes",
			    s->dir, vlen);
			break;
		}
		if ((rc = fn(ctx, (const uint8_t *)key + 33, be32((const uint8_t *)value), err)) != 0)
			break;
	}
	return iter_finish(s, it, rc, err);
}

int
cs_store_write(struct cs_store *s, leveldb_writebatch_t *batch, struct cs_error *err)
{
	char *lerr = NULL;

	leveldb_write(s->db, s->write_sync, batch, &lerr);
	if (lerr != NULL)
		return leveldb_failed(s, lerr, "cannot write store", err);
	return 0;
}

int
cs_store_check_background(struct cs_store *s, struct cs_error *err)
{
	leveldb_writebatch_t *batch;
	leveldb_writeoptions_t *unsynced;
	char *lerr = NULL;

	if (s->db == NULL)
		return 0;
	/* DBImpl::Write yields bg_error_ (MakeRoomForWrite) before it writes
	 * anything; with no error, the empty batch is a record of no updates
	 * in the log, which needs no sync. */
	batch = leveldb_writebatch_create();
	unsynced = leveldb_writeoptions_create();
	leveldb_write(s->db, unsynced, batch, &lerr);
	leveldb_writeoptions_destroy(unsynced);
	leveldb_writebatch_destroy(batch);
	if (lerr == NULL)
		return 0;
	cs_error_set(err, CS_EX_IOERR, "store '%s': LevelDB background compaction failed: %s", s->dir, lerr);
	leveldb_free(lerr);
	return CS_EX_IOERR;
}

int
cs_store_settle(struct cs_store *s, long max_ms, struct cs_error *err)
{
	struct timespec start, now;
	int rc = 0;

	if (s->db == NULL)
		return 0;
	/* What the write buffer holds would otherwise wait in LevelDB's log
	 * for the next process to open the store, to replay it (up to 32 MiB,
	 * a quarter of a second) and write it out. */
	if (!cs_lock_wanted(&s->lock))
		cs_leveldb_flush(s->db);
	clock_gettime(CLOCK_MONOTONIC, &start);
	/* After a background error LevelDB compacts no more: what is due
	 * stays due, so the error ends the wait. */
	for (int i = 0; (rc = i % 10 == 0 ? cs_store_check_background(s, err) : 0) == 0; i++) {
		if (!cs_leveldb_compaction_due(s->db) || cs_lock_wanted(&s->lock))
			break;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if ((now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000 >= max_ms)
			break;
		usleep(10000);
	}
	return rc != 0 ? rc : cs_store_check_background(s, err);
}

int
cs_hash_list_add(void *ctx, const uint8_t hash[32], struct cs_error *err)
{
	struct cs_hash_list *l = ctx;
	uint8_t(*grown)[32] = cs_grow(l->v, &l->cap, l->n + 1, 64, sizeof(*grown));

	if (grown == NULL)
		return cs_error_set(err, CS_EX_SOFTWARE, "out of memory");
	l->v = grown;
	memcpy(l->v[l->n++], hash, 32);
	return 0;
}
