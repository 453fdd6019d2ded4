#include "chain.h"

#include "block.h"
#include "exit.h"
#include "grow.h"
#include "header.h"
#include "hex.h"
#include "pow.h"
#include "rules.h"
#include "sha256.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BATCH_ENTRIES 10000
#define BATCH_BYTES (8u << 20)
#define TABLE_SLOTS 32768 /* a power of two, over 2 * BATCH_ENTRIES */
#define ORPHAN_BUCKETS 4096
/* What entries waiting for their parent may hold: everything but their
 * bodies (the struct, the header, the allocator's overhead) within the
 * import's memory of cs-put(1) (about 75 MB for headers), and their bodies
 * apart, so that the blocks of Bitcoin Core's files, which come somewhat
 * out of order, fit. */
#define ORPHAN_HELD_MAX (24u << 20)
#define ORPHAN_BODIES_MAX (256u << 20)
#define MALLOC_OVERHEAD 16

/* An entry written in the batch being built: what its children need, and
 * in an opaque store what a later record of the same hash must repeat. */
struct cs_pending {
	uint8_t hash[32];
	uint8_t prev[32];
	uint8_t digest[32]; /* opaque: SHA-256d of the header */
	uint32_t height;
	uint32_t header_at;  /* Bitcoin: its header in im->headers */
	struct cs_u256 chainwork, work;
	struct cs_rules_ctx ctx; /* Bitcoin store with header rules: its children's context */
	bool has_body;
	bool invalid;        /* marked itself (put again after a prune) */
	bool has_child;      /* a child of it is in the batch too */
	bool parent_pending; /* its parent is in the batch too */
};

/* What a record says once the store's profile has read it. */
struct derived {
	uint8_t hash[32];
	uint8_t prev[32];
	uint8_t digest[32]; /* opaque: SHA-256d of the header */
	struct cs_u256 work;
	uint64_t arrival; /* 1 for the import's first record, 2 for the next... */
};

/* A record waiting for its parent, with its own copy of its bytes and what
 * was derived from it when it arrived. */
struct cs_orphan {
	struct cs_orphan *next;
	struct cs_record rec;
	struct derived d;
	uint8_t data[]; /* header, then body */
};

/*
 * The batch's entries sit in a dense array (at most table_cap / 2 of
 * them), found through a table of 32-bit slots: what a lookup probes and
 * what each commit clears is 128 kB, where a table of the entries
 * themselves was 5.8 MB, cleared at every commit and faulted in page by
 * page by every process.
 */
static struct cs_pending *
pending_find(struct cs_import *im, const uint8_t hash[32])
{
	size_t i = cs_hash_slot(hash) & (im->table_cap - 1);

	for (; im->slots[i] != 0; i = (i + 1) & (im->table_cap - 1)) {
		struct cs_pending *p = &im->pending[im->slots[i] - 1];

		if (memcmp(p->hash, hash, 32) == 0)
			return p;
	}
	return NULL;
}

static void
slot_set(struct cs_import *im, const uint8_t hash[32], size_t at)
{
	size_t i = cs_hash_slot(hash) & (im->table_cap - 1);

	while (im->slots[i] != 0)
		i = (i + 1) & (im->table_cap - 1);
	im->slots[i] = (uint32_t)(at + 1);
}

/* Table of cap slots, and room for cap / 2 entries. */
static int
pending_alloc(struct cs_import *im, size_t cap)
{
	uint32_t *slots = calloc(cap, sizeof(*slots));
	struct cs_pending *pending = malloc(cap / 2 * sizeof(*pending));

	if (slots == NULL || pending == NULL) {
		free(slots);
		free(pending);
		return -1;
	}
	if (im->count > 0)
		memcpy(pending, im->pending, im->count * sizeof(*pending));
	free(im->slots);
	free(im->pending);
	im->slots = slots;
	im->pending = pending;
	im->table_cap = cap;
	for (size_t at = 0; at < im->count; at++)
		slot_set(im, im->pending[at].hash, at);
	return 0;
}

/* Doubles the table (a long run of waiting entries can connect at once).
 * Pointers to entries do not survive it. */
static int
pending_grow(struct cs_import *im)
{
	return pending_alloc(im, 2 * im->table_cap);
}

/* After pending_grow made room: 2 * (count + 1) <= table_cap. */
static struct cs_pending *
pending_insert(struct cs_import *im, const uint8_t hash[32])
{
	struct cs_pending *p = &im->pending[im->count];

	memset(p, 0, sizeof(*p));
	memcpy(p->hash, hash, 32);
	slot_set(im, hash, im->count++);
	return p;
}

int
cs_import_init(struct cs_import *im, struct cs_store *s, struct cs_error *err)
{
	memset(im, 0, sizeof(*im));
	im->store = s;
	im->orphan_buckets = ORPHAN_BUCKETS;
	im->orphans = calloc(im->orphan_buckets, sizeof(*im->orphans));
	im->orphan_tails = calloc(im->orphan_buckets, sizeof(*im->orphan_tails));
	im->batch = leveldb_writebatch_create();
	if (pending_alloc(im, TABLE_SLOTS) != 0 || im->orphans == NULL || im->orphan_tails == NULL) {
		cs_import_free(im);
		return cs_error_set(err, CS_EX_SOFTWARE, "out of memory");
	}
	for (size_t b = 0; b < im->orphan_buckets; b++)
		im->orphan_tails[b] = &im->orphans[b];
	return 0;
}

void
cs_import_free(struct cs_import *im)
{
	for (size_t b = 0; im->orphans != NULL && b < im->orphan_buckets; b++) {
		struct cs_orphan *o = im->orphans[b], *next;

		for (; o != NULL; o = next) {
			next = o->next;
			free(o);
		}
	}
	free(im->orphans);
	free(im->orphan_tails);
	free(im->slots);
	free(im->pending);
	free(im->staged);
	free(im->values);
	free(im->headers);
	free(im->txids);
	free(im->invalid);
	cs_marks_free(&im->marks);
	if (im->batch != NULL)
		leveldb_writebatch_destroy(im->batch);
	memset(im, 0, sizeof(*im));
}

static int
reject(const struct cs_record *rec, struct cs_error *err, const char *why, const uint8_t *hash)
{
	char hex[CS_HASH_HEX];

	if (hash == NULL)
		return cs_error_set(err, CS_EX_DATAERR, "item %llu at byte %llu: %s", (unsigned long long)rec->item,
		    (unsigned long long)rec->offset, why);
	cs_hash_to_display(hash, hex);
	return cs_error_set(err, CS_EX_DATAERR, "item %llu at byte %llu: %s %s", (unsigned long long)rec->item,
	    (unsigned long long)rec->offset, why, hex);
}

/* Whether the store checks Bitcoin Core's header rules. */
static bool
has_rules(const struct cs_import *im)
{
	return im->store->rules.enabled && !im->store->meta.opaque;
}

/* An entry of a store with header rules keeps what its children's rules
 * need of its period (store.h). */
static void
set_context(const struct cs_import *im, struct cs_entry *e, const struct cs_rules_ctx *ctx)
{
	if (!has_rules(im))
		return;
	e->has_context = true;
	e->period_time = ctx->period_time;
	e->period_bits = ctx->period_bits;
	e->walk_bits = ctx->walk_bits;
}

static int
load_tip(struct cs_import *im, struct cs_error *err)
{
	struct cs_entry e;
	char *owned;
	int rc;

	if (im->tip_loaded)
		return 0;
	if ((rc = cs_store_get_tip_entry(im->store, &e, &owned, err)) != 0)
		return rc;
	memcpy(im->tip, e.hash, 32);
	im->tip_height = e.height;
	im->tip_work = e.chainwork;
	cs_store_free(owned);
	memcpy(im->best, im->tip, 32);
	im->best_height = im->tip_height;
	im->best_work = im->tip_work;
	im->best_arrival = 0; /* held: it wins every tie */
	/* marks change only while no import holds the store */
	if ((rc = cs_marks_load(im->store, &im->marks, err)) != 0)
		return rc;
	im->tip_loaded = true;
	return 0;
}

