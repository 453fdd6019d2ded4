/*
 * chain.h - the chain rules of SPEC §1, independent of the header format:
 * connecting entries to their parents (heights, chainwork), holding those
 * whose parent has not arrived, choosing the tip (most work, first seen
 * wins a tie) and reorganising the main-chain height index.
 *
 * An import gathers entries into one LevelDB write batch and commits it as
 * one synced write holding the entries, their indexes and the new tip, so
 * the store is never seen half-written. The store must be held during
 * cs_import_add and cs_import_commit; between commits the caller may let
 * go of it (the import reloads the tip when it next adds).
 *
 * Profiles: in a Bitcoin store an entry's hash, parent and work come from
 * its 80-byte header (and its proof of work is checked); in an opaque store
 * they come from the record itself.
 */
#ifndef CS_CHAIN_H
#define CS_CHAIN_H

#include "entry.h"
#include "error.h"
#include "store.h"

#include <leveldb/c.h>

struct cs_import_stats {
	uint64_t read, added, duplicates, bodies, rejected;
};

struct cs_pending;
struct cs_orphan;

/*
 * Marks: entries an operator has declared invalid (cs-tip --invalidate),
 * as Bitcoin Core's invalidateblock. An entry is invalid when it or an
 * ancestor is marked; the main chain never holds one, and the tip is the
 * entry with the most chainwork among the valid ones. The marks of a store
 * are few: they are read whole, sorted by hash.
 */
struct cs_mark {
	uint8_t hash[32];
	uint32_t height;
};

struct cs_marks {
	struct cs_mark *v;
	size_t n, cap;
	uint32_t min_height; /* the lowest mark's; no entry below it is marked */
};

int cs_marks_load(struct cs_store *s, struct cs_marks *m, struct cs_error *err);
bool cs_marks_has(const struct cs_marks *m, const uint8_t hash[32]);
void cs_marks_free(struct cs_marks *m);

/* What the walk from an entry back to the main chain met (cs-tip --all). */
struct cs_branch {
	long length;      /* entries from the fork point (excluded) to it: 0 on the main chain */
	bool invalid;     /* one of them is marked */
	bool bodies;      /* each has its body stored, or had it (pruned) */
	uint8_t marked[32]; /* when invalid: the mark nearest the main chain */
};
/* e: a stored entry, with e->main filled (cs_store_get_entry). */
int cs_chain_branch(struct cs_store *s, const struct cs_marks *m, const struct cs_entry *e, struct cs_branch *b,
    struct cs_error *err);

/* What cs_chain_invalidate and cs_chain_reconsider did. */
struct cs_mark_report {
	size_t marked, cleared; /* marks written, marks removed */
	uint8_t old_tip[32], tip[32];
	uint32_t old_height, height;
};

/*
 * Marks hash invalid and, when it is on the main chain, moves the tip to
 * the valid entry with the most chainwork (on a tie, the one on the old
 * main chain): the mark, the height index and the tip in one synced
 * write. Marking an entry already marked changes nothing. The store must
 * be held, for writing. CS_EX_NOTFOUND: no such entry; CS_EX_DATAERR: it
 * is the store's first entry (the genesis or its checkpoint), which has
 * no valid chain beside it.
 */
int cs_chain_invalidate(struct cs_store *s, const uint8_t hash[32], struct cs_mark_report *r,
    struct cs_error *err);
/*
 * Undoes marks as Bitcoin Core's reconsiderblock (ResetBlockFailureFlags):
 * removes the marks of hash, of its descendants and of its ancestors, then
 * moves the tip to the valid entry with the most chainwork (on a tie, the
 * tip stays), in one synced write. An entry no mark touches changes
 * nothing. CS_EX_NOTFOUND: neither an entry nor a mark of that hash.
 */
int cs_chain_reconsider(struct cs_store *s, const uint8_t hash[32], struct cs_mark_report *r,
    struct cs_error *err);

struct cs_staged;

/* A hash in the import's set of rejected headers. */
struct cs_invalid {
	uint8_t hash[32];
	bool used;
};

struct cs_import {
	struct cs_store *store;
	leveldb_writebatch_t *batch;
	/* the batch's entries, dense, and an open-addressing index of them:
	 * slot i holds 1 + the entry's position, 0 when free */
	struct cs_pending *pending;
	uint32_t *slots;
	size_t table_cap, count, bytes, ops;
	bool tip_loaded;
	uint8_t tip[32];
	uint32_t tip_height;
	struct cs_u256 tip_work;
	uint8_t best[32];
	uint32_t best_height;
	struct cs_u256 best_work;
	uint64_t best_arrival, arrivals;
	struct cs_orphan **orphans;       /* buckets by parent, oldest first */
	struct cs_orphan ***orphan_tails; /* each bucket's last link */
	size_t orphan_buckets, orphan_count;
	size_t orphan_bytes, orphan_body_bytes; /* held, bodies apart (chain.c) */
	/* the batch's entry values, put into the write batch at commit in
	 * key order (chain.c stage_flush) */
	struct cs_staged *staged;
	size_t staged_count, staged_cap;
	uint8_t *values;
	size_t values_len, values_cap;
	/* the batch's Bitcoin headers, for the height index (pending header_at) */
	uint8_t *headers;
	size_t headers_len, headers_cap;
	/* txids of the last body parsed, staged until its record is accepted */
	uint8_t (*txids)[32];
	size_t txid_count, txid_cap;
	uint8_t txids_of[32];
	/* headers rejected by the rules, for their children (chain.c) */
	struct cs_invalid *invalid;
	size_t invalid_count, invalid_cap;
	/* the store's marks, read with the tip: a child of a marked entry is
	 * refused (bad-prevblk) */
	struct cs_marks marks;
	struct cs_import_stats stats;
};

int cs_import_init(struct cs_import *im, struct cs_store *s, struct cs_error *err);
void cs_import_free(struct cs_import *im);
/* Adds one record. CS_EX_DATAERR: the record is rejected (err says why,
 * with its item and byte); nothing of it was kept: one whose parent is
 * invalid (marked, or a descendant of a mark) is "bad-prevblk", as Core
 * says. A record of an invalid entry already stored is a duplicate, and
 * stays invalid. Other codes: the store failed. */
int cs_import_add(struct cs_import *im, const struct cs_record *rec, struct cs_error *err);
/* Whether the batch is big enough to commit now. */
bool cs_import_batch_full(const struct cs_import *im);
/* Commits the batch (entries, indexes, tip) as one synced write. */
int cs_import_commit(struct cs_import *im, struct cs_error *err);
/* Entries still waiting for their parent; fn is called for each, in input
 * order of arrival is not guaranteed. */
size_t cs_import_orphan_count(const struct cs_import *im);
void cs_import_each_orphan(const struct cs_import *im, void (*fn)(void *ctx, const struct cs_record *rec),
    void *ctx);
/* The committed tip, for summaries. */
int cs_import_tip(struct cs_import *im, uint8_t hash[32], uint32_t *height, struct cs_error *err);

#endif
