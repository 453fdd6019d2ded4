/*
 * store.h - a chainstore store: a directory holding DIR/lock and the LevelDB
 * database DIR/db, with the network it was made for.
 *
 * The keys and values it holds are in keys.h.
 *
 * Contract: functions return 0 or an enum cs_exit code and fill err.
 * A store is "held" while its lock is taken and the database open; every
 * read and write needs it held. cs_store_open leaves it held; release and
 * acquire let a long-running command let go between batches (cs(7) "Locking and pipelines"), and
 * acquire may block for up to the store's wait. Values returned through
 * "owned" pointers are malloc'd by LevelDB: free them with cs_store_free.
 */
#ifndef CS_STORE_H
#define CS_STORE_H

#include "entry.h"
#include "keys.h"
#include "error.h"
#include "leveldb.h"
#include "lock.h"
#include "pow.h"
#include "rules.h"

#include <leveldb/c.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

/* 1: the height index holds hashes only, entries a 32-byte chainwork;
 * 2: with headers, and the chainwork without its leading zeros (see
 * above); 3: entries carry their rules context, and the meta its rules
 * and checkpoint. All are read; an older store is written as it is (its
 * entries without context: the rules then walk to the period's start). */
#define CS_SCHEMA_VERSION 3
#define CS_MAIN_VALUE_MAX 80 /* hash and the header without its prev */

struct cs_store_meta {
	char network[32];        /* "mainnet", ..., "custom", "opaque" */
	bool opaque;
	uint8_t genesis[32];     /* genesis hash, internal order */
	struct cs_u256 pow_limit;
	uint8_t magic[4];        /* blk*.dat magic; all zero when none */
	char rules[16];          /* header rules: a network's name, or "none" */
	/* The first entry: the genesis, or a checkpoint (cs-init --checkpoint)
	 * at base_height, with the times of the entries before it, newest
	 * first, for the median-time rule. */
	uint8_t root[32];
	uint32_t base_height;
	uint32_t root_times[10];
	unsigned root_time_count;
};

struct cs_main_cursor;

/* A zeroed struct cs_store (a static one, or one a command failed before
 * opening) is a valid closed store: cs_store_release and cs_store_close on
 * it do nothing, as they do on a store already closed. */
struct cs_store {
	char dir[4096];
	char dbpath[4096];
	char copy[4096]; /* a reader's private copy of a store it cannot open in
			    place (read-only media, another user's files), or "" */
	double wait_seconds;
	struct cs_lock lock;
	leveldb_t *db;
	leveldb_options_t *options;
	leveldb_cache_t *cache;
	leveldb_filterpolicy_t *filter;
	leveldb_readoptions_t *read;
	leveldb_writeoptions_t *write_sync;
	struct cs_store_meta meta;
	struct cs_rules rules;   /* from meta.rules and the pow limit */
	int schema;
	struct cs_main_cursor *cursor; /* the open one: released with the store */
	struct timespec held_since;
	struct cs_work_cache work_cache;
};

/* The store directory from -s, else $CS_STORE, else ./chainstore. */
const char *cs_store_path(const char *option);

/* CS_EX_NOINPUT for dir, which holds no db directory: "not found (create it
 * with cs-init)" when nothing is there, "not a store" when a directory is. */
int cs_store_missing(const char *dir, struct cs_error *err);

/* Opens an existing store and leaves it held. CS_EX_NOINPUT when there is
 * no store at dir, CS_EX_TEMPFAIL when busy, CS_EX_IOERR when corrupt. */
int cs_store_open(struct cs_store *s, const char *dir, const char *command, double wait_seconds,
    struct cs_error *err);

/*
 * How a command opens a store. CS_OPEN_READ, for a command that only
 * reads: a store this process may not write (on read-only media, or
 * another user's), which LevelDB cannot open in place since it writes on
 * open, is read from a private copy in $TMPDIR (else /tmp), made while
 * holding the store's lock (for reading, where that is all it allows) and
 * removed at close; it costs the store's size in time and space.
 * CS_OPEN_COPY always reads such a copy, so that nothing is written into
 * dir (cs-backup --verify). verify: as cs_store_open_verified.
 */