/* Stages a body's txids; the body bounds their number (a transaction is at
 * least 10 bytes), so this grows to at most 32 bytes per 10 of body. */
static int
stage_txid(void *ctx, uint32_t index, const struct cs_tx_ref *tx, struct cs_error *err)
{
	struct cs_import *im = ctx;

	uint8_t(*grown)[32] = cs_grow(im->txids, &im->txid_cap, im->txid_count + 1, 1024, sizeof(*grown));

	if (grown == NULL)
		return cs_error_set(err, CS_EX_SOFTWARE, "out of memory");
	im->txids = grown;
	memcpy(im->txids[im->txid_count++], tx->txid, 32);
	return 0;
}

/* Parses a Bitcoin body (checking its merkle root against header when
 * given) and stages its txids for hash. */
static int
stage_body(struct cs_import *im, const uint8_t hash[32], const struct cs_record *rec, const uint8_t *merkle,
    struct cs_error *err)
{
	int rc;

	im->txid_count = 0;
	memset(im->txids_of, 0, 32);
	rc = cs_block_parse(rec->body, rec->body_len, merkle, NULL, stage_txid, im, err);
	if (rc == 0)
		memcpy(im->txids_of, hash, 32);
	return rc;
}

/* Reads hash, parent and work as the store's profile says, and checks what
 * the record can be checked for on its own. */
static int
derive(struct cs_import *im, const struct cs_record *rec, struct derived *d, struct cs_error *err)
{
	struct cs_store *s = im->store;

	memset(d, 0, sizeof(*d));
	if (!rec->has_header)
		return reject(rec, err, "entry has no header", NULL);
	if (s->meta.opaque) {
		if (!rec->has_hash)
			return reject(rec, err, "entry has no hash", NULL);
		if (!rec->has_prev)
			return reject(rec, err, "entry has no prev", NULL);
		memcpy(d->hash, rec->hash, 32);
		memcpy(d->prev, rec->prev, 32);
		cs_record_opaque_work(rec, &d->work);
		if (cs_sha256d(rec->header, rec->header_len, d->digest) != 0)
			return cs_error_set(err, CS_EX_SOFTWARE, "SHA-256 failed");
		return 0;
	}
	if (rec->header_len != CS_HEADER_SIZE) {
		char why[64];

		snprintf(why, sizeof(why), "header is %zu bytes, not 80", rec->header_len);
		return reject(rec, err, why, NULL);
	}
	if (cs_header_hash(rec->header, d->hash) != 0)
		return cs_error_set(err, CS_EX_SOFTWARE, "SHA-256 failed");
	if (rec->has_hash && memcmp(rec->hash, d->hash, 32) != 0)
		return reject(rec, err, "hash does not match its header:", rec->hash);
	memcpy(d->prev, cs_header_prev(rec->header), 32);
	if (rec->has_prev && memcmp(rec->prev, d->prev, 32) != 0)
		return reject(rec, err, "prev does not match its header:", rec->prev);
	{
		enum cs_pow_result pow = cs_pow_check(d->hash, cs_header_bits(rec->header), &s->meta.pow_limit);

		if (pow != CS_POW_OK)
			return reject(rec, err, cs_pow_result_message(pow), NULL);
	}
	cs_store_header_work(s, rec->header, &d->work);
	if (rec->has_body) {
		struct cs_header h;

		cs_header_decode(rec->header, &h);
		if (stage_body(im, d->hash, rec, h.merkle, err) != 0)
			return cs_error_prefix(err, "item %llu at byte %llu: ", (unsigned long long)rec->item,
			    (unsigned long long)rec->offset);
	}
	return 0;
}

/* Claimed height and chainwork must agree with what the store derives. */
static int
check_claims(const struct cs_record *rec, uint32_t height, const struct cs_u256 *chainwork, struct cs_error *err)
{
	char why[160], have[65];

	if (rec->has_height && rec->height != height) {
		snprintf(why, sizeof(why), "height %llu does not match the store's %u", (unsigned long long)rec->height,
		    height);
		return reject(rec, err, why, NULL);
	}
	if (rec->has_chainwork && cs_u256_cmp(&rec->chainwork, chainwork) != 0) {
		cs_u256_to_hex(chainwork, have);
		snprintf(why, sizeof(why), "chainwork does not match the store's %s", have);
		return reject(rec, err, why, NULL);
	}
	return 0;
}

/*
 * Entry values wait for the commit, which puts them into the write batch
 * in key order. LevelDB inserts a batch into its memtable, a skip list,
 * one key after the other: hashes in order find their places next to the
 * last one, in cache, where hashes in arrival order each search from the
 * top. A quarter less CPU for the raw-LevelDB floor, a sixth less wall
 * time (docs/benchmarks.md). An entry staged twice in a batch (its body
 * arrived) keeps its order among its own values: the last one wins.
 */
struct cs_staged {
	uint8_t hash[32];
	uint32_t seq, off, len;
};

/* Room for one more value, taken before a record puts anything in the
 * batch, so that nothing of it goes in unless all of it can. */
static int
stage_reserve(struct cs_import *im, struct cs_error *err)
{
	struct cs_staged *staged =
	    cs_grow(im->staged, &im->staged_cap, im->staged_count + 1, BATCH_ENTRIES + 1, sizeof(*staged));
	uint8_t *values;

	if (staged == NULL)
		return cs_error_set(err, CS_EX_SOFTWARE, "out of memory");
	im->staged = staged;
	values = cs_grow(im->values, &im->values_cap, im->values_len + CS_ENTRY_VALUE_MAX,
	    (size_t)BATCH_ENTRIES * 128 + CS_ENTRY_VALUE_MAX, 1);
	if (values == NULL)
		return cs_error_set(err, CS_EX_SOFTWARE, "out of memory");
	im->values = values;
	return 0;
}

/* After stage_reserve. */
static void
put_entry(struct cs_import *im, const struct cs_entry *e)
{
	struct cs_staged *st = &im->staged[im->staged_count];
	size_t len = cs_store_encode_entry(im->store, e, im->values + im->values_len, CS_ENTRY_VALUE_MAX);

	memcpy(st->hash, e->hash, 32);
	st->seq = (uint32_t)im->staged_count++;
	st->off = (uint32_t)im->values_len;
	st->len = (uint32_t)len;
	im->values_len += len;
	im->bytes += len + 33;
	im->ops++;
}

static int
by_hash_then_seq(const void *a, const void *b)
{
	const struct cs_staged *x = a, *y = b;
	int c = memcmp(x->hash, y->hash, 32);

	return c != 0 ? c : (x->seq > y->seq) - (x->seq < y->seq);
}

static void
stage_flush(struct cs_import *im)
{
	uint8_t key[33];

	if (im->staged_count > 1)
		qsort(im->staged, im->staged_count, sizeof(*im->staged), by_hash_then_seq);
	for (size_t i = 0; i < im->staged_count; i++) {
		const struct cs_staged *st = &im->staged[i];

		cs_store_key(key, CS_KEY_ENTRY, st->hash);
		leveldb_writebatch_put(im->batch, (const char *)key, sizeof(key),
		    (const char *)im->values + st->off, st->len);
	}
	im->staged_count = 0;
	im->values_len = 0;
}

/* The body and, in a Bitcoin store, its transactions' index entries. A
 * held orphan's txids were staged when it arrived and may have been
 * replaced since: its body, verified then, is parsed again. */
