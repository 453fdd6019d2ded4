/* The one-shot SHA256_* functions, as in sha256.c. */
#define OPENSSL_API_COMPAT 0x10100000L

#include "prune.h"

#include "block.h"
#include "cli.h"
#include "exit.h"
#include "grow.h"
#include "header.h"
#include "hex.h"
#include "writer.h"

#include <inttypes.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BATCH_OPS 10000
/* A prefix with deletions in at most this many 1/256ths of its keys has
 * those compacted one by one (LevelDB rewrites only the table files that
 * overlap them); with more, the prefix is compacted whole. */
#define COMPACT_SPARSE 8

static const char touched_prefix[] = "BTEX";

static int pause_planning(struct cs_prune *p, struct cs_error *err);

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
	p->max_body_height = UINT32_MAX;
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
	struct cs_prune_fork *grown = cs_grow(p->forks, &p->fork_cap, p->fork_count + 1, 256, sizeof(*grown));

	if (grown == NULL)
		return out_of_memory(err);
	p->forks = grown;
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
	uint8_t(*grown)[32] = cs_grow(p->archived, &p->archived_cap, p->archived_count + 1, 256, sizeof(*grown));

	if (grown == NULL)
		return out_of_memory(err);
	p->archived = grown;
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

/* Whether the body of the main-chain entry at height goes. */
static bool
body_goes(const struct cs_prune *p, uint32_t height)
{
	return height <= p->max_body_height && below(p, height, p->keep_bodies);
}

/* Scanning the entries stops at this many for a pause (see pause in
 * prune.h), and resumes after the last one seen. */
#define SCAN_CHUNK 4096
#define SCAN_PAUSE (-1)

static int
plan_body(void *ctx, const uint8_t hash[32], unsigned flags, uint32_t height, struct cs_error *err)
{
	struct cs_prune *p = ctx;
	struct cs_prune_body *grown;

	memcpy(p->scan_last, hash, 32);
	p->scan_count++;
	if (!(flags & CS_ENTRY_HAS_BODY) || !body_goes(p, height))
		return p->scan_count >= SCAN_CHUNK ? SCAN_PAUSE : 0;
	if ((grown = cs_grow(p->bodies, &p->body_cap, p->body_count + 1, 1024, sizeof(*grown))) == NULL)
		return out_of_memory(err);
	p->bodies = grown;
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
		if (rc == SCAN_PAUSE) {
			int pause_rc = pause_planning(p, err);

			if (pause_rc != 0)
				return pause_rc;
		}
	} while (rc == SCAN_PAUSE);
	if (p->body_count > 1)
		qsort(p->bodies, p->body_count, sizeof(*p->bodies), by_height);
	return 0;
}

struct path {
	struct cs_prune_fork *v;
	size_t n, cap;
};

