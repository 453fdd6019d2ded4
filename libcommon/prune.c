/* The one-shot SHA256_* functions, as in sha256.c. */
#define OPENSSL_API_COMPAT 0x10100000L

#include "prune.h"

#include "block.h"
#include "exit.h"
#include "hex.h"
#include "reader.h"

#include <dirent.h>
#include <errno.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define BATCH_OPS 10000
/* A prefix with deletions in at most this many 1/256ths of its keys has
 * those compacted one by one (LevelDB rewrites only the table files that
 * overlap them); with more, the prefix is compacted whole. */
#define COMPACT_SPARSE 8

static const char touched_prefix[] = "BTEX";

static void
touch(struct cs_prune *p, char prefix, uint8_t first)
{
	int i = (int)(strchr(touched_prefix, prefix) - touched_prefix);

	p->touched[i][first >> 3] |= (uint8_t)(1u << (first & 7));
}

static bool
is_touched(const struct cs_prune *p, size_t bucket)
{
	return (p->touched[bucket >> 8][(bucket & 255) >> 3] >> (bucket & 7)) & 1;
}

static void
batch_delete(struct cs_prune *p, char prefix, const uint8_t hash[32])
{
	uint8_t key[33];

	cs_store_key(key, prefix, hash);
	leveldb_writebatch_delete(p->batch, (const char *)key, sizeof(key));
	touch(p, prefix, hash[0]);
	p->ops++;
}

static int
out_of_memory(struct cs_error *err)
{
	return cs_error_set(err, CS_EX_SOFTWARE, "out of memory");
}

static int
corrupt(struct cs_prune *p, const uint8_t hash[32], const char *why, struct cs_error *err)
{
	char hex[CS_HASH_HEX];

	cs_hash_to_display(hash, hex);
	return cs_error_set(err, CS_EX_IOERR, "store '%s' is corrupt: entry %s: %s", p->store->dir, hex, why);
}

int
cs_prune_init(struct cs_prune *p, struct cs_store *s, struct cs_error *err)
{
	memset(p, 0, sizeof(*p));
	p->store = s;
	p->batch = leveldb_writebatch_create();
	p->value = malloc(CS_ENTRY_VALUE_MAX);
	if (p->batch == NULL || p->value == NULL) {
		cs_prune_free(p);
		return out_of_memory(err);
	}
	return 0;
}

static void
forks_clear(struct cs_prune *p)
{
	free(p->fork_slots);
	p->fork_slots = NULL;
	p->fork_slot_cap = 0;
	p->fork_count = 0;
	p->fork_drops = 0;
}

void
cs_prune_free(struct cs_prune *p)
{
	forks_clear(p);
	free(p->forks);
	free(p->bodies);
	free(p->archived);
	free(p->value);
	if (p->batch != NULL)
		leveldb_writebatch_destroy(p->batch);
	memset(p, 0, sizeof(*p));
}

/* The fork table's index of hash, or CS_PRUNE_NONE. */
static size_t
fork_find(const struct cs_prune *p, const uint8_t hash[32])
{
	size_t i;

	if (p->fork_slot_cap == 0)
		return CS_PRUNE_NONE;
	for (i = cs_hash_slot(hash) & (p->fork_slot_cap - 1); p->fork_slots[i] != 0; i = (i + 1) & (p->fork_slot_cap - 1)) {
		if (memcmp(p->forks[p->fork_slots[i] - 1].hash, hash, 32) == 0)
			return p->fork_slots[i] - 1;
	}
	return CS_PRUNE_NONE;
}

static void
slot_insert(struct cs_prune *p, size_t index)
{
	size_t i = cs_hash_slot(p->forks[index].hash) & (p->fork_slot_cap - 1);

	while (p->fork_slots[i] != 0)
		i = (i + 1) & (p->fork_slot_cap - 1);
	p->fork_slots[i] = index + 1;
}