static int
put_body(struct cs_import *im, const uint8_t hash[32], const struct cs_record *rec, struct cs_error *err)
{
	uint8_t key[33], txkey[CS_TX_KEY_SIZE], value[4];
	int rc;

	if (!im->store->meta.opaque) {
		if (memcmp(im->txids_of, hash, 32) != 0 && (rc = stage_body(im, hash, rec, NULL, err)) != 0)
			return rc;
		for (size_t i = 0; i < im->txid_count; i++) {
			cs_store_tx_key(txkey, im->txids[i], hash);
			cs_store_tx_value(value, (uint32_t)i);
			leveldb_writebatch_put(im->batch, (const char *)txkey, sizeof(txkey), (const char *)value,
			    sizeof(value));
		}
		im->bytes += im->txid_count * (sizeof(txkey) + sizeof(value));
		im->ops += im->txid_count;
	}
	cs_store_key(key, CS_KEY_BODY, hash);
	leveldb_writebatch_put(im->batch, (const char *)key, sizeof(key), (const char *)rec->body, rec->body_len);
	im->bytes += rec->body_len + sizeof(key);
	im->ops++;
	im->stats.bodies++;
	return 0;
}

/* In an opaque store a hash names one entry: a record that repeats a hash
 * with another header, parent or work is a conflict, not a duplicate. (In
 * a Bitcoin store the hash is the header's, so this cannot happen.) */
static int
check_conflict(struct cs_import *im, const struct cs_record *rec, const struct derived *d, bool same_header,
    const uint8_t prev[32], const struct cs_u256 *work, struct cs_error *err)
{
	const char *what = NULL;

	if (!im->store->meta.opaque)
		return 0;
	if (!same_header)
		what = "header";
	else if (memcmp(prev, d->prev, 32) != 0)
		what = "prev";
	else if (cs_u256_cmp(work, &d->work) != 0)
		what = "work";
	if (what == NULL)
		return 0;
	{
		char why[96];

		snprintf(why, sizeof(why), "conflict: a different %s is already given for", what);
		return reject(rec, err, why, d->hash);
	}
}

/* A record whose hash is in the batch already: a no-op, or its body arrives. */
static int
add_pending_duplicate(struct cs_import *im, const struct cs_record *rec, const struct derived *d,
    struct cs_pending *pending, struct cs_error *err)
{
	struct cs_entry e;
	int rc;

	/* The batch keeps a digest of each header, not the header. */
	if ((rc = check_conflict(im, rec, d, memcmp(pending->digest, d->digest, 32) == 0, pending->prev,
		 &pending->work, err)) != 0 ||
	    (rc = check_claims(rec, pending->height, &pending->chainwork, err)) != 0)
		return rc;
	if (!rec->has_body || pending->has_body) {
		im->stats.duplicates++;
		return 0;
	}
	memset(&e, 0, sizeof(e));
	memcpy(e.hash, d->hash, 32);
	memcpy(e.prev, d->prev, 32);
	e.height = pending->height;
	e.chainwork = pending->chainwork;
	e.work = d->work;
	e.flags = CS_ENTRY_HAS_BODY;
	e.header = rec->header;
	e.header_len = rec->header_len;
	set_context(im, &e, &pending->ctx);
	if ((rc = stage_reserve(im, err)) != 0 || (rc = put_body(im, d->hash, rec, err)) != 0)
		return rc;
	put_entry(im, &e);
	pending->has_body = true;
	return 0;
}

/* A record whose hash the store holds (e): a no-op, or its body arrives. */
static int
add_stored_duplicate(struct cs_import *im, const struct cs_record *rec, const struct derived *d, struct cs_entry *e,
    struct cs_error *err)
{
	bool same_header = e->header_len == rec->header_len && memcmp(e->header, rec->header, e->header_len) == 0;
	int rc;

	if ((rc = check_conflict(im, rec, d, same_header, e->prev, &e->work, err)) != 0 ||
	    (rc = check_claims(rec, e->height, &e->chainwork, err)) != 0)
		return rc;
	if (!rec->has_body || (e->flags & CS_ENTRY_HAS_BODY)) {
		im->stats.duplicates++;
		return 0;
	}
	e->flags = (e->flags | CS_ENTRY_HAS_BODY) & ~(unsigned)CS_ENTRY_PRUNED & ~(unsigned)CS_ENTRY_OPAQUE;
	if ((rc = stage_reserve(im, err)) != 0 || (rc = put_body(im, d->hash, rec, err)) != 0)
		return rc;
	put_entry(im, e);
	return 0;
}

/* What an orphan holds, its body apart. */
static size_t
orphan_held(const struct cs_record *rec)
{
	return sizeof(struct cs_orphan) + rec->header_len + MALLOC_OVERHEAD;
}

static size_t
orphan_body(const struct cs_record *rec)
{
	return rec->has_body ? rec->body_len : 0;
}

static int
hold_orphan(struct cs_import *im, const struct cs_record *rec, const struct derived *d, struct cs_error *err)
{
	size_t size = rec->header_len + orphan_body(rec);
	size_t b = cs_hash_slot(d->prev) % im->orphan_buckets;
	struct cs_orphan *o;

	if (im->orphan_bytes + orphan_held(rec) > ORPHAN_HELD_MAX ||
	    im->orphan_body_bytes + orphan_body(rec) > ORPHAN_BODIES_MAX)
		return reject(rec, err, "too many entries waiting for their parent (24 MiB of entries, 256 MiB of "
					"bodies held); is the input in order?", NULL);
	o = malloc(sizeof(*o) + size);
	if (o == NULL)
		return cs_error_set(err, CS_EX_SOFTWARE, "out of memory");
	o->rec = *rec;
	o->d = *d;
	memcpy(o->data, rec->header, rec->header_len);
	o->rec.header = o->data;
	if (rec->has_body) {
		memcpy(o->data + rec->header_len, rec->body, rec->body_len);
		o->rec.body = o->data + rec->header_len;
	}
	/* The parent, for the "unknown parent" report at the end of input. */
	memcpy(o->rec.prev, d->prev, 32);
	o->rec.has_prev = true;
	/* Appended, so that orphans waiting for one parent connect in the
	 * order they arrived: the first seen wins a tie, and a conflict. */
	o->next = NULL;
	*im->orphan_tails[b] = o;
	im->orphan_tails[b] = &o->next;
	im->orphan_count++;
	im->orphan_bytes += orphan_held(rec);
	im->orphan_body_bytes += orphan_body(rec);
	return 0;
}

/* Detaches the first orphan waiting for parent, or returns NULL. */
static struct cs_orphan *
take_orphan(struct cs_import *im, const uint8_t parent[32])
{
	size_t b = cs_hash_slot(parent) % im->orphan_buckets;
	struct cs_orphan **link = &im->orphans[b];

	for (; *link != NULL; link = &(*link)->next) {
		struct cs_orphan *o = *link;

		if (memcmp(o->d.prev, parent, 32) == 0) {
			*link = o->next;
			if (o->next == NULL)
				im->orphan_tails[b] = link;
			im->orphan_count--;
			im->orphan_bytes -= orphan_held(&o->rec);
			im->orphan_body_bytes -= orphan_body(&o->rec);
			return o;
		}
	}
	return NULL;
}

/* Room for one more Bitcoin header of the batch (as stage_reserve). */
static int
headers_reserve(struct cs_import *im, struct cs_error *err)
{
	uint8_t *headers = cs_grow(im->headers, &im->headers_cap, im->headers_len + CS_HEADER_SIZE,
	    (size_t)BATCH_ENTRIES * CS_HEADER_SIZE, 1);

	if (headers == NULL)
		return cs_error_set(err, CS_EX_SOFTWARE, "out of memory");
	im->headers = headers;
	return 0;
}