static int
path_push(struct path *path, const uint8_t hash[32], uint32_t height, struct cs_error *err)
{
	struct cs_prune_fork *grown = cs_grow(path->v, &path->cap, path->n + 1, 64, sizeof(*grown));

	if (grown == NULL)
		return out_of_memory(err);
	path->v = grown;
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
	struct cs_hash_list tips = { NULL, 0, 0 };
	struct path path = { NULL, 0, 0 };
	int rc;

	forks_clear(p);
	if ((rc = load_tip_height(p, err)) != 0)
		return rc;
	if (!p->forks_on)
		return 0;
	rc = cs_store_each_tip(p->store, cs_hash_list_add, &tips, err);
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
	touch(u->p, CS_KEY_TX, tx->txid[0]);
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
		batch_delete(p, CS_KEY_BODY, hash);
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
	if ((rc = on_main_chain(p, b->hash, e.height, &main, err)) != 0 || !main || !body_goes(p, e.height))
		goto out;
	if ((rc = drop_body_keys(p, b->hash, &had, err)) != 0)
		goto out;
	if (!had && !(e.flags & CS_ENTRY_HAS_BODY))
		goto out;
	e.flags = (e.flags & ~(unsigned)(CS_ENTRY_HAS_BODY | CS_ENTRY_OPAQUE)) | CS_ENTRY_PRUNED;
	len = cs_store_encode_entry(p->store, &e, p->value, CS_ENTRY_VALUE_MAX);
	cs_store_key(key, CS_KEY_ENTRY, b->hash);
	leveldb_writebatch_put(p->batch, (const char *)key, sizeof(key), (const char *)p->value, len);
	touch(p, CS_KEY_ENTRY, b->hash[0]);
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
		batch_delete(p, CS_KEY_ENTRY, f->hash);
		batch_delete(p, CS_KEY_TIP, f->hash);
		p->stats.fork_entries++;
		*dropped = true;
	}
	/* A parent left without children is a chain tip now (the fork point,
	 * on the main chain, keeps its main-chain child). */
	if (f->parent != CS_PRUNE_NONE && --p->forks[f->parent].children == 0) {
		uint8_t key[33];

		cs_store_key(key, CS_KEY_TIP, p->forks[f->parent].hash);
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

/*
 * The workflow.
 */

static void
emit(struct cs_prune *p, enum cs_prune_event ev)
{
	if (p->options != NULL && p->options->event != NULL)
		p->options->event(p->options->event_ctx, ev, p);
}

/* Takes the store if it was let go; when another command changed the
 * chain meanwhile, plans the forks again (bodies are checked one by one
 * when dropped). */
static int
hold(struct cs_prune *p, struct cs_error *err)
{
	uint8_t now[32];
	int rc;

	if (cs_store_held(p->store))
		return 0;
	if ((rc = cs_store_acquire(p->store, err)) != 0 || (rc = cs_prune_fingerprint(p->store, now, err)) != 0)
		return rc;
	if (memcmp(now, p->fingerprint, 32) == 0)
		return 0;
	memcpy(p->fingerprint, now, 32);
	p->replanned = true;
	return cs_prune_replan_forks(p, err);
}

/* Lets go of the store (nothing uncommitted), remembering the chain's
 * fingerprint for hold(). */
static int
let_go(struct cs_prune *p, struct cs_error *err)
{
	int rc;

	/* closing would drop an error of LevelDB's background thread */
	if ((rc = cs_store_check_background(p->store, err)) != 0 ||
	    (rc = cs_prune_fingerprint(p->store, p->fingerprint, err)) != 0)
		return rc;
	cs_store_release(p->store);
	emit(p, CS_PRUNE_LET_GO);
	return 0;
}

/* Between batches: lets go when the store's policy says so, and gives the
 * waiters their turn. */
static int
maybe_let_go(struct cs_prune *p, struct cs_error *err)
{
	int rc;

	if (!cs_store_should_let_go(p->store))
		return 0;
	if ((rc = let_go(p, err)) != 0)
		return rc;
	cs_store_yield_to_waiters(p->store);
	return 0;
}

/* Between chunks of planning (in a run only). */
static int
pause_planning(struct cs_prune *p, struct cs_error *err)
{
	int rc;

	if (p->options == NULL)
		return 0;
	if ((rc = maybe_let_go(p, err)) != 0)
		return rc;
	return hold(p, err);
}

/* Appends the entry to the archive, with its body when it has one, or
 * without to the dry run's output. *written: whether it was written; an
 * entry gone meanwhile is not, nor one whose body was to be archived
 * (need_body) and is gone. */
static int
write_entry(struct cs_prune *p, const uint8_t hash[32], bool need_body, bool *written, struct cs_error *err)
{
	struct cs_print how = { .format = CS_FORMAT_CBOR, .opaque = p->store->meta.opaque, .branchlen = -1 };
	char *owned, *body = NULL;
	struct cs_entry e;
	size_t len;
	int rc;

	*written = false;
	rc = cs_store_get_entry(p->store, hash, &e, &owned, err);
	if (rc == CS_EX_NOTFOUND)
		return 0;
	if (rc != 0)
		return rc;
	if (p->options->dry_run != NULL) {
		struct cs_chain_view view;

		how.format = p->options->format;
		cs_chain_view_init(&view, p->store);
		how.view = &view;
		rc = cs_write_entry(p->options->dry_run, &how, &e, err);
		*written = rc == 0;
		cs_store_free(owned);
		return rc;
	}
	rc = cs_store_get_body(p->store, hash, &body, &len, err);
	if (rc == 0) {
		e.body = (const uint8_t *)body;
		e.body_len = len;
	}
	if (rc == 0 || (rc == CS_EX_NOTFOUND && !need_body)) {
		how.with_body = true;
		cs_write_entry(&p->archive->buf, &how, &e, NULL);
		*written = true;
		rc = 0;
	} else if (rc == CS_EX_NOTFOUND) {
		rc = 0;
	}
	cs_store_free(body);
	cs_store_free(owned);
	return rc;
}

/* Writes the archive's buffer out once it holds a chunk, then maybe lets go. */
static int
archive_chunk(struct cs_prune *p, struct cs_error *err)
{
	int rc;

	if (!cs_archive_full(p->archive))
		return 0;
	if ((rc = cs_archive_flush(p->archive, err)) != 0)
		return rc;
	return maybe_let_go(p, err);
}

/* Syncing a large archive takes a while: not while holding the store
 * (hold() takes it again, and sees what changed meanwhile). */
static int
archive_sync(struct cs_prune *p, struct cs_error *err)
{
	int rc;

	if ((rc = cs_archive_flush(p->archive, err)) != 0)
		return rc;
	if (!cs_archive_unsynced(p->archive))
		return 0;
	if (cs_store_held(p->store) && (rc = let_go(p, err)) != 0)
		return rc;
	return cs_archive_sync(p->archive, err);
}

/* One pass over the fork table, archiving what goes and is not archived
 * yet; it stops early, with p->replanned set, when taking the store again
 * found the chain changed (the table was planned anew). */
static int
archive_forks_pass(struct cs_prune *p, struct cs_error *err)
{
	bool written;
	int rc;

	for (size_t i = 0; i < p->fork_count; i++) {
		if (!p->forks[i].drop || p->forks[i].archived)
			continue;
		if ((rc = hold(p, err)) != 0)
			return rc;
		if (p->replanned)
			return 0;
		if ((rc = write_entry(p, p->forks[i].hash, false, &written, err)) != 0)
			return rc;
		if (written && (rc = cs_prune_mark_archived(p, i, err)) != 0)
			return rc;
		if ((rc = archive_chunk(p, err)) != 0)
			return rc;
	}
	return 0;
}

/* Archives the planned bodies (when bodies is set) and the fork entries
 * not archived yet, until a pass finds the plan unchanged, and syncs the
 * archive. */
static int
archive_pending(struct cs_prune *p, bool bodies, struct cs_error *err)
{
	bool written;
	int rc;

	for (size_t i = 0; bodies && i < p->body_count; i++) {
		if (p->bodies[i].archived)
			continue;
		if ((rc = hold(p, err)) != 0 || (rc = write_entry(p, p->bodies[i].hash, true, &written, err)) != 0)
			return rc;
		p->bodies[i].archived = written;
		if ((rc = archive_chunk(p, err)) != 0)
			return rc;
	}
	do {
		p->replanned = false;
		if ((rc = archive_forks_pass(p, err)) != 0)
			return rc;
	} while (p->replanned);
	return archive_sync(p, err);
}

/* What commit and compact_all return when options.stop ends the prune:
 * passed up as an error would be, and 0 again in cs_prune_run. */
#define STOPPED (-2)

static bool
stopping(const struct cs_prune *p)
{
	return p->options->stop != NULL && p->options->stop(p->options->event_ctx);
}

static int
commit(struct cs_prune *p, struct cs_error *err)
{
	int rc;

	if ((rc = cs_prune_commit(p, err)) != 0)
		return rc;
	emit(p, CS_PRUNE_PROGRESS);
	if (stopping(p))
		return STOPPED;
	return maybe_let_go(p, err);
}

static int
drop_bodies(struct cs_prune *p, struct cs_error *err)
{
	bool dropped;
	int rc;

	for (size_t i = 0; i < p->body_count; i++) {
		if (p->archive != NULL && !p->bodies[i].archived)
			continue; /* gone before it could be archived */
		if ((rc = hold(p, err)) != 0 || (rc = cs_prune_drop_body(p, i, &dropped, err)) != 0)
			return rc;
		if (cs_prune_batch_full(p) && (rc = commit(p, err)) != 0)
			return rc;
	}
	return commit(p, err);
}

/* One pass over the fork table, children first (from its end), so that
 * every commit leaves the branches linked; it stops early, with
 * p->replanned set, when taking the store again found the chain changed
 * (nothing is uncommitted then: the store is let go only after a commit). */
static int
drop_forks_pass(struct cs_prune *p, struct cs_error *err)
{
	bool dropped;
	int rc;

	for (size_t i = p->fork_count; i-- > 0;) {
		if ((rc = hold(p, err)) != 0)
			return rc;
		if (p->replanned)
			return 0;
		if (!p->forks[i].drop)
			continue;
		if ((rc = cs_prune_drop_fork(p, i, &dropped, err)) != 0)
			return rc;
		if (cs_prune_batch_full(p) && (rc = commit(p, err)) != 0)
			return rc;
	}
	return commit(p, err);
}

/* Until a pass goes through with the plan unchanged: what a new plan adds
 * is archived first, then the pass starts over from it. */
static int
drop_forks(struct cs_prune *p, struct cs_error *err)
{
	int rc;

	do {
		if ((rc = hold(p, err)) != 0)
			return rc;
		if (p->archive != NULL && (rc = archive_pending(p, false, err)) != 0)
			return rc;
		p->replanned = false;
		if ((rc = drop_forks_pass(p, err)) != 0)
			return rc;
	} while (p->replanned);
	return 0;
}

static int
compact_all(struct cs_prune *p, struct cs_error *err)
{
	size_t cursor = 0;
	int rc;

	for (;;) {
		if ((rc = hold(p, err)) != 0)
			return rc;
		if (!cs_prune_compact_next(p, &cursor))
			return 0;
		if ((rc = cs_store_check_background(p->store, err)) != 0)
			return rc;
		emit(p, CS_PRUNE_PROGRESS);
		if (stopping(p))
			return STOPPED;
		if ((rc = maybe_let_go(p, err)) != 0)
			return rc;
	}
}

static int
dry_run(struct cs_prune *p, struct cs_error *err)
{
	struct cs_out *out = p->options->dry_run;
	bool written;
	int rc = 0;

	for (size_t i = 0; i < p->body_count + p->fork_count && !out->closed; i++) {
		bool body = i < p->body_count;
		const uint8_t *hash = body ? p->bodies[i].hash : p->forks[i - p->body_count].hash;

		if (!body && !p->forks[i - p->body_count].drop)
			continue;
		if ((rc = cs_store_acquire(p->store, err)) != 0 || (rc = write_entry(p, hash, false, &written, err)) != 0 ||
		    (rc = cs_out_drain(out, p->store, false, err)) != 0)
			break;
	}
	return rc;
}

static void
format_time(uint32_t time, char out[32])
{
	time_t t = (time_t)time;
	struct tm tm;

	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t, &tm));
}

