/*
 * check.h - checking a store through and through (cs-check, cs-backup
 * --verify) and rebuilding what it derives from its entries (cs-check
 * --repair).
 *
 * What is checked: the meta records; every entry decodes, and in a Bitcoin
 * store its header hashes to its key and meets its bits and the store's
 * proof-of-work limit (an opaque store's entries name their own hash, so
 * there r->hashes_verified is false); every entry connects to the store's
 * first entry (the genesis, or the checkpoint it starts at, whose height
 * and chainwork are trusted) with the height and chainwork its chain gives
 * it; in a store with header rules (r->rules_verified), every entry keeps
 * them against its ancestors, except time-too-new, a rule of arrival (each
 * entry that breaks one is a finding, counted in r->rule_breaks, and its
 * descendants are judged from it all the same), and the rules context a
 * schema-3 entry keeps is its ancestors'; its flags say whether a body is
 * stored; every Bitcoin body parses and matches its header's merkle root;
 * the transaction index holds exactly the txids of the bodies, at their
 * positions; the chain tips ('X') are exactly the entries without
 * children; the operator marks ('I') are well-formed, keep their entry's
 * height, and never mark the first entry (a mark whose entry is gone is
 * kept: cs-prune drops invalid branches as forks); the meta tip is valid
 * (neither marked nor descending from a mark) and has the most chainwork
 * of the valid entries; the height index is exactly the chain from that
 * tip back to the first entry, so that no invalid entry is on it.
 *
 * Contract: the store must be held for the whole call (nothing else may
 * write it meanwhile). A problem in the store is not an error: each one is
 * passed to o->finding as one line naming what is wrong, without the
 * store's name ("entry HASH: chainwork ... does not match its parent's
 * (expected ...)"), and counted in r->findings; read errors that LevelDB
 * reports (checksum mismatches, unreadable tables) are findings too. The
 * functions return 0 however much they found, and an error code (error.h)
 * only when they cannot go on: out of memory (CS_EX_SOFTWARE); a failed
 * write, or a genesis that cannot be rebuilt, while repairing (CS_EX_IOERR).
 *
 * Memory: about 94 bytes per entry (its hash; its stored height,
 * chainwork and work or bits; what the header rules read of its header and
 * the rules context it keeps; its parent's position, its place among its
 * siblings and where its children start; a few bits), 4 bytes per
 * main-chain height, and one body with its txids at a time; nothing grows
 * with the bodies or the transaction index. Time: a few passes over the
 * keys in order, one read per indexed transaction, and one per entry only
 * where something differs (the header rules are checked from what the
 * passes kept). Nothing blocks but LevelDB's I/O.
 */
#ifndef CS_CHECK_H
#define CS_CHECK_H

#include "entry.h"
#include "error.h"
#include "store.h"

#include <stdbool.h>
#include <stdint.h>

struct cs_check_options {
	/* Each problem found: one line, without the store's name. May be NULL. */
	void (*finding)(void *ctx, const char *message);
	/* cs_check_repair: each change made ("dropped entry HASH: ..."). May
	 * be NULL. */
	void (*repaired)(void *ctx, const char *message);
	/* cs_check_repair: each well-formed entry about to be dropped because
	 * it does not connect to the first entry any more (an ancestor was lost),
	 * parents first, with its body (e->body) when one was stored, so that
	 * the caller can keep it where cs-put reads it back. Returning non-zero
	 * (with err filled) stops the repair before that entry is dropped. May
	 * be NULL. */
	int (*dropped)(void *ctx, const struct cs_entry *e, struct cs_error *err);
	void *ctx;
};

struct cs_check_report {
	uint64_t entries;      /* 'E' keys, sound or not */
	uint64_t main;         /* main-chain entries: the tip's height + 1 */
	uint64_t forks;        /* other entries that connect to the genesis */
	uint64_t tips;         /* 'X' keys */
	uint64_t bodies;       /* 'B' keys */
	uint64_t pruned;       /* entries whose body was pruned */
	uint64_t transactions; /* 'T' keys */
	uint64_t heights;      /* 'H' keys */
	uint64_t marks;        /* 'I' keys: entries marked invalid */
	uint64_t unknown;      /* keys of a kind this chainstore does not know (left alone) */
	bool hashes_verified;  /* false in an opaque store */
	bool rules_verified;   /* the store has header rules, checked on every entry */
	uint64_t rule_breaks;  /* entries that break them (each also a finding) */
	uint64_t findings;     /* problems found */
	/* cs_check_repair only */
	uint64_t changes;      /* keys written or deleted */
	uint64_t dropped;      /* entries dropped */
};

/* A hook for a progress line (progress.h), called every few thousand keys
 * with the pass under way ("reading entries"), the keys it has done, and
 * how many it will do (0: not known yet). It stays set for every later
 * call of this process; NULL turns it off. (Apart from the options: their
 * callers fill them by position.) */
void cs_check_set_progress(void (*fn)(void *ctx, const char *pass, uint64_t done, uint64_t total), void *ctx);

/* Checks everything; fills r (zeroed first). */
int cs_check_store(struct cs_store *s, const struct cs_check_options *o, struct cs_check_report *r,
    struct cs_error *err);

/*
 * Rebuilds what the store derives from its entries, in synced batches,
 * after the same analysis as cs_check_store (whose findings it reports the
 * same way): drops what cannot be kept (entries that do not decode, whose
 * header does not hash to their key or fails its proof of work, or that no
 * longer connect to the first entry; bodies without a sound entry or that
 * do not match their header); rewrites heights, chainwork, flags and rules
 * contexts along the links; rebuilds the chain tips, the height index from
 * the best tip, the meta tip, a built-in network's lost meta rules, and
 * (when anything in it is wrong) the transaction index from the bodies.
 * Entries that break the header rules are kept: which chain to give up is
 * the operator's choice, and they remain findings. A lost genesis is
 * written again for a built-in network; any other lost first entry (a
 * custom genesis, a checkpoint) stops the repair (CS_EX_IOERR) before
 * changing any entry.
 * Run cs_check_store afterwards to see what is left. An interrupted repair
 * leaves a store that another repair finishes.
 */
int cs_check_repair(struct cs_store *s, const struct cs_check_options *o, struct cs_check_report *r,
    struct cs_error *err);

#endif
