#include "lock.h"

#include "exit.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static void
on_alarm(int sig)
{
	(void)sig; /* only interrupts flock(2) */
}

/* Takes the lock, blocking for at most wait_seconds. Returns 0, or the
 * errno of the failure (EWOULDBLOCK on time-out). */
static int
flock_with_timeout(int fd, double wait_seconds)
{
	struct sigaction action, saved_action;
	struct itimerval timer, saved_timer;
	int rc, saved_errno;

	if (flock(fd, LOCK_EX | LOCK_NB) == 0)
		return 0;
	if (errno != EWOULDBLOCK)
		return errno;
	if (wait_seconds <= 0)
		return EWOULDBLOCK;

	memset(&action, 0, sizeof(action));
	action.sa_handler = on_alarm; /* no SA_RESTART: flock returns EINTR */
	sigemptyset(&action.sa_mask);
	sigaction(SIGALRM, &action, &saved_action);
	memset(&timer, 0, sizeof(timer));
	timer.it_value.tv_sec = (time_t)wait_seconds;
	timer.it_value.tv_usec = (suseconds_t)((wait_seconds - (double)(time_t)wait_seconds) * 1e6);
	if (timer.it_value.tv_sec == 0 && timer.it_value.tv_usec == 0)
		timer.it_value.tv_usec = 1;
	setitimer(ITIMER_REAL, &timer, &saved_timer);

	rc = flock(fd, LOCK_EX);
	saved_errno = errno;

	memset(&timer, 0, sizeof(timer));
	setitimer(ITIMER_REAL, &timer, NULL);
	sigaction(SIGALRM, &saved_action, NULL);
	if (rc == 0)
		return 0;
	return saved_errno == EINTR ? EWOULDBLOCK : saved_errno;
}

/* The pid holding a FLOCK on the file (from /proc/locks), or 0. */
static long
lock_holder_pid(int fd)
{
	struct stat st;
	char line[256];
	long pid = 0;
	FILE *f;

	if (fstat(fd, &st) != 0 || (f = fopen("/proc/locks", "re")) == NULL)
		return 0;
	while (pid == 0 && fgets(line, sizeof(line), f) != NULL) {
		unsigned major, minor;
		unsigned long long inode;
		char kind[16], mode[16];
		long p;

		/* "1: FLOCK  ADVISORY  WRITE 4242 fd:01:131 0 EOF"; waiters have "->". */
		if (strstr(line, "->") != NULL)
			continue;
		if (sscanf(line, "%*d: %15s %*s %15s %ld %x:%x:%llu", kind, mode, &p, &major, &minor, &inode) != 6)
			continue;
		if (strcmp(kind, "FLOCK") == 0 && inode == (unsigned long long)st.st_ino &&
		    makedev(major, minor) == st.st_dev)
			pid = p;
	}
	fclose(f);
	return pid;
}

static void
format_time(time_t t, char *out, size_t len)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, len, "%Y-%m-%d %H:%M:%S UTC", &tm);
}

static void
describe_holder(int fd, char *out, size_t len)
{
	char content[256] = "", command[64] = "", comm[64] = "", path[64], when[64];
	long pid = lock_holder_pid(fd), file_pid = 0;
	long long since = 0;
	struct stat st;
	ssize_t n;
	FILE *f;

	n = pread(fd, content, sizeof(content) - 1, 0);
	if (n > 0) {
		content[n] = '\0';
		if (sscanf(content, "%63s %ld %lld", command, &file_pid, &since) != 3)
			file_pid = 0;
	}
	if (pid != 0 && pid == file_pid) {
		format_time((time_t)since, when, sizeof(when));
		snprintf(out, len, "held by %s (pid %ld) since %s", command, pid, when);
		return;
	}
	if (pid == 0) {
		snprintf(out, len, "held by another process");
		return;
	}
	snprintf(path, sizeof(path), "/proc/%ld/comm", pid);
	if ((f = fopen(path, "re")) != NULL) {
		if (fgets(comm, sizeof(comm), f) != NULL)
			comm[strcspn(comm, "\n")] = '\0';
		fclose(f);
	}
	snprintf(path, sizeof(path), "/proc/%ld", pid);
	if (stat(path, &st) == 0) {
		format_time(st.st_mtime, when, sizeof(when));
		snprintf(out, len, "held by %s (pid %ld) since %s", comm[0] ? comm : "a process", pid, when);
	} else {
		snprintf(out, len, "held by %s (pid %ld)", comm[0] ? comm : "a process", pid);
	}
}