/* The highest height whose body may go, from --keep-bodies-above or
 * --keep-bodies-since, as Bitcoin Core's pruneblockchain finds it. */
static int
plan_max_height(struct cs_prune *p, struct cs_error *err)
{
	const struct cs_prune_options *o = p->options;
	int rc;

	if (o->bodies_on) {
		p->keep_bodies = o->keep_bodies;
		return 0;
	}
	p->keep_bodies = o->force ? 0 : CS_PRUNE_MIN_KEEP;
	if ((rc = load_tip_height(p, err)) != 0)
		return rc;
	if (o->height_on) {
		if (o->height > p->tip_height)
			return cs_error_set(err, CS_EX_NOTFOUND, "--keep-bodies-above %" PRIu32 ": the tip is at height %" PRIu32,
			    o->height, p->tip_height);
		p->max_body_height = o->height;
		return 0;
	}
	if (p->store->meta.opaque)
		return cs_error_set(err, CS_EX_USAGE, "'%s' is an opaque store: its headers carry no time for --keep-bodies-since",
		    p->store->dir);
	return cs_prune_height_for_time(p, o->time, &p->max_body_height, err);
}

int
cs_prune_height_for_time(struct cs_prune *p, uint32_t time, uint32_t *height, struct cs_error *err)
{
	uint32_t goal = time > CS_PRUNE_TIME_WINDOW ? time - CS_PRUNE_TIME_WINDOW : 0, most = 0;
	struct cs_main_cursor c;
	struct cs_entry e;
	char when[32];
	int rc;

	/* the running maximum from the genesis: the times before a checkpoint */
	for (unsigned i = 0; i < p->store->meta.root_time_count; i++)
		most = p->store->meta.root_times[i] > most ? p->store->meta.root_times[i] : most;
	cs_main_cursor_init(&c, p->store, p->store->meta.base_height);
	for (size_t n = 1;; n++) {
		if ((rc = cs_main_cursor_next(&c, &e, err)) != 0)
			break;
		if (e.header_len == CS_HEADER_SIZE) {
			struct cs_header h;

			cs_header_decode(e.header, &h);
			most = h.time > most ? h.time : most;
		}
		if (most >= goal) {
			*height = e.height;
			break;
		}
		if (n % SCAN_CHUNK == 0 && (rc = pause_planning(p, err)) != 0)
			break;
	}
	cs_main_cursor_close(&c);
	if (rc == CS_EX_NOTFOUND) {
		format_time(time, when);
		return cs_error_set(err, CS_EX_NOTFOUND,
		    "--keep-bodies-since %s: no main-chain block has a time of two hours before it or later", when);
	}
	return rc;
}