/* A copy of a Bitcoin header of the batch, for the height index if the
 * entry ends on the main chain (switch_branch). After headers_reserve. */
static void
keep_header(struct cs_import *im, struct cs_pending *p, const uint8_t *header)
{
	memcpy(im->headers + im->headers_len, header, CS_HEADER_SIZE);
	p->header_at = (uint32_t)im->headers_len;
	im->headers_len += CS_HEADER_SIZE;
}

/*
 * The rules context of a stored entry: the period values it keeps (a
 * store written before them: found by walking to its period's first
 * entry, at most an interval of reads), and the times of up to ten
 * ancestors for the median, read by hash, ending at the store's first
 * entry with the times its checkpoint gave.
 */
/* What an entry at height with time and bits, met walking back, settles
 * of ctx: the period's first, and the walk back's answer (rules.c's
 * cs_rules_ctx_child, taken from the other end). */
static void
settle(const struct cs_rules *r, struct cs_rules_ctx *ctx, uint32_t height, uint32_t time, uint32_t bits,
    bool *need_period, bool *need_walk)
{
	if (*need_walk && (height % r->interval == 0 || bits != r->pow_limit_bits)) {
		ctx->walk_bits = bits;
		*need_walk = false;
	}
	if (*need_period && height % r->interval == 0) {
		ctx->period_time = time;
		ctx->period_bits = bits;
		*need_period = false;
	}
}

static int
stored_context(struct cs_import *im, const struct cs_entry *e, struct cs_rules_ctx *ctx, struct cs_error *err)
{
	struct cs_store *s = im->store;
	const struct cs_rules *r = &s->rules;
	bool need_period = !e->has_context, need_walk = !e->has_context;
	uint8_t hash[32];

	if (memcmp(e->hash, s->meta.root, 32) == 0) {
		cs_rules_ctx_root(r, s->meta.base_height, e->header, s->meta.root_times, s->meta.root_time_count, ctx);
		return 0;
	}
	memset(ctx, 0, sizeof(*ctx));
	ctx->height = e->height;
	ctx->time = cs_le32(e->header + 68);
	ctx->bits = cs_header_bits(e->header);
	ctx->times[ctx->time_count++] = ctx->time;
	if (e->has_context) {
		ctx->period_time = e->period_time;
		ctx->period_bits = e->period_bits;
		ctx->walk_bits = e->walk_bits;
	}
	settle(r, ctx, e->height, ctx->time, ctx->bits, &need_period, &need_walk);
	memcpy(hash, e->prev, 32);
	while (ctx->time_count < CS_RULES_MEDIAN_SPAN || need_period || need_walk) {
		struct cs_entry a;
		char *owned;
		uint32_t time, bits;
		bool root;
		int rc = cs_store_read_entry(s, hash, &a, &owned, err);

		if (rc != 0)
			return rc == CS_EX_NOTFOUND ? cs_error_set(err, CS_EX_IOERR, "store '%s' is corrupt: broken parent link",
							  s->dir)
						    : rc;
		time = cs_le32(a.header + 68);
		bits = cs_header_bits(a.header);
		if (ctx->time_count < CS_RULES_MEDIAN_SPAN)
			ctx->times[ctx->time_count++] = time;
		settle(r, ctx, a.height, time, bits, &need_period, &need_walk);
		root = memcmp(a.hash, s->meta.root, 32) == 0;
		memcpy(hash, a.prev, 32);
		cs_store_free(owned);
		if (root) {
			for (unsigned i = 0; i < s->meta.root_time_count && ctx->time_count < CS_RULES_MEDIAN_SPAN; i++)
				ctx->times[ctx->time_count++] = s->meta.root_times[i];
			break;
		}
	}
	return 0;
}

/* Headers this import rejected for good (not time-too-new): a child of
 * one is rejected too, as Core's "bad-prevblk", not held as an orphan. */
static bool
invalid_has(const struct cs_import *im, const uint8_t hash[32])
{
	if (im->invalid_count == 0)
		return false;
	for (size_t i = cs_hash_slot(hash) & (im->invalid_cap - 1); im->invalid[i].used;
	     i = (i + 1) & (im->invalid_cap - 1)) {
		if (memcmp(im->invalid[i].hash, hash, 32) == 0)
			return true;
	}
	return false;
}

static void
invalid_add(struct cs_import *im, const uint8_t hash[32])
{
	if (2 * (im->invalid_count + 1) > im->invalid_cap) {
		size_t cap = im->invalid_cap ? 2 * im->invalid_cap : 64;
		struct cs_invalid *old = im->invalid, *grown = calloc(cap, sizeof(*grown));

		if (grown == NULL)
			return; /* only the message for its children is lost */
		im->invalid = grown;
		for (size_t i = 0; i < im->invalid_cap; i++) {
			if (old[i].used) {
				size_t j = cs_hash_slot(old[i].hash) & (cap - 1);

				while (grown[j].used)
					j = (j + 1) & (cap - 1);
				grown[j] = old[i];
			}
		}
		free(old);
		im->invalid_cap = cap;
	}
	if (invalid_has(im, hash))
		return;
	{
		size_t i = cs_hash_slot(hash) & (im->invalid_cap - 1);

		while (im->invalid[i].used)
			i = (i + 1) & (im->invalid_cap - 1);
		memcpy(im->invalid[i].hash, hash, 32);
		im->invalid[i].used = true;
		im->invalid_count++;
	}
}

/* Whether the parent prev of a record is invalid: marked, or descending
 * from a mark. A parent in the batch connected under a valid one; a
 * stored one is walked back to the main chain, which holds no mark, or to
 * the height of the lowest mark. */
static int
parent_invalid(struct cs_import *im, const uint8_t prev[32], bool *invalid, struct cs_error *err)
{
	const struct cs_pending *p = pending_find(im, prev);
	uint8_t cur[32];

	*invalid = false;
	if (p != NULL) {
		*invalid = p->invalid;
		return 0;
	}
	memcpy(cur, prev, 32);
	for (;;) {
		struct cs_entry e;
		char *owned;
		bool stop;
		int rc;

		if (cs_marks_has(&im->marks, cur)) {
			*invalid = true;
			return 0;
		}
		if ((rc = cs_store_get_entry(im->store, cur, &e, &owned, err)) != 0)
			return rc == CS_EX_NOTFOUND ? cs_error_set(err, CS_EX_IOERR, "store '%s' is corrupt: broken parent link",
							  im->store->dir)
						    : rc;
		stop = e.main || e.height <= im->marks.min_height || e.height <= im->store->meta.base_height;
		memcpy(cur, e.prev, 32);
		cs_store_free(owned);
		if (stop)
			return 0;
	}
}

/* Bitcoin Core's contextual header rules for a child of parent. */
static int
check_rules(struct cs_import *im, const struct cs_record *rec, const struct derived *d,
    const struct cs_rules_ctx *parent, struct cs_error *err)
{
	char reason[CS_RULES_REASON_MAX], text[CS_RULES_TEXT_MAX], why[CS_RULES_REASON_MAX + CS_RULES_TEXT_MAX + 8];
	enum cs_rules_verdict v = cs_rules_check(&im->store->rules, parent, rec->header, (int64_t)time(NULL), reason);

	if (v == CS_RULES_VALID)
		return 0;
	if (v == CS_RULES_INVALID)
		invalid_add(im, d->hash);
	cs_rules_reason_text(reason, text);
	snprintf(why, sizeof(why), "%s (%s):", reason, text);
	return reject(rec, err, why, d->hash);
}