/* Appends a fork entry; the slots stay at most half full. */
static int
fork_add(struct cs_prune *p, const struct cs_prune_fork *f, struct cs_error *err)
{
	if (p->fork_count == p->fork_cap) {
		size_t cap = p->fork_cap ? 2 * p->fork_cap : 256;
		struct cs_prune_fork *grown = realloc(p->forks, cap * sizeof(*grown));

		if (grown == NULL)
			return out_of_memory(err);
		p->forks = grown;
		p->fork_cap = cap;
	}
	if (2 * (p->fork_count + 1) > p->fork_slot_cap) {
		size_t cap = p->fork_slot_cap ? 2 * p->fork_slot_cap : 1024;
		size_t *slots = calloc(cap, sizeof(*slots));

		if (slots == NULL)
			return out_of_memory(err);
		free(p->fork_slots);
		p->fork_slots = slots;
		p->fork_slot_cap = cap;
		for (size_t i = 0; i < p->fork_count; i++)
			slot_insert(p, i);
	}
	p->forks[p->fork_count] = *f;
	slot_insert(p, p->fork_count);
	p->fork_count++;
	return 0;
}

static int
hash_order(const void *a, const void *b)
{
	return memcmp(a, b, 32);
}

static bool
was_archived(struct cs_prune *p, const uint8_t hash[32])
{
	if (p->archived_count == 0)
		return false;
	if (!p->archived_sorted) {
		qsort(p->archived, p->archived_count, sizeof(*p->archived), hash_order);
		p->archived_sorted = true;
	}
	return bsearch(hash, p->archived, p->archived_count, sizeof(*p->archived), hash_order) != NULL;
}

int
cs_prune_mark_archived(struct cs_prune *p, size_t i, struct cs_error *err)
{
	if (p->archived_count == p->archived_cap) {
		size_t cap = p->archived_cap ? 2 * p->archived_cap : 256;
		uint8_t(*grown)[32] = realloc(p->archived, cap * sizeof(*grown));

		if (grown == NULL)
			return out_of_memory(err);
		p->archived = grown;
		p->archived_cap = cap;
	}
	memcpy(p->archived[p->archived_count++], p->forks[i].hash, 32);
	p->archived_sorted = false;
	p->forks[i].archived = true;
	return 0;
}

/* Whether hash is the main-chain entry at height. */
static int
on_main_chain(struct cs_prune *p, const uint8_t hash[32], uint32_t height, bool *main, struct cs_error *err)
{
	uint8_t main_hash[32];
	int rc = cs_store_get_main(p->store, height, main_hash, err);

	if (rc != 0 && rc != CS_EX_NOTFOUND)
		return rc;
	*main = rc == 0 && memcmp(main_hash, hash, 32) == 0;
	return 0;
}

static int
load_tip_height(struct cs_prune *p, struct cs_error *err)
{
	struct cs_entry e;
	char *owned;
	int rc;

	if ((rc = cs_store_get_tip_entry(p->store, &e, &owned, err)) != 0)
		return rc;
	p->tip_height = e.height;
	cs_store_free(owned);
	return 0;
}

/* Whether a main-chain entry at height is more than keep below the tip. */
static bool
below(const struct cs_prune *p, uint32_t height, uint32_t keep)
{
	return (uint64_t)height + keep < p->tip_height;
}

/* Scanning the entries stops at this many for a pause (see pause in
 * prune.h), and resumes after the last one seen. */
#define SCAN_CHUNK 4096
#define SCAN_PAUSE (-1)

static int
plan_body(void *ctx, const uint8_t hash[32], unsigned flags, uint32_t height, struct cs_error *err)
{
	struct cs_prune *p = ctx;

	memcpy(p->scan_last, hash, 32);
	p->scan_count++;
	if (!(flags & CS_ENTRY_HAS_BODY) || !below(p, height, p->keep_bodies))
		return p->scan_count >= SCAN_CHUNK ? SCAN_PAUSE : 0;
	if (p->body_count == p->body_cap) {
		size_t cap = p->body_cap ? 2 * p->body_cap : 1024;
		struct cs_prune_body *grown = realloc(p->bodies, cap * sizeof(*grown));

		if (grown == NULL)
			return out_of_memory(err);
		p->bodies = grown;
		p->body_cap = cap;
	}
	memcpy(p->bodies[p->body_count].hash, hash, 32);
	p->bodies[p->body_count].height = height;
	p->bodies[p->body_count].archived = false;
	p->body_count++;
	return p->scan_count >= SCAN_CHUNK ? SCAN_PAUSE : 0;
}

static int
by_height(const void *a, const void *b)
{
	const struct cs_prune_body *x = a, *y = b;

	if (x->height != y->height)
		return x->height < y->height ? -1 : 1;
	return memcmp(x->hash, y->hash, 32);
}

/* Entries with a body below the height, then only those on the main chain
 * (forks keep theirs: only --forks touches them), by height. */