enum cs_open { CS_OPEN_WRITE, CS_OPEN_READ, CS_OPEN_COPY };
int cs_store_open_as(struct cs_store *s, const char *dir, const char *command, double wait_seconds, bool verify,
    enum cs_open how, struct cs_error *err);

/* As cs_store_open, with LevelDB's paranoid checks on at open and every
 * read verifying its block checksums (cs-check, cs-backup --verify): a
 * damaged database fails to open instead of being silently trimmed. */
int cs_store_open_verified(struct cs_store *s, const char *dir, const char *command, double wait_seconds,
    struct cs_error *err);
/* Runs LevelDB's repair (leveldb_repair_db) on a store that
 * cs_store_open_verified opened (it stays locked throughout) or failed to
 * open with CS_EX_IOERR (the lock is taken, waiting as acquire does), with
 * the database closed, then opens it and leaves it held. Files LevelDB
 * cannot use are moved to DIR/db/lost/. CS_EX_IOERR when the repair fails
 * or what it recovered is not a store (meta lost). */
int cs_store_repair(struct cs_store *s, struct cs_error *err);

/* cs-init: creates the store at dir with its genesis entry, whole or not
 * at all: it is built in a hidden temporary directory beside dir (inside
 * dir when dir is a directory without a database, which must be empty
 * but for a lock file or lost+found) and renamed into place
 * without replacing anything, everything synced; a temporary directory
 * that a killed cs-init left is removed by the next. CS_EX_CANTCREAT
 * when it cannot be made (nothing is left behind). When the store exists:
 * *existed is set and it must be the same network (same genesis and
 * profile), else CS_EX_DATAERR. Leaves the store closed, s naming its dir
 * and meta; cs_store_open it to use it, and cs_store_close s all the same. */
int cs_store_create(struct cs_store *s, const char *dir, const char *command, double wait_seconds,
    const struct cs_store_meta *meta, const struct cs_entry *genesis, bool *existed, struct cs_error *err);

int cs_store_acquire(struct cs_store *s, struct cs_error *err);
void cs_store_release(struct cs_store *s);
bool cs_store_held(const struct cs_store *s);
/* Milliseconds since the store was last acquired. */
long cs_store_held_ms(const struct cs_store *s);
/* The let-go policy of a long writer (cs-put, cs-prune), asked between
 * commits: let go when another command waits for the store (cs(7) "Locking and pipelines": a
 * cs-tip typed by hand answers within about a second), and in any case
 * after holding it CS_STORE_HOLD_MS, for waiters that do not say so
 * (flock(1) from a shell). cs_store_yield_to_waiters, called after letting
 * go, gives the waiting commands the store before the writer asks for it
 * again: it waits, up to a second, until none says it waits. */
#define CS_STORE_HOLD_MS 2000
bool cs_store_should_let_go(struct cs_store *s);
void cs_store_yield_to_waiters(struct cs_store *s);
/* The bytes the store's database takes on disk, the one definition every
 * command reports: the sizes of the regular files in DIR/db and in its
 * lost/ directory, added up (du -b counts the same files). A file removed
 * while it is counted (a compaction's) counts for nothing. CS_EX_IOERR
 * when DIR/db cannot be read. */
int cs_store_disk_bytes(const struct cs_store *s, uint64_t *bytes, struct cs_error *err);
void cs_store_close(struct cs_store *s);
void cs_store_free(void *owned);

/* Entry by hash: CS_EX_NOTFOUND when absent. e->header points into *owned.
 * cs_store_get_entry fills e->main (one more read: the height index);
 * cs_store_read_entry leaves it false, for walks that need only links. */
int cs_store_get_entry(struct cs_store *s, const uint8_t hash[32], struct cs_entry *e, char **owned,
    struct cs_error *err);