static int
connect_entry(struct cs_import *im, const struct cs_record *rec, const struct derived *d, uint32_t parent_height,
    const struct cs_u256 *parent_work, const struct cs_rules_ctx *parent_ctx, struct cs_error *err)
{
	struct cs_pending *p, *parent;
	struct cs_rules_ctx ctx;
	struct cs_entry e;
	bool self_invalid = false;
	int rc, cmp;

	memset(&e, 0, sizeof(e));
	if (parent_height == UINT32_MAX)
		return reject(rec, err, "height out of range", NULL);
	if (im->marks.n > 0) {
		bool parent_bad;

		if ((rc = parent_invalid(im, d->prev, &parent_bad, err)) != 0)
			return rc;
		if (parent_bad) {
			invalid_add(im, d->hash);
			return reject(rec, err, "bad-prevblk (its parent is marked invalid):", d->hash);
		}
		self_invalid = cs_marks_has(&im->marks, d->hash);
	}
	if (has_rules(im)) {
		if ((rc = check_rules(im, rec, d, parent_ctx, err)) != 0)
			return rc;
		cs_rules_ctx_child(&im->store->rules, parent_ctx, rec->header, &ctx);
		set_context(im, &e, &ctx);
	}
	memcpy(e.hash, d->hash, 32);
	memcpy(e.prev, d->prev, 32);
	e.height = parent_height + 1;
	e.work = d->work;
	cs_u256_add_saturate(&e.chainwork, parent_work, &d->work);
	if ((rc = check_claims(rec, e.height, &e.chainwork, err)) != 0)
		return rc;
	e.flags = rec->has_body ? CS_ENTRY_HAS_BODY : 0;
	e.header = rec->header;
	e.header_len = rec->header_len;
	if ((rc = stage_reserve(im, err)) != 0 ||
	    (!im->store->meta.opaque && (rc = headers_reserve(im, err)) != 0))
		return rc;
	if (2 * (im->count + 1) > im->table_cap && pending_grow(im) != 0)
		return cs_error_set(err, CS_EX_SOFTWARE, "out of memory");
	if (rec->has_body && (rc = put_body(im, e.hash, rec, err)) != 0)
		return rc;
	put_entry(im, &e);
	p = pending_insert(im, e.hash);
	memcpy(p->prev, e.prev, 32);
	memcpy(p->digest, d->digest, 32);
	p->height = e.height;
	p->chainwork = e.chainwork;
	p->work = e.work;
	p->has_body = rec->has_body;
	p->invalid = self_invalid;
	if (has_rules(im))
		p->ctx = ctx;
	if (!im->store->meta.opaque)
		keep_header(im, p, rec->header);
	/* The chain-tip markers ('X') are written at commit (put_tips). */
	if ((parent = pending_find(im, e.prev)) != NULL) {
		parent->has_child = true;
		p->parent_pending = true;
	}
	im->stats.added++;
	/* The most work; on a tie, the tip held stays, and between two new
	 * entries the one that arrived first wins, though entries that waited
	 * for their parent connect later than they arrived. */
	cmp = cs_u256_cmp(&e.chainwork, &im->best_work);
	if (!self_invalid && (cmp > 0 || (cmp == 0 && d->arrival < im->best_arrival))) {
		memcpy(im->best, e.hash, 32);
		im->best_height = e.height;
		im->best_work = e.chainwork;
		im->best_arrival = d->arrival;
	}
	return 0;
}

/* Connects one orphan whose parent is in the batch, unless its hash arrived
 * meanwhile (in an opaque store, possibly under another parent): then it is
 * a duplicate, or a conflict. *connected says whether it was connected. */
static int
connect_orphan(struct cs_import *im, struct cs_orphan *o, const struct cs_pending *parent, bool *connected,
    struct cs_error *err)
{
	struct cs_pending *pending = pending_find(im, o->d.hash);
	struct cs_entry stored;
	char *owned;
	int rc;

	*connected = false;
	if (pending != NULL)
		return add_pending_duplicate(im, &o->rec, &o->d, pending, err);
	rc = cs_store_read_entry(im->store, o->d.hash, &stored, &owned, err);
	if (rc == 0) {
		rc = add_stored_duplicate(im, &o->rec, &o->d, &stored, err);
		cs_store_free(owned);
		return rc;
	}
	if (rc != CS_EX_NOTFOUND)
		return rc;
	*connected = true;
	return connect_entry(im, &o->rec, &o->d, parent->height, &parent->chainwork, &parent->ctx, err);
}

/* Connects the orphans that waited for hash, and theirs, depth first. An
 * orphan that is rejected (a conflict, a wrong claim) is dropped and the
 * others still connect; the first rejection is returned at the end. */
static int
connect_orphans(struct cs_import *im, const uint8_t hash[32], struct cs_error *err)
{
	uint8_t parent[32];
	bool rejected = false;

	memcpy(parent, hash, 32);
	for (;;) {
		struct cs_pending *p = pending_find(im, parent);
		struct cs_orphan *o = p != NULL ? take_orphan(im, parent) : NULL;
		struct cs_error orphan_err;
		uint8_t child[32];
		bool connected;
		int rc;

		if (o == NULL) {
			/* Climb back to the nearest ancestor in this batch that
			 * still has waiting children. */
			if (p == NULL || memcmp(parent, hash, 32) == 0)
				return rejected ? err->code : 0;
			memcpy(parent, p->prev, 32);
			continue;
		}
		memcpy(child, o->d.hash, 32);
		rc = connect_orphan(im, o, p, &connected, &orphan_err);
		free(o);
		if (rc == CS_EX_DATAERR) {
			if (!rejected)
				*err = orphan_err;
			rejected = true;
			continue;
		}
		if (rc != 0) {
			*err = orphan_err;
			return rc;
		}
		if (connected)
			memcpy(parent, child, 32);
	}
}

/* A parent already stored, whose waiting children are being adopted. */
struct stored_parent {
	uint8_t hash[32];
	uint32_t height;
	struct cs_u256 chainwork;
	struct cs_rules_ctx ctx;
};

/* The rules context of a stored parent, when the store has rules. */
static int
parent_context(struct cs_import *im, const struct cs_entry *e, struct cs_rules_ctx *ctx, struct cs_error *err)
{
	memset(ctx, 0, sizeof(*ctx));
	return has_rules(im) ? stored_context(im, e, ctx, err) : 0;
}

/*
 * Connects the orphans waiting for hash, an entry the store holds: another
 * writer stored it after they arrived, and it came here as a duplicate.
 * Children the store holds too are walked through (on an explicit stack,
 * as a chain of them can be long); the others connect with theirs.
 */
static int
adopt_orphans(struct cs_import *im, const struct cs_entry *stored, struct cs_error *err)
{
	struct stored_parent *stack = malloc(sizeof(*stack)), *grown;
	size_t depth = 0, cap = 1;
	int rc = 0;

	if (stack == NULL)
		return cs_error_set(err, CS_EX_SOFTWARE, "out of memory");
	memcpy(stack[0].hash, stored->hash, 32);
	stack[0].height = stored->height;
	stack[0].chainwork = stored->chainwork;
	if ((rc = parent_context(im, stored, &stack[0].ctx, err)) != 0) {
		free(stack);
		return rc;
	}
	depth = 1;
	while (rc == 0 && depth > 0) {
		struct stored_parent top = stack[--depth];
		struct cs_orphan *o;

		while (rc == 0 && (o = take_orphan(im, top.hash)) != NULL) {
			struct cs_entry e;
			char *owned;

			if (pending_find(im, o->d.hash) != NULL) {
				im->stats.duplicates++;
			} else if ((rc = cs_store_read_entry(im->store, o->d.hash, &e, &owned, err)) == 0) {
				rc = add_stored_duplicate(im, &o->rec, &o->d, &e, err);
				if (rc == 0 && (grown = cs_grow(stack, &cap, depth + 1, cap, sizeof(*stack))) == NULL)
					rc = cs_error_set(err, CS_EX_SOFTWARE, "out of memory");
				else if (rc == 0)
					stack = grown;
				if (rc == 0)
					rc = parent_context(im, &e, &stack[depth].ctx, err);
				if (rc == 0) {
					memcpy(stack[depth].hash, o->d.hash, 32);
					stack[depth].height = e.height;
					stack[depth].chainwork = e.chainwork;
					depth++;
				}
				cs_store_free(owned);
			} else if (rc == CS_EX_NOTFOUND) {
				rc = connect_entry(im, &o->rec, &o->d, top.height, &top.chainwork, &top.ctx, err);
				if (rc == 0)
					rc = connect_orphans(im, o->d.hash, err);
			}
			free(o);
		}
	}
	free(stack);
	return rc;
}

