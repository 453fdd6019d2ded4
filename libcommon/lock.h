/*
 * lock.h - the store's single-holder lock: DIR/lock, taken with flock(2).
 *
 * Every command that opens the database holds this lock for as long as the
 * database is open (LevelDB lets one process open it at a time, and fails
 * at once rather than waiting). Acquiring waits up to a bound; on time-out
 * the error (CS_EX_TEMPFAIL) names the holder, found through /proc/locks and
 * the "COMMAND PID EPOCH" line a cs holder writes into the file.
 *
 * cs_lock_acquire may block for up to wait_seconds (it uses SIGALRM while
 * waiting). A struct cs_lock keeps its file open between release and the
 * next acquire; cs_lock_close closes it.
 */
#ifndef CS_LOCK_H
#define CS_LOCK_H

#include "error.h"

#include <stdbool.h>

/* A zeroed struct cs_lock is a closed lock: releasing and closing it do
 * nothing (its fds are only trusted once cs_lock_init has run). */
struct cs_lock {
	bool initialized; /* set by cs_lock_init */
	int fd;
	int want_fd; /* DIR/want: waiters hold it shared while they wait */
	bool held;
	bool read_only;       /* DIR/lock could only be opened for reading:
				 read-only media, or another user's store */
	char path[4096];      /* DIR/lock */
	char want_path[4096]; /* DIR/want */
	const char *command; /* "cs-put": written into the file while held */
};

void cs_lock_init(struct cs_lock *lock, const char *command);
/* Opens (creating if needed) dir/lock and takes it, waiting up to
 * wait_seconds (0: try once). dir/lock and dir/want are never followed as
 * symbolic links. Where they cannot be written (read-only media, another
 * user's store) they are opened for reading, which flock(2) takes as well,
 * and lock->read_only is set: nothing is written into them; a store on
 * read-only media without a lock file is taken without one (nothing can
 * write it). Returns 0, CS_EX_TEMPFAIL (busy), CS_EX_NOPERM (not
 * permitted, or a link there), CS_EX_NOINPUT (no dir) or CS_EX_IOERR. */
int cs_lock_acquire(struct cs_lock *lock, const char *dir, double wait_seconds, struct cs_error *err);
void cs_lock_release(struct cs_lock *lock);
/* Whether another command is waiting for the lock: a waiter holds DIR/want
 * shared while it waits, so a long writer can let go at its next commit
 * instead of on a timer. Cheap: one non-blocking flock(2). */
bool cs_lock_wanted(struct cs_lock *lock);
void cs_lock_close(struct cs_lock *lock);

#endif