/* Entries with a body below the height, then only those on the main chain
 * (forks keep theirs: only --forks touches them), by height. The scan goes
 * in chunks, with a pause between them. */
static int
plan_bodies(struct cs_prune *p, struct cs_error *err)
{
	size_t kept = 0;
	bool resume = false;
	int rc;

	p->body_count = 0;
	do {
		p->scan_count = 0;
		rc = cs_store_each_entry(p->store, resume ? p->scan_last : NULL, plan_body, p, err);
		if (rc != 0 && rc != SCAN_PAUSE)
			return rc;
		for (size_t i = kept; i < p->body_count; i++) {
			bool main;
			int main_rc = on_main_chain(p, p->bodies[i].hash, p->bodies[i].height, &main, err);

			if (main_rc != 0)
				return main_rc;
			if (main)
				p->bodies[kept++] = p->bodies[i];
		}
		p->body_count = kept;
		resume = true;
		if (rc == SCAN_PAUSE && p->pause != NULL) {
			int pause_rc = p->pause(p->pause_ctx, err);

			if (pause_rc != 0)
				return pause_rc;
		}
	} while (rc == SCAN_PAUSE);
	if (p->body_count > 1)
		qsort(p->bodies, p->body_count, sizeof(*p->bodies), by_height);
	return 0;
}

struct tips {
	uint8_t (*v)[32];
	size_t n, cap;
};

static int
collect_tip(void *ctx, const uint8_t hash[32], struct cs_error *err)
{
	struct tips *t = ctx;

	if (t->n == t->cap) {
		size_t cap = t->cap ? 2 * t->cap : 64;
		uint8_t(*grown)[32] = realloc(t->v, cap * sizeof(*grown));

		if (grown == NULL)
			return out_of_memory(err);
		t->v = grown;
		t->cap = cap;
	}
	memcpy(t->v[t->n++], hash, 32);
	return 0;
}

struct path {
	struct cs_prune_fork *v;
	size_t n, cap;
};

static int
path_push(struct path *path, const uint8_t hash[32], uint32_t height, struct cs_error *err)
{
	if (path->n == path->cap) {
		size_t cap = path->cap ? 2 * path->cap : 64;
		struct cs_prune_fork *grown = realloc(path->v, cap * sizeof(*grown));

		if (grown == NULL)
			return out_of_memory(err);
		path->v = grown;
		path->cap = cap;
	}
	memset(&path->v[path->n], 0, sizeof(path->v[0]));
	memcpy(path->v[path->n].hash, hash, 32);
	path->v[path->n++].height = height;
	return 0;
}

/* Walks back from a chain tip that is not on the main chain to the first
 * entry already in the table or on the main chain (the fork point), and
 * adds the entries passed, parents first. */
static int
walk_branch(struct cs_prune *p, const uint8_t tip[32], struct path *path, struct cs_error *err)
{
	uint8_t cur[32];
	uint32_t fork_point = 0, expect = 0;
	size_t parent = CS_PRUNE_NONE;
	bool first = true;
	int rc;

	path->n = 0;
	memcpy(cur, tip, 32);
	for (;;) {
		struct cs_entry e;
		char *owned;
		bool main;

		if ((parent = fork_find(p, cur)) != CS_PRUNE_NONE) {
			fork_point = p->forks[parent].fork_point;
			break;
		}
		rc = cs_store_read_entry(p->store, cur, &e, &owned, err);
		if (rc == CS_EX_NOTFOUND)
			return corrupt(p, cur, first ? "chain tip without an entry" : "its child's parent is missing", err);
		if (rc != 0)
			return rc;
		if (!first && e.height != expect) {
			cs_store_free(owned);
			return corrupt(p, cur, "height does not follow its child's", err);
		}
		if ((rc = on_main_chain(p, cur, e.height, &main, err)) != 0) {
			cs_store_free(owned);
			return rc;
		}
		if (main) {
			fork_point = e.height;
			cs_store_free(owned);
			break;
		}
		if (e.height <= p->store->meta.base_height) {
			cs_store_free(owned);
			return corrupt(p, cur, "a second genesis", err);
		}
		rc = path_push(path, cur, e.height, err);
		memcpy(cur, e.prev, 32);
		expect = e.height - 1;
		first = false;
		cs_store_free(owned);
		if (rc != 0)
			return rc;
	}
	while (path->n > 0) {
		struct cs_prune_fork f = path->v[--path->n];

		f.fork_point = fork_point;
		f.parent = parent;
		f.children = 0;
		f.drop = p->forks_on && below(p, fork_point, p->keep_forks);
		f.archived = f.drop && was_archived(p, f.hash);
		if ((rc = fork_add(p, &f, err)) != 0)
			return rc;
		if (parent != CS_PRUNE_NONE)
			p->forks[parent].children++;
		parent = p->fork_count - 1;
		p->fork_drops += f.drop;
	}
	return 0;
}

