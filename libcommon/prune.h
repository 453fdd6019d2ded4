/*
 * prune.h - what cs-prune drops and how (SPEC §3 "Pruning"): the plan
 * (main-chain bodies below a height; fork branches whose fork point is
 * below a height), the write batches that drop them, a fingerprint of the
 * chain's shape that tells a pruner whether another command changed it
 * while the pruner let go of the store, and the compaction of the key
 * ranges that were freed.
 *
 * Main-chain entries (headers) are never dropped: only their bodies and
 * transaction index keys ('B' and 'T'). A fork entry goes whole: its 'E',
 * 'B', 'T' and 'X' keys.
 *
 * Consistency: every drop goes into the prune's write batch, and
 * cs_prune_commit writes it as one synced LevelDB write. An entry is marked
 * PRUNED (and loses HAS_BODY) in the same write that deletes its body and
 * its transactions' index keys. Fork entries go children first (the plan
 * lists them parents first; drop them from the end), so every commit leaves
 * a tree still linked to the main chain, and a parent whose last child went
 * becomes a chain tip ('X') in that same write. After a crash between two
 * commits the store is consistent; what was not committed is still there.
 *
 * Contract: functions that read or write need the prune's store held; they
 * return 0 or an enum cs_exit code and fill err (error.h). Nothing here
 * prints or exits. A plan holds hashes and heights, not entries: entries
 * are read again, under the lock, when they are archived or dropped, and
 * what changed meanwhile (a body already gone, an entry now on the main
 * chain, a tip now lower) is skipped, not dropped.
 */
#ifndef CS_PRUNE_H
#define CS_PRUNE_H

#include "error.h"
#include "store.h"

#include <leveldb/c.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Bitcoin Core's MIN_BLOCKS_TO_KEEP: --keep-bodies below it needs --force. */
#define CS_PRUNE_MIN_KEEP 288

/* A main-chain entry whose body goes. */
struct cs_prune_body {
	uint8_t hash[32];
	uint32_t height;
	bool archived;
};

/* A fork entry; fork_point is the height of the last main-chain entry of
 * its branch. parent is its parent's index in the fork table, or
 * CS_PRUNE_NONE when the parent is that main-chain entry. */
#define CS_PRUNE_NONE ((size_t)-1)
struct cs_prune_fork {
	uint8_t hash[32];
	uint32_t height;
	uint32_t fork_point;
	size_t parent;
	uint32_t children; /* children not dropped yet */
	bool drop, archived;
};

struct cs_prune_stats {
	uint64_t bodies;       /* main-chain bodies dropped */
	uint64_t transactions; /* transaction index keys deleted */
	uint64_t fork_entries; /* fork entries dropped */
	uint64_t fork_bodies;  /* bodies that went with them */
};

struct cs_prune {
	struct cs_store *store;
	bool bodies_on, forks_on;
	uint32_t keep_bodies, keep_forks;
	uint32_t tip_height;
	/* the plan: bodies by height; every fork entry, parents first */
	struct cs_prune_body *bodies;
	size_t body_count, body_cap;
	struct cs_prune_fork *forks;
	size_t fork_count, fork_cap;
	size_t fork_drops; /* how many forks[] have drop set */
	size_t *fork_slots; /* open addressing: fork index + 1, 0 empty */
	size_t fork_slot_cap;
	/* fork entries archived in this run, kept across re-plans */
	uint8_t (*archived)[32];
	size_t archived_count, archived_cap;
	bool archived_sorted;
	/* planning scans the entries in chunks, calling pause (when set)
	 * between them: the caller may let go of the store there, and must
	 * hold it again before returning 0 */
	int (*pause)(void *ctx, struct cs_error *err);
	void *pause_ctx;
	size_t scan_count;
	uint8_t scan_last[32];
	/* the write batch being built */
	leveldb_writebatch_t *batch;
	size_t ops;
	uint8_t *value; /* an entry's value being rewritten */
	struct cs_prune_stats stats;
	/* key ranges with deletions, by prefix ('B' 'T' 'E' 'X') and first
	 * byte after it: what compaction has to visit */
	uint8_t touched[4][32];
};

int cs_prune_init(struct cs_prune *p, struct cs_store *s, struct cs_error *err);
void cs_prune_free(struct cs_prune *p);

/* Plans from the store as it is now: the tip height, and (when on) the
 * bodies and fork entries to drop. cs_prune_replan_forks redoes the fork
 * part only (after another command changed the chain's shape): the bodies
 * already planned stay, each checked again when it is dropped. */
int cs_prune_plan(struct cs_prune *p, struct cs_error *err);
int cs_prune_replan_forks(struct cs_prune *p, struct cs_error *err);

/* Records that fork entry i was written to the archive; a re-plan keeps
 * the mark. */
int cs_prune_mark_archived(struct cs_prune *p, size_t i, struct cs_error *err);

/* Add to the batch what drops body i of the plan, or fork entry i (which
 * must have no child left in the store). *dropped tells whether anything
 * was still there to drop. */
int cs_prune_drop_body(struct cs_prune *p, size_t i, bool *dropped, struct cs_error *err);
int cs_prune_drop_fork(struct cs_prune *p, size_t i, bool *dropped, struct cs_error *err);
/* Whether the batch is big enough to commit now. */
bool cs_prune_batch_full(const struct cs_prune *p);
/* Writes the batch as one synced write (nothing when empty). */
int cs_prune_commit(struct cs_prune *p, struct cs_error *err);

/* A digest of the active tip and every chain tip ('X'): any command that
 * adds an entry or reorganises changes it. */
int cs_prune_fingerprint(struct cs_store *s, uint8_t out[32], struct cs_error *err);

/* Compacts the next freed key range at or after *cursor (start at 0):
 * one 1/256th of a prefix's keys when the prefix had deletions in only a
 * few of them, else the prefix whole; the caller can let go of the store
 * between calls. Returns false when none is left. LevelDB reports no
 * error from compaction: call cs_store_check_background after each. */
bool cs_prune_compact_next(struct cs_prune *p, size_t *cursor);

/* The bytes the database takes on disk, as du -sb counts its directory,
 * less the table files that LevelDB is still writing or has not removed
 * yet (a compaction it was running, or that closing interrupted): the
 * tables counted are those LevelDB lists as live. */
/* The length of the whole records at the start of an archive (a CBOR
 * sequence of entries) at path: less than its size when a run was killed
 * while it wrote one (a torn tail: the last item cut short). Records are
 * appended after whole ones only, else everything after the torn one could
 * not be replayed. A file that holds something else than records (a
 * malformed item not cut short by its end) has no torn tail: UINT64_MAX. */
int cs_prune_archive_whole(const char *path, uint64_t *whole, struct cs_error *err);
int cs_prune_disk_bytes(struct cs_store *s, uint64_t *bytes, struct cs_error *err);

#endif
