/*
 * leveldb.h - what chainstore knows of LevelDB beyond its C API, in one
 * place: the files of a database directory (which are tables, which are
 * LevelDB's own), the live tables its MANIFEST lists, the
 * "leveldb.sstables" property, the hook that turns off mmap reads, and the
 * flush the C API lacks. Written against LevelDB 1.23 (Debian's
 * libleveldb1d); each piece names the LevelDB source it follows.
 *
 * Contract: nothing here prints or exits; the functions that read files
 * return 0 or -1 and leave the judgement to the caller (a copy links no
 * table when the live ones cannot be told). The database handles must be
 * open; no call blocks but on the disk, except cs_leveldb_flush, which
 * waits for the memtable's table to be written.
 */
#ifndef CS_LEVELDB_H
#define CS_LEVELDB_H

#include <leveldb/c.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What a file of a database directory is (filename.cc). */
enum cs_leveldb_file {
	CS_LEVELDB_PRIVATE, /* LOCK, the info logs LOG and LOG.old, *.dbtmp */
	CS_LEVELDB_TABLE,   /* NUMBER.ldb, or NUMBER.sst of older LevelDBs:
			       never changed once written */
	CS_LEVELDB_MUTABLE, /* CURRENT, MANIFEST-*, *.log, anything else */
};
enum cs_leveldb_file cs_leveldb_file_kind(const char *name);
bool cs_leveldb_is_table(const char *name);

/*
 * The live tables of a database: those its MANIFEST's VersionEdits
 * (version_edit.cc, in log records: log_format.h) add and do not delete.
 * A table file that is not live (what a compaction cut short left) has a
 * number LevelDB gives out again, and then rewrites in place.
 */
struct cs_leveldb_live {
	struct cs_leveldb_table {
		int level;
		uint64_t number;
	} *v;
	size_t n, cap;
};
/* Reads dbdir/CURRENT and the MANIFEST it names into *live (zeroed first;
 * free it with cs_leveldb_live_free, also on failure): 0, or -1 when the
 * live tables cannot be told. */
int cs_leveldb_live_read(const char *dbdir, struct cs_leveldb_live *live);
/* Whether the table file name (cs_leveldb_is_table) is live. */
bool cs_leveldb_live_has(const struct cs_leveldb_live *live, const char *name);
void cs_leveldb_live_free(struct cs_leveldb_live *live);

/* The tables by level, from the "leveldb.sstables" property
 * (version_set.cc Version::DebugString). */
#define CS_LEVELDB_LEVELS 7 /* config::kNumLevels */
struct cs_leveldb_levels {
	unsigned files[CS_LEVELDB_LEVELS];
	uint64_t bytes[CS_LEVELDB_LEVELS];
};
/* 0, or -1 when LevelDB gives no list. */
int cs_leveldb_levels(leveldb_t *db, struct cs_leveldb_levels *out);
/* The property's text, for people (cs-stat -v): free it with
 * leveldb_free; NULL when LevelDB gives none. */
char *cs_leveldb_sstables(leveldb_t *db);
/* Whether LevelDB still owes a compaction by its own rules
 * (VersionSet::Finalize: 4 files in level 0, 10^L MiB in level L): for
 * cs_store_settle, and the benchmark's raw-LevelDB floor, which waits the
 * same way. */
bool cs_leveldb_compaction_due(leveldb_t *db);

/* For the commands that write much (cs-put, cs-prune): LevelDB reads
 * tables with pread, not mmap, so that the pages its compactions read
 * stay out of the process's RSS. The others keep mmap: a lookup reads a
 * block without a system call or a copy, and a table cut short is named
 * in the error (a pread of it only says "bad magic number"). Call it
 * before the first store is opened. */
void cs_leveldb_without_mmap(void);
/* Writes LevelDB's memtable out to a table, and waits for it. */
void cs_leveldb_flush(leveldb_t *db);

#endif