int
cs_prune_replan_forks(struct cs_prune *p, struct cs_error *err)
{
	struct tips tips = { NULL, 0, 0 };
	struct path path = { NULL, 0, 0 };
	int rc;

	forks_clear(p);
	if ((rc = load_tip_height(p, err)) != 0)
		return rc;
	if (!p->forks_on)
		return 0;
	rc = cs_store_each_tip(p->store, collect_tip, &tips, err);
	for (size_t i = 0; i < tips.n && rc == 0; i++) {
		struct cs_entry e;
		char *owned;
		bool main;

		if (fork_find(p, tips.v[i]) != CS_PRUNE_NONE)
			continue;
		rc = cs_store_read_entry(p->store, tips.v[i], &e, &owned, err);
		if (rc == CS_EX_NOTFOUND)
			rc = corrupt(p, tips.v[i], "chain tip without an entry", err);
		if (rc != 0)
			break;
		rc = on_main_chain(p, tips.v[i], e.height, &main, err);
		cs_store_free(owned);
		if (rc == 0 && !main)
			rc = walk_branch(p, tips.v[i], &path, err);
	}
	free(tips.v);
	free(path.v);
	return rc;
}

int
cs_prune_plan(struct cs_prune *p, struct cs_error *err)
{
	int rc;

	if ((rc = cs_prune_replan_forks(p, err)) != 0)
		return rc;
	p->body_count = 0;
	return p->bodies_on ? plan_bodies(p, err) : 0;
}

struct unindex {
	struct cs_prune *p;
	const uint8_t *block;
};

static int
unindex_tx(void *ctx, uint32_t index, const struct cs_tx_ref *tx, struct cs_error *err)
{
	struct unindex *u = ctx;
	uint8_t key[CS_TX_KEY_SIZE];

	cs_store_tx_key(key, tx->txid, u->block);
	leveldb_writebatch_delete(u->p->batch, (const char *)key, sizeof(key));
	touch(u->p, 'T', tx->txid[0]);
	u->p->ops++;
	u->p->stats.transactions++;
	return 0;
}

/* Deletes the body of hash and, in a Bitcoin store, its transactions'
 * index keys. *had: whether there was a body. */
static int
drop_body_keys(struct cs_prune *p, const uint8_t hash[32], bool *had, struct cs_error *err)
{
	struct unindex u = { p, hash };
	char *body;
	size_t len;
	int rc;

	*had = false;
	rc = cs_store_get_body(p->store, hash, &body, &len, err);
	if (rc == CS_EX_NOTFOUND)
		return 0;
	if (rc != 0)
		return rc;
	*had = true;
	if (!p->store->meta.opaque) {
		uint64_t before = p->stats.transactions;

		rc = cs_block_parse((const uint8_t *)body, len, NULL, NULL, unindex_tx, &u, err);
		if (rc == CS_EX_DATAERR) {
			char hex[CS_HASH_HEX];

			cs_hash_to_display(hash, hex);
			err->code = rc = CS_EX_IOERR;
			cs_error_prefix(err, "store '%s' is corrupt: body of %s does not parse: ", p->store->dir, hex);
		}
		if (rc != 0)
			p->stats.transactions = before;
	}
	cs_store_free(body);
	if (rc == 0)
		batch_delete(p, 'B', hash);
	return rc;
}