int cs_store_read_entry(struct cs_store *s, const uint8_t hash[32], struct cs_entry *e, char **owned,
    struct cs_error *err);
/* Decodes a stored value (from an iterator) of the entry hash: 0, or -1
 * when it does not decode. The layout follows the value's own
 * CS_ENTRY_OPAQUE flag. e->header points into value. */
int cs_store_decode_entry(struct cs_store *s, const uint8_t hash[32], const char *value, size_t len,
    struct cs_entry *e);
/* The active tip's entry (main); a missing one is a corrupt store. */
int cs_store_get_tip_entry(struct cs_store *s, struct cs_entry *e, char **owned, struct cs_error *err);
/* Whether an entry exists (no value copy). */
int cs_store_has_entry(struct cs_store *s, const uint8_t hash[32], bool *exists, struct cs_error *err);
int cs_store_get_main(struct cs_store *s, uint32_t height, uint8_t hash[32], struct cs_error *err);

/*
 * Main-chain entries in height order, from the height index: one seek,
 * then a sequential read, where reading each entry by its hash is a random
 * read (a getheaders answer of 2000 entries touched some 100 tables of a
 * 1,000,000-header store; docs/benchmarks.md). An entry whose header the
 * index does not hold (schema 1, an opaque store, the genesis, the first
 * of a run) is read whole by its hash; the others are rebuilt: prev from
 * the index one height below, chainwork from the entry before. Rebuilt
 * entries carry no stored flags (e->flags is 0): read the entry for them.
 * The cursor holds a LevelDB iterator; releasing the store drops it, and
 * the next call seeks again, checking that the entry before is still the
 * one it returned (else the first entry after is read whole, and its prev
 * tells the caller the chain has moved).
 */
struct cs_main_cursor {
	struct cs_store *s;
	leveldb_iterator_t *it;
	uint32_t next;          /* the height the next call returns */
	bool have_last, have_work;
	uint8_t last[32];       /* the main-chain hash at next - 1 */
	struct cs_u256 work;    /* and its chainwork, when have_work */
	uint8_t header[80];
	char *owned;
};
void cs_main_cursor_init(struct cs_main_cursor *c, struct cs_store *s, uint32_t height);
/* The entry at c->next, then advances: 0; CS_EX_NOTFOUND above the tip.
 * e->header is valid until the next call or the close. The store must be
 * held. */
int cs_main_cursor_next(struct cs_main_cursor *c, struct cs_entry *e, struct cs_error *err);
void cs_main_cursor_close(struct cs_main_cursor *c);
int cs_store_get_tip(struct cs_store *s, uint8_t hash[32], struct cs_error *err);
/* Body of an entry: CS_EX_NOTFOUND when none is stored. */
int cs_store_get_body(struct cs_store *s, const uint8_t hash[32], char **owned, size_t *len,
    struct cs_error *err);
/*
 * The walks below call fn for each key of their kind, in key order, with
 * the walk's own err: fn returns 0 to go on, or stops the walk with a
 * non-zero value, which the walk returns. A fn that fails fills err (as a
 * library function does) and returns its code, so that the command names
 * what failed; a fn may also return a value of its own that is not an exit
 * code (a pause, a "found") and leave err alone.
 */
/* A list of hashes a walk collects: cs_hash_list_add is a callback for
 * cs_store_each_tip (ctx: the list, zeroed to start); free(list.v) after. */
struct cs_hash_list {
	uint8_t (*v)[32];
	size_t n, cap;
};
int cs_hash_list_add(void *ctx, const uint8_t hash[32], struct cs_error *err);

/* Every chain tip hash. */
int cs_store_each_tip(struct cs_store *s, int (*fn)(void *ctx, const uint8_t hash[32], struct cs_error *err),
    void *ctx, struct cs_error *err);

/* Every entry (after the hash after, when not NULL), with its stored flags
 * and height (nothing else is decoded). A value too short to hold them is
 * a corrupt store. */
int cs_store_each_entry(struct cs_store *s, const uint8_t *after,
    int (*fn)(void *ctx, const uint8_t hash[32], unsigned flags, uint32_t height, struct cs_error *err), void *ctx,
    struct cs_error *err);