int
cs_import_add(struct cs_import *im, const struct cs_record *rec, struct cs_error *err)
{
	struct cs_pending *pending, *parent;
	struct cs_entry stored;
	struct derived d;
	char *owned;
	int rc;

	im->stats.read++;
	if ((rc = load_tip(im, err)) != 0)
		return rc;
	if ((rc = derive(im, rec, &d, err)) != 0)
		return rc;
	d.arrival = ++im->arrivals;
	if ((pending = pending_find(im, d.hash)) != NULL)
		return add_pending_duplicate(im, rec, &d, pending, err);
	/*
	 * Performance (docs/benchmarks.md): a parent in this batch was not
	 * stored when it was added, the store has been held since (chain.h),
	 * and an entry is only ever stored after its parent; so its children
	 * cannot be stored either, and the read for a duplicate is skipped.
	 * In a chain read in order that is every record but a batch's first;
	 * the read, a miss probing every level-0 table, was half of the CPU.
	 * Not in an opaque store, whose records name their own hash: one
	 * stored under another parent is a conflict to find.
	 */
	parent = pending_find(im, d.prev);
	if (parent == NULL || im->store->meta.opaque) {
		rc = cs_store_read_entry(im->store, d.hash, &stored, &owned, err);
		if (rc == 0) {
			rc = add_stored_duplicate(im, rec, &d, &stored, err);
			/* Its children may have arrived before another writer stored it. */
			if (rc == 0 && im->orphan_count > 0)
				rc = adopt_orphans(im, &stored, err);
			cs_store_free(owned);
			return rc;
		}
		if (rc != CS_EX_NOTFOUND)
			return rc;
	}

	if (parent != NULL) {
		rc = connect_entry(im, rec, &d, parent->height, &parent->chainwork, &parent->ctx, err);
	} else {
		struct cs_rules_ctx ctx;

		rc = cs_store_read_entry(im->store, d.prev, &stored, &owned, err);
		if (rc == CS_EX_NOTFOUND) {
			if (invalid_has(im, d.prev)) {
				invalid_add(im, d.hash);
				return reject(rec, err, "bad-prevblk (its parent was rejected):", d.hash);
			}
			return hold_orphan(im, rec, &d, err);
		}
		if (rc != 0)
			return rc;
		if ((rc = parent_context(im, &stored, &ctx, err)) == 0)
			rc = connect_entry(im, rec, &d, stored.height, &stored.chainwork, &ctx, err);
		cs_store_free(owned);
	}
	if (rc != 0)
		return rc;
	if (im->orphan_count > 0)
		return connect_orphans(im, d.hash, err);
	return 0;
}

bool
cs_import_batch_full(const struct cs_import *im)
{
	return im->count >= BATCH_ENTRIES || im->bytes >= BATCH_BYTES;
}

/* Switches the height index to the branch ending at best, in the batch. */
static int
switch_branch(struct cs_import *im, struct cs_error *err)
{
	uint8_t cur[32], key[5], main_hash[32], value[CS_MAIN_VALUE_MAX];
	uint32_t height = im->best_height;
	int rc;

	memcpy(cur, im->best, 32);
	for (;;) {
		struct cs_pending *p = pending_find(im, cur);
		struct cs_entry e;
		char *owned = NULL;
		size_t vlen;

		if (p == NULL) {
			rc = cs_store_get_main(im->store, height, main_hash, err);
			if (rc != 0 && rc != CS_EX_NOTFOUND)
				return rc;
			if (rc == 0 && memcmp(main_hash, cur, 32) == 0)
				break; /* the fork point: on the main chain already */
			rc = cs_store_read_entry(im->store, cur, &e, &owned, err);
			if (rc != 0)
				return rc == CS_EX_NOTFOUND ? cs_error_set(err, CS_EX_IOERR,
								  "store '%s' is corrupt: broken parent link",
								  im->store->dir)
							    : rc;
		}
		vlen = cs_store_main_value(im->store, height, cur,
		    p == NULL ? e.header : im->store->meta.opaque ? NULL : im->headers + p->header_at, value);
		cs_store_height_key(key, height);
		leveldb_writebatch_put(im->batch, (const char *)key, sizeof(key), (const char *)value, vlen);
		memcpy(cur, p != NULL ? p->prev : e.prev, 32);
		cs_store_free(owned);
		if (height == 0)
			break;
		height--;
	}
	/* A heavier but shorter branch: the old heights above it leave the
	 * index (h > best_height stops the loop should h wrap). */
	for (uint32_t h = im->best_height + 1; h <= im->tip_height && h > im->best_height; h++) {
		cs_store_height_key(key, h);
		leveldb_writebatch_delete(im->batch, (const char *)key, sizeof(key));
	}
	leveldb_writebatch_put(im->batch, CS_META_TIP, CS_META_LEN(CS_META_TIP), (const char *)im->best, 32);
	return 0;
}

/*
 * The chain-tip markers of the batch: an entry without children is a tip,
 * and its parent no longer is. Performance (docs/benchmarks.md): written
 * per entry as they connect, a chain of N entries put N markers and
 * deleted N, each a random key through LevelDB's memtable and compactions
 * (a fifth of cs-put's CPU); written here, from what the batch holds, the
 * same end state takes one put and one delete for a chain.
 */
static void
put_tips(struct cs_import *im)
{
	uint8_t key[33];

	for (size_t i = 0; i < im->count; i++) {
		const struct cs_pending *p = &im->pending[i];

		if (!p->has_child) {
			cs_store_key(key, CS_KEY_TIP, p->hash);
			leveldb_writebatch_put(im->batch, (const char *)key, sizeof(key), "", 0);
		}
		if (!p->parent_pending) {
			cs_store_key(key, CS_KEY_TIP, p->prev);
			leveldb_writebatch_delete(im->batch, (const char *)key, sizeof(key));
		}
	}
}

int
cs_import_commit(struct cs_import *im, struct cs_error *err)
{
	int rc = 0;

	if (im->ops == 0)
		return 0;
	stage_flush(im);
	put_tips(im);
	if (memcmp(im->best, im->tip, 32) != 0 && (rc = switch_branch(im, err)) != 0)
		goto out;
	if ((rc = cs_store_write(im->store, im->batch, err)) != 0)
		goto out;
	memcpy(im->tip, im->best, 32);
	im->tip_height = im->best_height;
	im->tip_work = im->best_work;
out:
	leveldb_writebatch_clear(im->batch);
	im->count = 0;
	if (im->table_cap == TABLE_SLOTS || pending_alloc(im, TABLE_SLOTS) != 0)
		memset(im->slots, 0, im->table_cap * sizeof(*im->slots));
	im->bytes = im->ops = 0;
	im->headers_len = 0;
	im->staged_count = im->values_len = 0;
	/* Another writer may move the tip while we do not hold the store. */
	im->tip_loaded = false;
	return rc;
}

