/*
 * backup.h - file-level copies of a store that hold it only while its files
 * are listed and linked (SPEC §3 Backups), the file-system steps that make
 * them crash-safe (temporary siblings, fsync, rename without replacing,
 * exchange), and the export walk.
 *
 * A set of LevelDB files is consistent when it is listed while no process has
 * the database open: under the store's lock (lock.h), with the database
 * closed. LevelDB's live table files (*.ldb, *.sst: those its MANIFEST
 * lists) never change once written, so a copy hard-links them; table files
 * that are not live are left out (LevelDB may give their numbers out again
 * and rewrite them in place); the small mutable files (CURRENT, MANIFEST-*,
 * *.log) are copied; LOCK, the info logs (LOG, LOG.old) and temporary
 * *.dbtmp files are left out. When the copy is on another file system, the
 * tables are hard-linked into a staging directory inside the source store
 * (same file system) while the lock is held, and copied from there after it
 * is let go: the store is held for O(files), never O(bytes) of tables (the
 * mutable files copied while held are at most LevelDB's write buffer).
 *
 * Temporary directories are named PREFIX<pid>-<host>-XXXXXX, so that a later
 * run can remove those whose process is gone (cs_backup_remove_stale).
 *
 * Contract: functions return 0 or an enum cs_exit code and fill err; they
 * never print or exit. cs_backup_copy_store may block for up to the wait
 * given while the source's lock is busy. What a function reports as written
 * has been fsynced.
 */
#ifndef CS_BACKUP_H
#define CS_BACKUP_H

#include "error.h"
#include "output.h"
#include "store.h"
#include "writer.h"

#include <stdbool.h>
#include <stdint.h>

#define CS_BACKUP_PATH_MAX 4096

struct cs_backup_stats {
	unsigned files;   /* database files in the copy */
	unsigned linked;  /* hard-linked straight into the copy */
	unsigned staged;  /* hard-linked into staging, copied after letting go */
	unsigned copied;  /* copied while held: the mutable files (and tables
			     on a file system without hard links) */
	uint64_t bytes;   /* bytes copied, staged ones included */
	unsigned dropped; /* table files that are not live, left out */
	long held_us;     /* how long the source's lock was held, microseconds */
};

struct cs_backup_copy {
	const char *command;  /* written into the lock file while held */
	double wait_seconds;  /* for the source's lock */
	bool lock;            /* take the source's lock (false: a backup that
				 nobody can be writing, such as a read-only one) */
	bool copy_tables;     /* copy every table, link none (cs-backup --copy):
				 the copy shares no inode with the source */
	/* Called once the lock is let go, before any data is copied (the
	 * tests use it to pause there); may be NULL. */
	void (*released)(void *ctx);
	void *ctx;
	struct cs_backup_stats stats;
};

/* Copies the store at src (DIR/db) into the empty directory dst, which
 * becomes a store: dst/db and an empty dst/lock. Nothing is fsynced while
 * the lock is held: cs_backup_sync_store makes the copy durable after. */
int cs_backup_copy_store(const char *src, const char *dst, struct cs_backup_copy *copy, struct cs_error *err);

/* Removes what LevelDB keeps for itself from the store at dir, which no
 * process has open: LOCK, the info logs, and table files that are not live
 * (what a compaction cut short by a close leaves). */
int cs_backup_tidy_store(const char *dir, struct cs_error *err);

/* fsyncs every file of the store at dir, then dir/db and dir. */
int cs_backup_sync_store(const char *dir, struct cs_error *err);
int cs_backup_sync_dir(const char *dir, struct cs_error *err);

/* Copies one file (created, never replaced), and fsyncs it when sync is
 * set; adds the bytes copied to *bytes when not NULL. */
int cs_backup_copy_file(const char *from, const char *to, uint64_t *bytes, bool sync, struct cs_error *err);

/* Makes a new directory parent/PREFIX<pid>-<host>-XXXXXX (mode 0777 less
 * the umask) and writes its path into out. */
int cs_backup_temp_dir(const char *parent, const char *prefix, char *out, size_t len, struct cs_error *err);
/* Removes the temporary directories named with prefix in parent that were
 * made on this host by processes that are gone; best effort, silent.
 * CS_BACKUP_HIDDEN_ANY as prefix: every .NAME.cs-backup- of any NAME. */
#define CS_BACKUP_HIDDEN_ANY ".*.cs-backup-"
void cs_backup_remove_stale(const char *parent, const char *prefix);
/* Removes path and everything under it (symbolic links are not followed). */
int cs_backup_remove_tree(const char *path, struct cs_error *err);

/* Splits path into its parent directory and its last name (trailing
 * slashes ignored); -1 when either does not fit or path has no name. */
int cs_backup_split_path(const char *path, char *parent, size_t parent_len, char *name, size_t name_len);

/* Renames from to to unless to exists: then *existed is set and the result
 * is CS_EX_CANTCREAT. */
int cs_backup_rename_noreplace(const char *from, const char *to, bool *existed, struct cs_error *err);
/* Swaps the two directories in one step (renameat2 RENAME_EXCHANGE); on a
 * file system that cannot, renames a aside and b into place, which leaves
 * a moment when neither is at a's name (both stay on disk). */
int cs_backup_exchange(const char *a, const char *b, struct cs_error *err);

/* Writes every entry of the held store s to out: the main chain by height,
 * then the fork entries by height (so parents come before children), by
 * hash among equals; each with its body when one is stored. Flushes out
 * whenever it holds a chunk; stops early when the reader went away.
 * *count is the number of entries written. */
int cs_backup_export(struct cs_store *s, struct cs_out *out, const struct cs_print *how, uint64_t *count,
    struct cs_error *err);

#endif