int
cs_prune_run(struct cs_prune *p, const struct cs_prune_options *options, struct cs_archive *archive,
    struct cs_error *err)
{
	int rc;

	p->options = options;
	p->archive = options->dry_run == NULL ? archive : NULL;
	p->bodies_on = options->bodies_on || options->height_on || options->time_on;
	p->forks_on = options->forks_on;
	p->keep_forks = options->keep_forks;
	if ((p->bodies_on && (rc = plan_max_height(p, err)) != 0) || (rc = cs_prune_plan(p, err)) != 0 ||
	    (rc = cs_prune_fingerprint(p->store, p->fingerprint, err)) != 0)
		return rc;
	if (options->dry_run != NULL)
		return dry_run(p, err);
	if (p->archive != NULL && (rc = archive_pending(p, true, err)) != 0)
		return rc;
	if ((rc = drop_bodies(p, err)) == 0 && (rc = drop_forks(p, err)) == 0)
		rc = compact_all(p, err);
	if (rc == STOPPED) {
		p->stopped = true;
		rc = 0;
	}
	return rc;
}

int
cs_prune_store(const struct cs_prune_options *options, struct cs_prune_result *result, struct cs_error *err)
{
	struct cs_archive archive;
	struct cs_store store;
	struct cs_prune p;
	int rc, close_rc;

	memset(result, 0, sizeof(*result));
	memset(&p, 0, sizeof(p));
	cs_archive_init(&archive);
	if ((rc = cs_store_open(&store, options->dir, options->command, options->wait, err)) == 0 &&
	    (rc = cs_prune_init(&p, &store, err)) == 0) {
		p.options = options;
		p.archive = &archive;
		if (options->archive != NULL && options->dry_run == NULL &&
		    (rc = cs_archive_open(&archive, options->archive, err)) == 0 && archive.cut_bytes > 0)
			emit(&p, CS_PRUNE_ARCHIVE_CUT);
	}
	if (rc == 0 && options->measure)
		rc = cs_store_disk_bytes(&store, &result->bytes_before, err);
	if (rc == 0)
		rc = cs_prune_run(&p, options, archive.fd >= 0 ? &archive : NULL, err);
	if (rc == 0 && options->measure && options->dry_run == NULL && (rc = cs_store_acquire(&store, err)) == 0)
		rc = cs_store_disk_bytes(&store, &result->bytes_after, err);
	cs_store_close(&store);
	if ((close_rc = cs_archive_close(&archive, rc == 0 ? err : NULL)) != 0 && rc == 0)
		rc = close_rc;
	result->stats = p.stats;
	result->stopped = p.stopped;
	result->body_plan = p.body_count;
	result->fork_plan = p.fork_drops;
	cs_prune_free(&p);
	return rc;
}