size_t
cs_import_orphan_count(const struct cs_import *im)
{
	return im->orphan_count;
}

void
cs_import_each_orphan(const struct cs_import *im, void (*fn)(void *ctx, const struct cs_record *rec), void *ctx)
{
	for (size_t b = 0; b < im->orphan_buckets; b++) {
		for (const struct cs_orphan *o = im->orphans[b]; o != NULL; o = o->next)
			fn(ctx, &o->rec);
	}
}

int
cs_import_tip(struct cs_import *im, uint8_t hash[32], uint32_t *height, struct cs_error *err)
{
	int rc = load_tip(im, err);

	if (rc == 0) {
		memcpy(hash, im->tip, 32);
		*height = im->tip_height;
	}
	return rc;
}

/* Marks. */

static int
mark_cmp(const void *key, const void *elem)
{
	return memcmp(key, ((const struct cs_mark *)elem)->hash, 32);
}

bool
cs_marks_has(const struct cs_marks *m, const uint8_t hash[32])
{
	return m->n > 0 && bsearch(hash, m->v, m->n, sizeof(*m->v), mark_cmp) != NULL;
}

void
cs_marks_free(struct cs_marks *m)
{
	free(m->v);
	memset(m, 0, sizeof(*m));
}

/* Room for one more mark. */
static int
marks_reserve(struct cs_marks *m, struct cs_error *err)
{
	struct cs_mark *grown = cs_grow(m->v, &m->cap, m->n + 1, 16, sizeof(*grown));

	if (grown == NULL)
		return cs_error_set(err, CS_EX_SOFTWARE, "out of memory");
	m->v = grown;
	return 0;
}

static int
collect_mark(void *ctx, const uint8_t hash[32], uint32_t height, struct cs_error *err)
{
	struct cs_marks *m = ctx;
	int rc;

	if ((rc = marks_reserve(m, err)) != 0)
		return rc;
	/* the walk goes in key order: the array stays sorted */
	memcpy(m->v[m->n].hash, hash, 32);
	m->v[m->n++].height = height;
	if (height < m->min_height)
		m->min_height = height;
	return 0;
}

int
cs_marks_load(struct cs_store *s, struct cs_marks *m, struct cs_error *err)
{
	m->n = 0;
	m->min_height = UINT32_MAX;
	return cs_store_each_mark(s, collect_mark, m, err);
}

static void
marks_min(struct cs_marks *m)
{
	m->min_height = UINT32_MAX;
	for (size_t i = 0; i < m->n; i++)
		if (m->v[i].height < m->min_height)
			m->min_height = m->v[i].height;
}

static int
marks_insert(struct cs_marks *m, const uint8_t hash[32], uint32_t height, struct cs_error *err)
{
	size_t at = 0;
	int rc;

	if ((rc = marks_reserve(m, err)) != 0)
		return rc;
	while (at < m->n && memcmp(m->v[at].hash, hash, 32) < 0)
		at++;
	memmove(&m->v[at + 1], &m->v[at], (m->n - at) * sizeof(*m->v));
	memcpy(m->v[at].hash, hash, 32);
	m->v[at].height = height;
	m->n++;
	marks_min(m);
	return 0;
}

static void
mark_key(uint8_t key[33], const uint8_t hash[32])
{
	cs_store_key(key, CS_KEY_INVALID, hash);
}

static int
corrupt_link(struct cs_store *s, struct cs_error *err)
{
	return cs_error_set(err, CS_EX_IOERR, "store '%s' is corrupt: broken parent link", s->dir);
}

int
cs_chain_branch(struct cs_store *s, const struct cs_marks *m, const struct cs_entry *e, struct cs_branch *b,
    struct cs_error *err)
{
	uint8_t cur[32];
	unsigned flags = e->flags;
	uint32_t height = e->height;
	bool main = e->main;

	memset(b, 0, sizeof(*b));
	b->bodies = true;
	memcpy(cur, e->hash, 32);
	while (!main) {
		struct cs_entry x;
		char *owned;
		int rc;

		if (height <= s->meta.base_height)
			return corrupt_link(s, err);
		b->length++;
		if (cs_marks_has(m, cur)) {
			b->invalid = true;
			memcpy(b->marked, cur, 32);
		}
		if (!(flags & (CS_ENTRY_HAS_BODY | CS_ENTRY_PRUNED)))
			b->bodies = false;
		if ((rc = cs_store_read_entry(s, cur, &x, &owned, err)) != 0)
			return rc == CS_EX_NOTFOUND ? corrupt_link(s, err) : rc;
		memcpy(cur, x.prev, 32);
		cs_store_free(owned);
		if ((rc = cs_store_get_entry(s, cur, &x, &owned, err)) != 0)
			return rc == CS_EX_NOTFOUND ? corrupt_link(s, err) : rc;
		flags = x.flags;
		height = x.height;
		main = x.main;
		cs_store_free(owned);
	}
	return 0;
}

/* An entry that may become the tip. */
struct candidate {
	uint8_t hash[32];
	uint32_t height;
	struct cs_u256 work;
};

/* Whether hash is the main-chain entry at height. */
static int
on_main(struct cs_store *s, const uint8_t hash[32], uint32_t height, bool *main, struct cs_error *err)
{
	uint8_t at[32];
	int rc = cs_store_get_main(s, height, at, err);

	*main = rc == 0 && memcmp(at, hash, 32) == 0;
	return rc == CS_EX_NOTFOUND ? 0 : rc;
}

/*
 * The best entry of the branch ending at tip: walked back to the main
 * chain, it is the parent of the mark met nearest the main chain, or the
 * tip when none is. *found is false when the branch meets the main chain
 * above valid_height (every entry there descends from a mark).
 */
static int
branch_best(struct cs_store *s, const struct cs_marks *m, const uint8_t tip[32], uint32_t valid_height,
    struct candidate *c, bool *found, struct cs_error *err)
{
	uint8_t cur[32];
	bool want = true; /* c->hash is the next entry to read */

	*found = false;
	memcpy(cur, tip, 32);
	memcpy(c->hash, tip, 32);
	for (;;) {
		struct cs_entry e;
		char *owned;
		bool main;
		int rc;

		if ((rc = cs_store_read_entry(s, cur, &e, &owned, err)) != 0)
			return rc == CS_EX_NOTFOUND ? corrupt_link(s, err) : rc;
		if (want) {
			c->height = e.height;
			c->work = e.chainwork;
			want = false;
		}
		if ((rc = on_main(s, cur, e.height, &main, err)) != 0) {
			cs_store_free(owned);
			return rc;
		}
		if (main) {
			*found = e.height <= valid_height;
			cs_store_free(owned);
			return 0;
		}
		if (cs_marks_has(m, cur)) {
			memcpy(c->hash, e.prev, 32);
			want = true;
		}
		memcpy(cur, e.prev, 32);
		cs_store_free(owned);
		if (e.height <= s->meta.base_height)
			return corrupt_link(s, err);
	}
}

/*
 * The valid entry with the most chainwork, when the main chain is valid up
 * to valid_height and every main-chain entry above descends from a mark:
 * the main-chain entry at valid_height, unless a chain tip's branch has
 * more (the first of equals: the main chain's, then by tip hash).
 */
static int
best_valid(struct cs_store *s, const struct cs_marks *m, uint32_t valid_height, struct candidate *best,
    struct cs_error *err)
{
	struct cs_hash_list tips = { NULL, 0, 0 };
	struct cs_entry e;
	char *owned;
	int rc;

