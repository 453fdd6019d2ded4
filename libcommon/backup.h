/*
 * backup.h - backups of a live store (cs-backup(1)): the file-level copy
 * that holds the store only while its files are listed and linked, and the
 * workflows made of it: a backup to a new name, timestamped backups in a
 * directory with their rotation, the export, and the restore.
 *
 * A set of LevelDB files is consistent when it is listed while no process has
 * the database open: under the store's lock (lock.h), with the database
 * closed. LevelDB's live table files (those its MANIFEST lists: leveldb.h)
 * never change once written, so a copy hard-links them; table files that
 * are not live are left out (LevelDB may give their numbers out again and
 * rewrite them in place); the small mutable files (CURRENT, MANIFEST-*,
 * *.log) are copied; LevelDB's private files (LOCK, the info logs, *.dbtmp)
 * are left out. When the copy is on another file system, the tables are
 * hard-linked into a staging directory inside the source store (same file
 * system) while the lock is held, and copied from there after it is let
 * go: the store is held for O(files), never O(bytes) of tables (the
 * mutable files copied while held are at most LevelDB's write buffer).
 *
 * Every copy is made in a temporary directory beside its final name
 * (fs.h), checked to open as a store, synced, and renamed into place
 * without replacing anything: a backup or a restored store appears whole
 * or not at all, and what a killed run left is removed by the next.
 *
 * Contract: functions return 0 or an enum cs_exit code and fill err; they
 * never print or exit (what a command may report comes back in the job,
 * and through its callbacks). A copy may block for up to the wait given
 * while the source's lock is busy; a restore into an existing store, while
 * that store's lock is. What a function reports as written has been
 * fsynced.
 */
#ifndef CS_BACKUP_H
#define CS_BACKUP_H

#include "error.h"
#include "fs.h"
#include "output.h"
#include "store.h"
#include "writer.h"

#include <stdbool.h>
#include <stdint.h>

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
 * becomes a store: dst/db and an empty dst/lock. Nothing is fsynced:
 * cs_fs_sync_tree makes the copy durable after. */
int cs_backup_copy_store(const char *src, const char *dst, struct cs_backup_copy *copy, struct cs_error *err);

/* Removes what LevelDB keeps for itself from the store at dir, which no
 * process has open: LOCK, the info logs, and table files that are not live
 * (what a compaction cut short by a close leaves). */
int cs_backup_tidy_store(const char *dir, struct cs_error *err);

/* The temporary directories of a backup to DEST are .DEST.cs-backup-*:
 * as a prefix for cs_fs_remove_stale, those of every DEST. */
#define CS_BACKUP_HIDDEN_ANY ".*.cs-backup-"

/*
 * Timestamped backups in a directory (cs-backup --into): each named by its
 * UTC time to the microsecond, 20261122T051950.123456Z, fixed width, so
 * that names sort by age. Only directories of such names are backups to
 * rotate; anything else in the directory is left alone.
 */
#define CS_BACKUP_NAME_LEN 23
bool cs_backup_is_name(const char *s);
/* The name for a new backup in dir at now_us (microseconds since the
 * epoch): that time, or one microsecond after the newest name in dir when
 * the clock is behind it, so that a new backup always sorts last. */
int cs_backup_next_name(const char *dir, int64_t now_us, char out[CS_BACKUP_NAME_LEN + 1], struct cs_error *err);
/* Removes the oldest backups in dir beyond the newest keep (>= 1), each
 * renamed out of the pattern first, so that a crash never leaves half a
 * backup under a backup's name; then syncs dir. Calls removed (when not
 * NULL) with each one's path once it is gone. */
int cs_backup_rotate(const char *dir, uint32_t keep, void (*removed)(void *ctx, const char *path), void *ctx,
    struct cs_error *err);

/* What a workflow is to do, and what it did. */
struct cs_backup_job {
	const char *store;    /* the store's directory */
	const char *command;  /* written into lock files while held */
	double wait_seconds;  /* for a lock */
	bool copy_tables;     /* backups: link no table (cs-backup --copy) */
	/* Called where the store has been let go: before a copy's data is
	 * copied (backups, the export), and before a restore's swap; may be
	 * NULL. */
	void (*paused)(void *ctx);
	/* Called once a backup is in place under its name (job->made) and
	 * synced, before any old one is removed; may be NULL. */
	void (*backed_up)(void *ctx, const struct cs_backup_job *job);
	/* Called with the path of each old backup that --keep removed; may
	 * be NULL. */
	void (*removed)(void *ctx, const char *path);
	/* Called after each entry the export wrote, with how many it wrote
	 * and will write in all (a progress line); may be NULL. */
	void (*exporting)(void *ctx, uint64_t done, uint64_t total);
	void *ctx;
	/* filled in */
	struct cs_backup_stats stats;  /* of the copy */
	char made[CS_FS_PATH_MAX];     /* the backup made, the store restored */
	bool replaced;                 /* the restore replaced a store */
	uint64_t exported;             /* entries written by the export */
};

/* A backup of the store at the new path dest, whose parent must exist. */
int cs_backup_to(struct cs_backup_job *job, const char *dest, struct cs_error *err);
/* A backup inside dir (made when missing) under cs_backup_next_name's
 * name; then, keep > 0, cs_backup_rotate. Another backup taking the same
 * name at the same moment makes this one take the next. */
int cs_backup_into(struct cs_backup_job *job, const char *dir, uint32_t keep, struct cs_error *err);
/* Writes every entry of the store to out (cs_backup_export), from a
 * private copy made inside the store's directory: the store is held for
 * O(files), and the output is one moment of it however slowly it is read.
 * how->opaque is set from the store. */
int cs_backup_export_store(struct cs_backup_job *job, struct cs_out *out, struct cs_print *how,
    struct cs_error *err);
/*
 * Makes the store at job->store from the backup at from. Where the store
 * would go, there may be nothing (the copy is renamed there), an empty
 * directory (exchanged with the copy), or, with force, a store: then only
 * its database is exchanged, under its lock, so that nothing else in its
 * directory is touched (a symbolic link to a store restores into the
 * store it names). Anything else is refused (CS_EX_CANTCREAT), as are the
 * store itself and a backup inside the store it would replace
 * (CS_EX_USAGE). The copy is checked to open as a store and synced before
 * it replaces anything.
 */
int cs_backup_restore(struct cs_backup_job *job, const char *from, bool force, struct cs_error *err);

/* Writes every entry of the held store s to out: the main chain by height
 * (read in height order from the height index), then the fork entries by
 * height (so parents come before children), by hash among equals; each
 * with its body when one is stored. Flushes out whenever it holds a
 * chunk; stops early when the reader went away. *count is the number of
 * entries written; job, when not NULL, is told of each (job->exporting). */
int cs_backup_export(struct cs_store *s, struct cs_out *out, const struct cs_print *how,
    const struct cs_backup_job *job, uint64_t *count,
    struct cs_error *err);

#endif