int
cs_prune_parse_time(const char *text, uint32_t *time)
{
	struct tm tm, back;
	int year, month, day, hour = 0, minute = 0, second = 0, used = 0;
	size_t len = strlen(text);
	time_t t;

	if (len > 0 && strspn(text, "0123456789") == len)
		return cs_parse_u32(text, time);
	memset(&tm, 0, sizeof(tm));
	if (sscanf(text, "%4d-%2d-%2d%n", &year, &month, &day, &used) != 3 || used != 10)
		return -1;
	if (text[used] == 'T') {
		int more = 0;

		if (sscanf(text + used, "T%2d:%2d%n", &hour, &minute, &more) != 2 || more != 6)
			return -1;
		used += more;
		if (text[used] == ':') {
			if (sscanf(text + used, ":%2d%n", &second, &more) != 1 || more != 3)
				return -1;
			used += more;
		}
		if (text[used] == 'Z')
			used++;
	}
	if (text[used] != '\0' || strspn(text, "0123456789-T:Z") != len)
		return -1;
	tm.tm_year = year - 1900;
	tm.tm_mon = month - 1;
	tm.tm_mday = day;
	tm.tm_hour = hour;
	tm.tm_min = minute;
	tm.tm_sec = second;
	back = tm;
	/* timegm normalises what is out of range (February 30, hour 24):
	 * such a date is refused, not moved */
	if ((t = timegm(&tm)) == (time_t)-1 || t < 0 || (uint64_t)t > UINT32_MAX || tm.tm_year != back.tm_year ||
	    tm.tm_mon != back.tm_mon || tm.tm_mday != back.tm_mday || tm.tm_hour != back.tm_hour ||
	    tm.tm_min != back.tm_min || tm.tm_sec != back.tm_sec)
		return -1;
	*time = (uint32_t)t;
	return 0;
}