	if ((rc = cs_store_get_main(s, valid_height, best->hash, err)) != 0 ||
	    (rc = cs_store_read_entry(s, best->hash, &e, &owned, err)) != 0)
		return rc == CS_EX_NOTFOUND ? cs_error_set(err, CS_EX_IOERR,
						  "store '%s' is corrupt: main chain entry missing at height %u", s->dir,
						  valid_height)
					    : rc;
	best->height = e.height;
	best->work = e.chainwork;
	cs_store_free(owned);
	rc = cs_store_each_tip(s, cs_hash_list_add, &tips, err);
	for (size_t i = 0; i < tips.n && rc == 0; i++) {
		struct candidate c;
		bool found;

		rc = branch_best(s, m, tips.v[i], valid_height, &c, &found, err);
		if (rc == 0 && found && cs_u256_cmp(&c.work, &best->work) > 0)
			*best = c;
	}
	free(tips.v);
	return rc;
}

/* Puts the tip at best, the height index with it (switch_branch), in the
 * import's batch. */
static int
move_tip(struct cs_import *im, const struct candidate *best, struct cs_mark_report *r, struct cs_error *err)
{
	memcpy(im->best, best->hash, 32);
	im->best_height = best->height;
	im->best_work = best->work;
	memcpy(r->tip, best->hash, 32);
	r->height = best->height;
	return memcmp(im->best, im->tip, 32) != 0 ? switch_branch(im, err) : 0;
}

static int
not_found(const uint8_t hash[32], struct cs_error *err)
{
	char hex[CS_HASH_HEX];

	cs_hash_to_display(hash, hex);
	return cs_error_set(err, CS_EX_NOTFOUND, "'%s': not found", hex);
}

/* An import with nothing pending, for its tip, its marks and its reorg. */
static int
mark_begin(struct cs_import *im, struct cs_store *s, struct cs_mark_report *r, struct cs_error *err)
{
	int rc;

	memset(r, 0, sizeof(*r));
	if ((rc = cs_import_init(im, s, err)) != 0)
		return rc;
	if ((rc = load_tip(im, err)) != 0)
		return rc;
	memcpy(r->old_tip, im->tip, 32);
	r->old_height = im->tip_height;
	memcpy(r->tip, im->tip, 32);
	r->height = im->tip_height;
	return 0;
}

int
cs_chain_invalidate(struct cs_store *s, const uint8_t hash[32], struct cs_mark_report *r, struct cs_error *err)
{
	struct cs_import im;
	struct candidate best;
	struct cs_entry e;
	uint8_t key[33], value[CS_MARK_VALUE_SIZE];
	char *owned, hex[CS_HASH_HEX];
	int rc;

	memset(r, 0, sizeof(*r));
	if ((rc = cs_store_get_entry(s, hash, &e, &owned, err)) != 0)
		return rc == CS_EX_NOTFOUND ? not_found(hash, err) : rc;
	cs_store_free(owned);
	if (memcmp(hash, s->meta.root, 32) == 0) {
		cs_hash_to_display(hash, hex);
		return cs_error_set(err, CS_EX_DATAERR, "'%s': the store's %s cannot be invalidated", hex,
		    memcmp(s->meta.root, s->meta.genesis, 32) == 0 ? "genesis" : "checkpoint");
	}
	if ((rc = mark_begin(&im, s, r, err)) != 0 || cs_marks_has(&im.marks, hash))
		goto out;
	if ((rc = marks_insert(&im.marks, hash, e.height, err)) != 0)
		goto out;
	mark_key(key, hash);
	value[0] = (uint8_t)(e.height >> 24);
	value[1] = (uint8_t)(e.height >> 16);
	value[2] = (uint8_t)(e.height >> 8);
	value[3] = (uint8_t)e.height;
	leveldb_writebatch_put(im.batch, (const char *)key, sizeof(key), (const char *)value, sizeof(value));
	/* on the main chain, it and everything above it leave */
	if (e.main && ((rc = best_valid(s, &im.marks, e.height - 1, &best, err)) != 0 ||
			  (rc = move_tip(&im, &best, r, err)) != 0))
		goto out;
	if ((rc = cs_store_write(s, im.batch, err)) == 0)
		r->marked = 1;
out:
	if (rc != 0)
		memcpy(r->tip, r->old_tip, 32), r->height = r->old_height;
	cs_import_free(&im);
	return rc;
}

/*
 * Whether the stored entry from (at height from_height) descends from the
 * entry hash at height: walked back to that height, or to the main chain
 * above it, which descends from hash only when hash is on the main chain.
 */
static int
descends(struct cs_store *s, const uint8_t from[32], const uint8_t hash[32], uint32_t height, bool hash_main,
    bool *yes, struct cs_error *err)
{
	uint8_t cur[32];

	*yes = false;
	memcpy(cur, from, 32);
	for (;;) {
		struct cs_entry e;
		char *owned;
		int rc = cs_store_get_entry(s, cur, &e, &owned, err);

		if (rc == CS_EX_NOTFOUND)
			return 0; /* a mark whose entry was pruned: not known to */
		if (rc != 0)
			return rc;
		memcpy(cur, e.prev, 32);
		cs_store_free(owned);
		if (e.height <= height) {
			*yes = e.height == height && memcmp(e.hash, hash, 32) == 0;
			return 0;
		}
		if (e.main) {
			*yes = hash_main;
			return 0;
		}
	}
}

int
cs_chain_reconsider(struct cs_store *s, const uint8_t hash[32], struct cs_mark_report *r, struct cs_error *err)
{
	struct cs_import im;
	struct candidate best;
	struct cs_entry e;
	bool *clear = NULL, stored;
	size_t kept = 0;
	char *owned;
	int rc;

	memset(r, 0, sizeof(*r));
	rc = cs_store_get_entry(s, hash, &e, &owned, err);
	if (rc != 0 && rc != CS_EX_NOTFOUND)
		return rc;
	stored = rc == 0;
	if (stored)
		cs_store_free(owned);
	if ((rc = mark_begin(&im, s, r, err)) != 0)
		goto out;
	if (!stored && !cs_marks_has(&im.marks, hash)) {
		rc = not_found(hash, err);
		goto out;
	}
	if (im.marks.n == 0)
		goto out;
	if ((clear = calloc(im.marks.n, sizeof(*clear))) == NULL) {
		rc = cs_error_set(err, CS_EX_SOFTWARE, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < im.marks.n && rc == 0; i++) {
		const struct cs_mark *mk = &im.marks.v[i];

		if (memcmp(mk->hash, hash, 32) == 0)
			clear[i] = true;
		else if (stored && mk->height > e.height) /* a descendant? */
			rc = descends(s, mk->hash, hash, e.height, e.main, &clear[i], err);
		else if (stored && mk->height < e.height) /* an ancestor? */
			rc = descends(s, hash, mk->hash, mk->height, false, &clear[i], err);
	}
	for (size_t i = 0; i < im.marks.n && rc == 0; i++) {
		uint8_t key[33];

		if (!clear[i]) {
			im.marks.v[kept++] = im.marks.v[i];
			continue;
		}
		mark_key(key, im.marks.v[i].hash);
		leveldb_writebatch_delete(im.batch, (const char *)key, sizeof(key));
		r->cleared++;
	}
	if (rc != 0 || r->cleared == 0)
		goto out;
	im.marks.n = kept;
	marks_min(&im.marks);
	/* the main chain is valid: only a branch may now have more work */
	if ((rc = best_valid(s, &im.marks, im.tip_height, &best, err)) == 0 &&
	    (rc = move_tip(&im, &best, r, err)) == 0)
		rc = cs_store_write(s, im.batch, err);
out:
	if (rc != 0) {
		memcpy(r->tip, r->old_tip, 32);
		r->height = r->old_height;
		r->cleared = 0;
	}
	free(clear);
	cs_import_free(&im);
	return rc;
}