int
cs_prune_drop_body(struct cs_prune *p, size_t i, bool *dropped, struct cs_error *err)
{
	const struct cs_prune_body *b = &p->bodies[i];
	uint8_t key[33];
	struct cs_entry e;
	char *owned;
	size_t len;
	bool main, had;
	int rc;

	*dropped = false;
	if ((rc = cs_store_read_entry(p->store, b->hash, &e, &owned, err)) != 0)
		return rc == CS_EX_NOTFOUND ? corrupt(p, b->hash, "main-chain entry missing", err) : rc;
	/* Checked again: another command may have reorganised meanwhile. */
	if ((rc = on_main_chain(p, b->hash, e.height, &main, err)) != 0 || !main ||
	    !below(p, e.height, p->keep_bodies))
		goto out;
	if ((rc = drop_body_keys(p, b->hash, &had, err)) != 0)
		goto out;
	if (!had && !(e.flags & CS_ENTRY_HAS_BODY))
		goto out;
	e.flags = (e.flags & ~(unsigned)(CS_ENTRY_HAS_BODY | CS_ENTRY_OPAQUE)) | CS_ENTRY_PRUNED;
	len = cs_store_encode_entry(p->store, &e, p->value, CS_ENTRY_VALUE_MAX);
	cs_store_key(key, 'E', b->hash);
	leveldb_writebatch_put(p->batch, (const char *)key, sizeof(key), (const char *)p->value, len);
	touch(p, 'E', b->hash[0]);
	p->ops++;
	p->stats.bodies += had;
	*dropped = had;
out:
	cs_store_free(owned);
	return rc;
}

int
cs_prune_drop_fork(struct cs_prune *p, size_t i, bool *dropped, struct cs_error *err)
{
	struct cs_prune_fork *f = &p->forks[i];
	bool main, exists, had;
	int rc;

	*dropped = false;
	if ((rc = cs_store_has_entry(p->store, f->hash, &exists, err)) != 0)
		return rc;
	if (exists) {
		if ((rc = on_main_chain(p, f->hash, f->height, &main, err)) != 0)
			return rc;
		if (main) {
			char hex[CS_HASH_HEX];

			cs_hash_to_display(f->hash, hex);
			return cs_error_set(err, CS_EX_SOFTWARE, "internal error: %s was planned as a fork but is on the main chain", hex);
		}
		if ((rc = drop_body_keys(p, f->hash, &had, err)) != 0)
			return rc;
		p->stats.fork_bodies += had;
		batch_delete(p, 'E', f->hash);
		batch_delete(p, 'X', f->hash);
		p->stats.fork_entries++;
		*dropped = true;
	}
	/* A parent left without children is a chain tip now (the fork point,
	 * on the main chain, keeps its main-chain child). */
	if (f->parent != CS_PRUNE_NONE && --p->forks[f->parent].children == 0) {
		uint8_t key[33];

		cs_store_key(key, 'X', p->forks[f->parent].hash);
		leveldb_writebatch_put(p->batch, (const char *)key, sizeof(key), "", 0);
		p->ops++;
	}
	return 0;
}

bool
cs_prune_batch_full(const struct cs_prune *p)
{
	return p->ops >= BATCH_OPS;
}

int
cs_prune_commit(struct cs_prune *p, struct cs_error *err)
{
	int rc = 0;

	if (p->ops > 0)
		rc = cs_store_write(p->store, p->batch, err);
	leveldb_writebatch_clear(p->batch);
	p->ops = 0;
	return rc;
}

struct digest {
	SHA256_CTX ctx;
};

static int
digest_tip(void *ctx, const uint8_t hash[32], struct cs_error *err)
{
	struct digest *d = ctx;

	return SHA256_Update(&d->ctx, hash, 32) == 1 ? 0 : cs_error_set(err, CS_EX_SOFTWARE, "SHA-256 failed");
}

int
cs_prune_fingerprint(struct cs_store *s, uint8_t out[32], struct cs_error *err)
{
	struct digest d;
	uint8_t tip[32];
	int rc;

	if ((rc = cs_store_get_tip(s, tip, err)) != 0)
		return rc;
	if (SHA256_Init(&d.ctx) != 1 || SHA256_Update(&d.ctx, tip, 32) != 1)
		return cs_error_set(err, CS_EX_SOFTWARE, "SHA-256 failed");
	rc = cs_store_each_tip(s, digest_tip, &d, err);
	if (rc == 0 && SHA256_Final(out, &d.ctx) != 1)
		return cs_error_set(err, CS_EX_SOFTWARE, "SHA-256 failed");
	return rc;
}

/* Keys from {prefix, first} to the start of the next bucket: an end key
 * no stored key equals (keys are 33 or 65 bytes), so it takes nothing of
 * that bucket. */