/* Every entry marked invalid ('I', cs-tip --invalidate), with the height
 * the mark keeps; the entry itself may be gone (cs-prune --forks). A mark
 * that is not 33 + 4 bytes is a corrupt store. */
#define CS_MARK_VALUE_SIZE 4
int cs_store_each_mark(struct cs_store *s,
    int (*fn)(void *ctx, const uint8_t hash[32], uint32_t height, struct cs_error *err), void *ctx,
    struct cs_error *err);

/* Writing: keys and values for a write batch, and the synced write. */
void cs_store_key(uint8_t key[33], char prefix, const uint8_t hash[32]);
void cs_store_height_key(uint8_t key[5], uint32_t height);
/* The height index value of the main-chain entry hash at height with this
 * header (NULL when not at hand: the hash alone is written), in out;
 * returns its length: CS_MAIN_VALUE_MAX or 32 (schema 1, opaque, genesis). */
size_t cs_store_main_value(const struct cs_store *s, uint32_t height, const uint8_t hash[32],
    const uint8_t *header, uint8_t out[CS_MAIN_VALUE_MAX]);
/* The header a CS_MAIN_VALUE_MAX-byte height index value holds, with prev
 * (the hash one height below) put back. */
void cs_store_main_header(const uint8_t *value, const uint8_t prev[32], uint8_t header[80]);
/* Encodes e (flags, height, chainwork, [prev, work], header) into out;
 * returns the length, or 0 when cap is too small. */
#define CS_ENTRY_VALUE_MAX (38 + 64 + CS_OPAQUE_HEADER_MAX + 12)
size_t cs_store_encode_entry(const struct cs_store *s, const struct cs_entry *e, uint8_t *out, size_t cap);
/* The transaction index: key 'T' txid block, value the position (BE). */
#define CS_TX_KEY_SIZE 65
void cs_store_tx_key(uint8_t key[CS_TX_KEY_SIZE], const uint8_t txid[32], const uint8_t block[32]);
void cs_store_tx_value(uint8_t value[4], uint32_t index);
/* Every block holding txid, in block hash order, with the transaction's
 * position (a walk as cs_store_each_tip). */
int cs_store_each_tx(struct cs_store *s, const uint8_t txid[32],
    int (*fn)(void *ctx, const uint8_t block[32], uint32_t index, struct cs_error *err), void *ctx,
    struct cs_error *err);
/* LevelDB's options for every store (store.c explains them). */
#define CS_WRITE_BUFFER (32 << 20)
#define CS_TABLE_SIZE (16 << 20)
int cs_store_write(struct cs_store *s, leveldb_writebatch_t *batch, struct cs_error *err);
/* After many writes: writes the memtable out, then waits, up to max_ms
 * and only while no other command waits for the store, for the
 * compactions LevelDB has due to run in its background thread. Closing the database aborts a running compaction, and
 * the next process to open it would start it again, from the beginning,
 * and abort it too when it closes: a store left with a full level 0 makes
 * every later reader pay (docs/benchmarks.md). Returns what
 * cs_store_check_background does, at the end (or once it fails). */
int cs_store_settle(struct cs_store *s, long max_ms, struct cs_error *err);
/* The error LevelDB's background thread met writing the memtable out or
 * compacting (a full disk), if any, as CS_EX_IOERR: LevelDB keeps it and
 * fails every later write with it, but reports it nowhere else, so a
 * command whose last commit came before it would report success (and the
 * next open, replaying the log into a table, fail on the same full disk).
 * What was committed stays. Call it while the store is held, before
 * letting go, after the last commit and after compacting. */
int cs_store_check_background(struct cs_store *s, struct cs_error *err);

/* Work of an entry's header in this store's profile (Bitcoin: from bits,
 * cached; opaque: as stored). */
void cs_store_header_work(struct cs_store *s, const uint8_t *header, struct cs_u256 *work);

#endif
