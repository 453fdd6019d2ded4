/*
 * chain.h - the chain rules of cs(7) "Chain rules", independent of the header format:
 * connecting entries to their parents (heights, chainwork), holding those
 * whose parent has not arrived, choosing the tip (most work, first seen
 * wins a tie) and reorganising the main-chain height index.
 *
 * Contract: an import (struct cs_import) belongs to its caller, who
 * initialises it with cs_import_init on an open store and frees it with
 * cs_import_free, once, whatever happened in between (also after a failed
 * init). It gathers entries into one LevelDB write batch and commits it as
 * one synced write holding the entries, their indexes and the new tip, so
 * the store is never seen half-written; what was added and not committed
 * is lost when it is freed. The store must be held (lock.h) during
 * cs_import_add and cs_import_commit; between commits the caller may let
 * go of it (the import reloads the tip when it next adds).
 *
 * Lifetime: a record given to cs_import_add is only borrowed; what the
 * import keeps of it (an entry staged for the batch, an orphan waiting for
 * its parent) it copies. The records cs_import_each_orphan shows are the
 * import's, valid during the call only.
 *
 * Errors follow error.h: 0, or an exit code of exit.h with err's message
 * set. CS_EX_DATAERR from cs_import_add rejects that record alone (the
 * import goes on, and keeps nothing of it); any other code is the store or
 * the machine failing (CS_EX_IOERR, CS_EX_SOFTWARE on out of memory), after
 * which the import may only be freed. Memory is bounded by the batch (cs_import_batch_full)
 * and the orphan caps, not by the input's length.
 *
 * Threads: an import is used by one thread; imports into one store are
 * kept apart by the store's lock, not by anything here. Calls block on
 * LevelDB's reads and on the commit's fsync, never on a lock.
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
