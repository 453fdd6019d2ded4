/*
 * prune.h - what cs-prune drops and how (cs-prune(1)): the plan
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
 * The workflow (cs_prune_store, what cs-prune runs): plan; with an
 * archive, append everything that goes to it and sync it before the first
 * deletion; drop the bodies, then the fork entries; compact. Between
 * commits the store is let go when the store's policy says so
 * (cs_store_should_let_go), and while it is let go another command may
 * change the chain: the store is taken again through one function that
 * compares the chain's fingerprint and, when it changed, plans the forks
 * again (what is new is archived before anything of it goes). Syncing
 * the archive is done with the store let go too.
 *
 * Contract: functions that read or write need the prune's store held; they
 * return 0 or an enum cs_exit code and fill err (error.h). Nothing here
 * prints or exits: what a caller shows (a cut archive, progress) it is
 * told through the event callback. A plan holds hashes and heights, not entries: entries
 * are read again, under the lock, when they are archived or dropped, and
 * what changed meanwhile (a body already gone, an entry now on the main
 * chain, a tip now lower) is skipped, not dropped.
 */
#ifndef CS_PRUNE_H
#define CS_PRUNE_H

#include "archive.h"
#include "error.h"
#include "format.h"
#include "output.h"
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

/* What cs_prune_store reports as it goes, through options.event. */
enum cs_prune_event {
	CS_PRUNE_ARCHIVE_CUT, /* opening the archive cut off a torn record:
				 p->archive->cut_bytes at p->archive->cut_at */
	CS_PRUNE_LET_GO,      /* the store was let go: another command may
				 change it until the pruner takes it again */
	CS_PRUNE_PROGRESS,    /* a commit or a compaction step is done: the
				 plan and p->stats say how far it is */
};

struct cs_prune;

/* What to prune and how. Of the bodies options at most one is set:
 * keep_bodies (--keep-bodies N: main-chain bodies more than N below the
 * tip go), height (--keep-bodies-above H: those at heights up to H go),
 * time (--keep-bodies-since T: those up to the height Bitcoin Core's
 * pruneblockchain finds for the time T, see cs_prune_height_for_time).
 * Without force, height and time never drop a body within
 * CS_PRUNE_MIN_KEEP of the tip (Core's pruneblockchain lowers the height
 * the same way); with it, the tip's body still stays. */
struct cs_prune_options {
	const char *dir, *command; /* the store, and the command that holds it */
	double wait;               /* seconds to wait for the store, each time */
	bool bodies_on;
	uint32_t keep_bodies;
	bool height_on;
	uint32_t height;
	bool time_on;
	uint32_t time;
	bool force;
	bool forks_on;
	uint32_t keep_forks;
	const char *archive;       /* append what goes to this file first; NULL: none */
	struct cs_out *dry_run;    /* print what would go here, change nothing; NULL: prune */
	enum cs_format format;     /* of the dry run's records */
	bool measure;              /* the bytes on disk before and after */
	void (*event)(void *ctx, enum cs_prune_event ev, const struct cs_prune *p);
	void *event_ctx;
	/* Asked (with event_ctx) after each commit and compaction step; true
	 * ends the prune there, with what is committed (result->stopped): a
	 * Ctrl-C. May be NULL. */
	bool (*stop)(void *ctx);
};

struct cs_prune {
	struct cs_store *store;
	bool bodies_on, forks_on;
	/* a main-chain body at height h goes when h + keep_bodies < the tip's
	 * height and h <= max_body_height */
	uint32_t keep_bodies, max_body_height;
	uint32_t keep_forks;
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
	/* planning scans the entries in chunks; between them, in a run, the
	 * store may be let go */
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
	/* the workflow (cs_prune_run) */
	const struct cs_prune_options *options;
	struct cs_archive *archive; /* NULL when not archiving */
	uint8_t fingerprint[32];    /* of the store when last let go */
	bool replanned;             /* the forks were planned again since cleared */
	bool stopped;               /* options.stop ended the run */
};

/* What cs_prune_store did. */
struct cs_prune_result {
	struct cs_prune_stats stats;
	size_t body_plan, fork_plan; /* planned: bodies and fork entries to go */
	uint64_t bytes_before, bytes_after; /* with options.measure (after: not for a dry run) */
	bool stopped; /* options.stop ended it: stats say what was committed */
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

/* The whole workflow on the store at options->dir: opens it (and the
 * archive, only once the store is open), plans, then prints (dry run) or
 * archives, drops and compacts, letting go between commits; closes
 * everything. The store missing: CS_EX_NOINPUT, and no archive is made.
 * A height above the tip, or a time no main-chain block reaches:
 * CS_EX_NOTFOUND, nothing changed. --keep-bodies-since in an opaque store
 * (its headers carry no time): CS_EX_USAGE. */
int cs_prune_store(const struct cs_prune_options *options, struct cs_prune_result *result, struct cs_error *err);

/* The same on a prune set up with cs_prune_init on a store that is held,
 * with options (kept by pointer) and archive (open, or NULL). */
int cs_prune_run(struct cs_prune *p, const struct cs_prune_options *options, struct cs_archive *archive,
    struct cs_error *err);

/* Bitcoin Core's pruneblockchain with a time: the height of the first
 * main-chain entry whose time, or an earlier entry's, is at least
 * time - CS_PRUNE_TIME_WINDOW (its FindEarliestAtLeast); the bodies up to
 * that height, it included, go. CS_EX_NOTFOUND when no entry is that
 * recent. Reads the main chain from its start, letting go between chunks
 * as planning does. */
#define CS_PRUNE_TIME_WINDOW 7200 /* Core's TIMESTAMP_WINDOW: two hours */
int cs_prune_height_for_time(struct cs_prune *p, uint32_t time, uint32_t *height, struct cs_error *err);

/* --keep-bodies-since's argument: a unix time (digits), or an ISO 8601
 * date (YYYY-MM-DD, midnight UTC) or date and time (YYYY-MM-DDTHH:MM[:SS],
 * UTC, with or without a final Z). -1 when it is none of these, or outside
 * 1970-01-01 to 2106-02-07T06:28:15Z (what a block time can hold). */
int cs_prune_parse_time(const char *text, uint32_t *time);

#endif