/*
 * The store's own files are opened without following a symbolic link
 * (O_NOFOLLOW; with O_CREAT a dangling link creates nothing either): a link
 * planted in the store would have a command create, write or truncate the
 * file it names with the command's privileges. Nor are they opened with
 * O_TRUNC: the holder line is cut with ftruncate(2) on the file checked.
 */
#define STORE_FILE_FLAGS (O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC)
#define STORE_FILE_READ_FLAGS (O_RDONLY | O_NOFOLLOW | O_CLOEXEC)

/* Whether a failed open for writing may be retried for reading: the file
 * system or the file's owner does not let this process write it. (EPERM,
 * an immutable file, stays a refusal.) */
static bool
cannot_write(int e)
{
	return e == EROFS || e == EACCES;
}

/* Opens a store file for writing, else (see cannot_write) for reading. */
static int
open_store_file(const char *path, bool *read_only)
{
	int fd = open(path, STORE_FILE_FLAGS, 0644), saved = errno;

	*read_only = false;
	if (fd < 0 && cannot_write(saved)) {
		if ((fd = open(path, STORE_FILE_READ_FLAGS)) >= 0)
			*read_only = true;
		else
			errno = errno == ENOENT ? saved : errno;
	}
	return fd;
}

static int
open_want(struct cs_lock *lock)
{
	bool read_only;

	if (lock->want_fd < 0)
		lock->want_fd = open_store_file(lock->want_path, &read_only);
	return lock->want_fd >= 0 ? 0 : -1;
}

/* Refuses a store file that is not a regular file of its own: a symbolic
 * link or a file of several hard links (CS_EX_NOPERM), or a directory,
 * FIFO or device (CS_EX_IOERR). fd: the
 * file opened, or -1 to look at path without opening it. */
static int
store_file_check(const char *path, int fd, struct cs_error *err)
{
	struct stat st;

	if (fd >= 0 ? fstat(fd, &st) != 0 : lstat(path, &st) != 0)
		return fd >= 0 ? cs_error_set(err, CS_EX_IOERR, "cannot open '%s': %s", path, strerror(errno)) : 0;
	if (S_ISLNK(st.st_mode))
		return cs_error_set(err, CS_EX_NOPERM, "cannot open '%s': a symbolic link, not followed", path);
	if (!S_ISREG(st.st_mode))
		return cs_error_set(err, CS_EX_IOERR, "cannot open '%s': not a regular file", path);
	/* the holder line is cut with ftruncate(2): only in the store's own
	 * file, never in one a hard link planted here shares */
	if (st.st_nlink > 1)
		return cs_error_set(err, CS_EX_NOPERM, "cannot open '%s': it has %lu hard links, not the store's own",
		    path, (unsigned long)st.st_nlink);
	return 0;
}

bool
cs_lock_wanted(struct cs_lock *lock)
{
	if (open_want(lock) != 0)
		return false;
	if (flock(lock->want_fd, LOCK_EX | LOCK_NB) == 0) {
		flock(lock->want_fd, LOCK_UN);
		return false;
	}
	return errno == EWOULDBLOCK;
}

void
cs_lock_init(struct cs_lock *lock, const char *command)
{
	memset(lock, 0, sizeof(*lock));
	lock->initialized = true;
	lock->fd = -1;
	lock->want_fd = -1;
	lock->command = command;
}

/* Whether the lock file taken is no longer the one at its path: the store
 * directory was replaced while we waited (cs-backup --restore --force swaps
 * it while holding the old store's lock). */
static bool
lock_file_replaced(const struct cs_lock *lock)
{
	struct stat held, now;

	if (fstat(lock->fd, &held) != 0 || stat(lock->path, &now) != 0)
		return true;
	return held.st_ino != now.st_ino || held.st_dev != now.st_dev;
}