static void
compact(struct cs_prune *p, size_t prefix, int first, int last)
{
	uint8_t begin[2], end[2];
	size_t end_len = 2;

	begin[0] = end[0] = (uint8_t)touched_prefix[prefix];
	begin[1] = (uint8_t)first;
	if (last == 255) {
		end[0]++;
		end_len = 1;
	} else {
		end[1] = (uint8_t)(last + 1);
	}
	leveldb_compact_range(p->store->db, (const char *)begin, first == 0 ? 1 : 2, (const char *)end, end_len);
}

bool
cs_prune_compact_next(struct cs_prune *p, size_t *cursor)
{
	while (*cursor < 4 * 256) {
		size_t prefix = *cursor >> 8, next = (prefix + 1) << 8, count = 0, b;

		for (b = prefix << 8; b < next; b++)
			count += is_touched(p, b);
		if (count > COMPACT_SPARSE) {
			/* Each call costs LevelDB a memtable switch: one for all. */
			compact(p, prefix, 0, 255);
			*cursor = next;
			return true;
		}
		for (b = *cursor; b < next && !is_touched(p, b); b++)
			;
		*cursor = b + 1;
		if (b < next) {
			compact(p, prefix, (int)(b & 255), (int)(b & 255));
			return true;
		}
	}
	return false;
}

/* The sizes of the live tables, from LevelDB's own list of them: lines
 * " NUMBER:SIZE[smallest .. largest]" under "--- level N ---". */
static int
live_table_bytes(struct cs_store *s, uint64_t *bytes, struct cs_error *err)
{
	char *list = leveldb_property_value(s->db, "leveldb.sstables");
	const char *line;

	if (list == NULL)
		return cs_error_set(err, CS_EX_SOFTWARE, "LevelDB does not list its tables");
	*bytes = 0;
	for (line = list; *line != '\0'; line = strchr(line, '\n') != NULL ? strchr(line, '\n') + 1 : "") {
		char *end;

		if (line[0] != ' ')
			continue;
		strtoull(line + 1, &end, 10);
		if (*end == ':')
			*bytes += strtoull(end + 1, NULL, 10);
	}
	leveldb_free(list);
	return 0;
}

static bool
is_table(const char *name)
{
	size_t n = strlen(name);

	return (n > 4 && strcmp(name + n - 4, ".ldb") == 0) || (n > 4 && strcmp(name + n - 4, ".sst") == 0);
}

int
cs_prune_disk_bytes(struct cs_store *s, uint64_t *bytes, struct cs_error *err)
{
	struct dirent *d;
	struct stat st;
	char file[8192];
	DIR *dir;
	int rc;

	if ((rc = live_table_bytes(s, bytes, err)) != 0)
		return rc;
	if (lstat(s->dbpath, &st) != 0 || (dir = opendir(s->dbpath)) == NULL)
		return cs_error_set(err, CS_EX_IOERR, "cannot read '%s': %s", s->dbpath, strerror(errno));
	*bytes += (uint64_t)st.st_size;
	while ((d = readdir(dir)) != NULL) {
		if (strcmp(d->d_name, ".") == 0 || strcmp(d->d_name, "..") == 0 || is_table(d->d_name))
			continue;
		snprintf(file, sizeof(file), "%s/%s", s->dbpath, d->d_name);
		if (lstat(file, &st) == 0)
			*bytes += (uint64_t)st.st_size;
	}
	closedir(dir);
	return 0;
}

int
cs_prune_archive_whole(const char *path, uint64_t *whole, struct cs_error *err)
{
	struct cs_reader r;
	struct cs_record rec;
	enum cs_read st;
	int rc;

	*whole = 0;
	memset(&r, 0, sizeof(r));
	if ((rc = cs_reader_open(&r, path, CS_FORMAT_CBOR, NULL, err)) != 0)
		return rc;
	while ((st = cs_reader_next(&r, &rec, true, err)) == CS_READ_RECORD)
		*whole = cs_input_offset(&r.in);
	/* Only an item cut short by the end of the file is torn. A file
	 * that holds something else (it was not ours first) is left whole. */
	if (st == CS_READ_ERROR && err->code == CS_EX_DATAERR) {
		if (!r.in.eof || strstr(err->message, "truncated item") == NULL)
			*whole = UINT64_MAX;
		st = CS_READ_END;
	}
	rc = st == CS_READ_END ? 0 : err->code;
	cs_reader_close(&r);
	return rc;
}
