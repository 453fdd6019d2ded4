/*
 * fs.h - the durable file-system steps every writer of a directory shares:
 * a temporary directory beside its final name, fsync of files and
 * directories, a rename that never replaces, an exchange of two
 * directories, a copy and a write that go to the end, and the removal of
 * what a killed process left.
 *
 * A thing appears under its name whole or not at all: it is built in a
 * temporary directory (cs_fs_temp_dir) in the same directory as its name,
 * synced (cs_fs_sync_tree), renamed (cs_fs_rename_noreplace or
 * cs_fs_exchange), and the parent synced (cs_fs_sync_dir). Temporary
 * directories are named PREFIX<pid>-<host>-XXXXXX, so that a later run can
 * remove those whose process is gone (cs_fs_remove_stale).
 *
 * Contract: functions that take a struct cs_error * return 0 or an enum
 * cs_exit code and fill it (err may be NULL where said); they never print
 * or exit. Nothing here blocks but on the disk. What a function reports as
 * synced has been fsynced.
 */
#ifndef CS_FS_H
#define CS_FS_H

#include "error.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CS_FS_PATH_MAX 4096

/* fsyncs a directory (its entries), or a file (its data). */
int cs_fs_sync_dir(const char *dir, struct cs_error *err);
int cs_fs_sync_file(const char *path, struct cs_error *err);
/* fsyncs every regular file and directory under dir, children before
 * their parents, dir last; symbolic links are not followed. */
int cs_fs_sync_tree(const char *dir, struct cs_error *err);

/* Writes all of buf to fd, again after EINTR and short writes: 0, or -1
 * with errno. */
int cs_fs_write_all(int fd, const void *buf, size_t len);
/* Copies one file (created, never replaced), and fsyncs it when sync is
 * set; adds the bytes copied to *bytes when not NULL. */
int cs_fs_copy_file(const char *from, const char *to, uint64_t *bytes, bool sync, struct cs_error *err);

/* Makes a new directory parent/PREFIX<pid>-<host>-XXXXXX (mode 0777 less
 * the umask) and writes its path into out. */
int cs_fs_temp_dir(const char *parent, const char *prefix, char *out, size_t len, struct cs_error *err);
/* Removes the temporary directories named with prefix in parent that were
 * made on this host by processes that are gone; best effort, silent. A
 * prefix ".*REST" stands for every hidden name .NAME followed by REST, of
 * any NAME. */
void cs_fs_remove_stale(const char *parent, const char *prefix);
/* Removes path and everything under it (symbolic links are not followed);
 * err may be NULL. */
int cs_fs_remove_tree(const char *path, struct cs_error *err);

/* Splits path into its parent directory and its last name (trailing
 * slashes ignored); -1 when either does not fit or path has no name. */
int cs_fs_split_path(const char *path, char *parent, size_t parent_len, char *name, size_t name_len);

/* Renames from to to unless to exists: then *existed is set and the result
 * is CS_EX_CANTCREAT. */
int cs_fs_rename_noreplace(const char *from, const char *to, bool *existed, struct cs_error *err);
/* Swaps the two directories in one step (renameat2 RENAME_EXCHANGE); on a
 * file system that cannot, renames a aside and b into place, which leaves
 * a moment when neither is at a's name (both stay on disk). */
int cs_fs_exchange(const char *a, const char *b, struct cs_error *err);

#endif
