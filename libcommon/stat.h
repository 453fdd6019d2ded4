/*
 * stat.h - what a store holds and what it costs (cs-stat): counts read from
 * the keys, sizes on disk, and LevelDB's own statistics.
 *
 * Contract: the store must be held during cs_stat_store. The counts are
 * what the store says (cs-check verifies them): entries are 'E' keys,
 * bodies and pruned bodies are read from the entries' flags, chain tips are
 * 'X' keys, transactions are 'T' keys, the main chain is the tip's height
 * + 1. One pass over the entries and the transaction index keys (no body is
 * read); memory is fixed. Returns 0, or CS_EX_IOERR when LevelDB cannot
 * read the store (or the tip entry is missing, or an entry's value is too
 * short for its flags and height), CS_EX_SOFTWARE when out of
 * memory. The prune height costs a look-up in the height index for each
 * entry without a body that is higher than those seen before it (in hash
 * order: a few dozen). Free the result with cs_stat_free.
 */
#ifndef CS_STAT_H
#define CS_STAT_H

#include "error.h"
#include "format.h"
#include "output.h"
#include "store.h"

#include <stdbool.h>
#include <stdint.h>

/* The kinds of keys, for sizes: entries, bodies, height index,
 * transaction index, chain tips, meta. */
#define CS_STAT_KINDS 6
extern const char *const cs_stat_kind_names[CS_STAT_KINDS];

#define CS_STAT_LEVELS 7 /* LevelDB's config::kNumLevels */

struct cs_stat {
	uint64_t entries;
	uint64_t main;   /* main chain length: the tip's height + 1 */
	uint64_t forks;  /* entries - main */
	uint64_t tips;
	uint64_t bodies;
	uint64_t pruned;
	uint64_t transactions;
	uint32_t tip_height;
	/* Bitcoin Core's pruneheight ("height of the last block pruned, plus
	 * one"): the lowest height from which every main-chain entry up to
	 * the tip has its body; the tip's height + 1 when the tip has none
	 * (a store of headers only); the first entry's height (0, or the
	 * checkpoint's) when every main-chain entry has its body */
	uint64_t prune_height;
	uint8_t tip_hash[32];
	bool has_tip_time;  /* Bitcoin stores: the tip header's time */
	uint32_t tip_time;
	uint64_t bytes_on_disk;                   /* cs_store_disk_bytes */
	uint64_t kind_bytes[CS_STAT_KINDS];       /* leveldb_approximate_sizes */
	uint64_t files_at_level[CS_STAT_LEVELS];  /* "leveldb.num-files-at-level<N>" */
	uint64_t memory_usage;                    /* "leveldb.approximate-memory-usage" */
	char *stats;                              /* "leveldb.stats", malloc'd (may be NULL) */
	char *sstables;                           /* "leveldb.sstables" when asked for */
};

int cs_stat_store(struct cs_store *s, bool sstables, struct cs_stat *st, struct cs_error *err);
void cs_stat_free(struct cs_stat *st);

/* Writes st as one record in format (cbor, json, text or prometheus, as
 * cs-stat(1) describes them) to out: dir is the store's name as given,
 * each byte of it that is not valid UTF-8 written as U+FFFD; verbose adds
 * LevelDB's table list to the text. Fails only for want of memory. */
int cs_stat_write(struct cs_out *out, enum cs_format format, const char *dir, const struct cs_store_meta *meta,
    const struct cs_stat *st, bool verbose, struct cs_error *err);
/* cs-stat: opens the store at dir for reading (CS_OPEN_READ), counts, lets
 * go of it, and writes the record to out (not flushed). */
int cs_stat_print(const char *dir, const char *command, double wait, enum cs_format format, bool verbose,
    struct cs_out *out, struct cs_error *err);

#endif