int
cs_lock_acquire(struct cs_lock *lock, const char *dir, double wait_seconds, struct cs_error *err)
{
	char holder[256], line[128];
	int rc, tries = 0;

	if (lock->held)
		return 0;
again:
	if (lock->fd < 0) {
		if ((size_t)snprintf(lock->path, sizeof(lock->path), "%s/lock", dir) >= sizeof(lock->path) ||
		    (size_t)snprintf(lock->want_path, sizeof(lock->want_path), "%s/want", dir) >= sizeof(lock->want_path))
			return cs_error_set(err, CS_EX_USAGE, "store path '%s' is too long", dir);
		lock->fd = open_store_file(lock->path, &lock->read_only);
		if (lock->fd < 0 && errno == EROFS) {
			/* read-only media without a lock file: nothing can write it */
			lock->read_only = true;
			lock->held = true;
			return 0;
		}
		if (lock->fd < 0) {
			int saved = errno;

			/* O_NOFOLLOW says ELOOP for a link: name it as one */
			if (saved == ELOOP && (rc = store_file_check(lock->path, -1, err)) != 0)
				return rc;
			return cs_error_set(err, CS_EX_FROM_ERRNO(saved), "cannot open '%s': %s", lock->path,
			    strerror(saved));
		}
		/* DIR/want is opened only when needed, but checked with the lock */
		if ((rc = store_file_check(lock->path, lock->fd, err)) != 0 ||
		    (rc = store_file_check(lock->want_path, -1, err)) != 0) {
			close(lock->fd);
			lock->fd = -1;
			return rc;
		}
	}
	rc = flock(lock->fd, LOCK_EX | LOCK_NB) == 0 ? 0 : errno;
	if (rc == EWOULDBLOCK && wait_seconds > 0) {
		/* Say we wait, so that a long writer lets go at its next commit. */
		if (open_want(lock) == 0)
			flock(lock->want_fd, LOCK_SH);
		rc = flock_with_timeout(lock->fd, wait_seconds);
		if (lock->want_fd >= 0)
			flock(lock->want_fd, LOCK_UN);
	}
	if (rc == 0 && tries++ < 8 && lock_file_replaced(lock)) {
		/* The lock that counts now is the new store's: take that one. */
		flock(lock->fd, LOCK_UN);
		close(lock->fd);
		lock->fd = -1;
		if (lock->want_fd >= 0)
			close(lock->want_fd);
		lock->want_fd = -1;
		goto again;
	}
	if (rc == EWOULDBLOCK) {
		describe_holder(lock->fd, holder, sizeof(holder));
		return cs_error_set(err, CS_EX_TEMPFAIL, "store busy: %s", holder);
	}
	if (rc != 0)
		return cs_error_set(err, CS_EX_FROM_ERRNO(rc), "cannot lock '%s': %s", lock->path, strerror(rc));
	lock->held = true;
	snprintf(line, sizeof(line), "%s %ld %lld\n", lock->command ? lock->command : "cs", (long)getpid(),
	    (long long)time(NULL));
	/* The holder line is advice for "store busy" messages; failing to write
	 * it must not fail the command. */
	if (!lock->read_only && ftruncate(lock->fd, 0) == 0 && pwrite(lock->fd, line, strlen(line), 0) < 0)
		line[0] = '\0';
	return 0;
}

void
cs_lock_release(struct cs_lock *lock)
{
	if (!lock->held)
		return;
	if (!lock->read_only && ftruncate(lock->fd, 0) != 0) {
		/* the holder line is only advice; a stale one is ignored by pid */
	}
	if (lock->fd >= 0)
		flock(lock->fd, LOCK_UN);
	lock->held = false;
}

void
cs_lock_close(struct cs_lock *lock)
{
	if (!lock->initialized)
		return;
	cs_lock_release(lock);
	if (lock->fd >= 0)
		close(lock->fd);
	if (lock->want_fd >= 0)
		close(lock->want_fd);
	lock->fd = -1;
	lock->want_fd = -1;
}
