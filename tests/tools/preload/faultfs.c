/*
 * faultfs.so - an LD_PRELOAD shim that makes a disk look full (or broken)
 * to a program, for tests/disk-full.bats where a small tmpfs cannot be
 * mounted (not root, or a container without CAP_SYS_ADMIN), and to fail
 * fsync, which no real file system does on demand.
 *
 * Only files whose path starts with FAULTFS_PATH are touched:
 *   FAULTFS_PATH    a directory, absolute; unset: the shim does nothing
 *   FAULTFS_SUFFIX  only files whose name ends so (".log": LevelDB's
 *                   write-ahead log, so that the failure is a commit's);
 *                   default any file under FAULTFS_PATH
 *   FAULTFS_BYTES   how many bytes this process may still write to them
 *                   (default 0); a write past that writes what fits, as a
 *                   full disk does, and the next fails with ENOSPC
 *   FAULTFS_FSYNC   "eio": fsync and fdatasync of them fail with EIO, and
 *                   writes are left alone
 *
 * write, pwrite and writev are wrapped (LevelDB 1.23 writes with write(2)
 * and syncs with fdatasync(2)); stdio's internal writes are not, which is
 * what is wanted: stderr is never under FAULTFS_PATH anyway.
 */
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

ssize_t write(int fd, const void *buf, size_t count);
ssize_t pwrite(int fd, const void *buf, size_t count, off_t offset);
ssize_t writev(int fd, const struct iovec *iov, int iovcnt);
int fsync(int fd);
int fdatasync(int fd);

static bool ready, active, fail_sync;
static char prefix[PATH_MAX];
static const char *suffix;
static long long budget; /* bytes left; shared by threads, updated atomically */

static void
init(void)
{
	const char *path = getenv("FAULTFS_PATH"), *bytes = getenv("FAULTFS_BYTES"),
		   *sync = getenv("FAULTFS_FSYNC");

	if (ready)
		return;
	if (path != NULL && path[0] == '/' && realpath(path, prefix) != NULL) {
		active = true;
		suffix = getenv("FAULTFS_SUFFIX");
		budget = bytes != NULL ? atoll(bytes) : 0;
		fail_sync = sync != NULL && strcmp(sync, "eio") == 0;
	}
	ready = true;
}

/* Whether fd is a file the shim fails. */
static bool
targeted(int fd)
{
	char link[64], path[PATH_MAX];
	size_t plen, slen;
	ssize_t n;

	init();
	if (!active)
		return false;
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	if ((n = readlink(link, path, sizeof(path) - 1)) < 0)
		return false;
	path[n] = '\0';
	plen = strlen(prefix);
	if (strncmp(path, prefix, plen) != 0 || (path[plen] != '/' && path[plen] != '\0'))
		return false;
	if (suffix != NULL && suffix[0] != '\0') {
		slen = strlen(suffix);
		if ((size_t)n < slen || strcmp(path + n - slen, suffix) != 0)
			return false;
	}
	return true;
}

/* How much of count may be written: all of it, part, or none (-1, errno
 * ENOSPC). */
static ssize_t
allowance(int fd, size_t count)
{
	long long left, take;

	if (fail_sync || !targeted(fd))
		return (ssize_t)count;
	do {
		left = __atomic_load_n(&budget, __ATOMIC_SEQ_CST);
		if (left <= 0) {
			errno = ENOSPC;
			return -1;
		}
		take = (long long)count < left ? (long long)count : left;
	} while (!__atomic_compare_exchange_n(&budget, &left, left - take, false, __ATOMIC_SEQ_CST,
	    __ATOMIC_SEQ_CST));
	return (ssize_t)take;
}

#define NEXT(name) ((__typeof__(&name))dlsym(RTLD_NEXT, #name))

ssize_t
write(int fd, const void *buf, size_t count)
{
	ssize_t n = count > 0 ? allowance(fd, count) : 0;

	if (n < 0)
		return -1;
	return NEXT(write)(fd, buf, (size_t)n);
}

ssize_t
pwrite(int fd, const void *buf, size_t count, off_t offset)
{
	ssize_t n = count > 0 ? allowance(fd, count) : 0;

	if (n < 0)
		return -1;
	return NEXT(pwrite)(fd, buf, (size_t)n, offset);
}

ssize_t
writev(int fd, const struct iovec *iov, int iovcnt)
{
	size_t total = 0;
	ssize_t n;

	for (int i = 0; i < iovcnt; i++)
		total += iov[i].iov_len;
	n = total > 0 ? allowance(fd, total) : 0;
	if (n < 0)
		return -1;
	if ((size_t)n < total) {
		/* Part of the vector fits: write that part alone. */
		ssize_t done = 0;

		for (int i = 0; i < iovcnt && done < n; i++) {
			size_t len = iov[i].iov_len;
			ssize_t w;

			if ((size_t)(n - done) < len)
				len = (size_t)(n - done);
			if ((w = NEXT(write)(fd, iov[i].iov_base, len)) < 0)
				return done > 0 ? done : -1;
			done += w;
		}
		return done;
	}
	return NEXT(writev)(fd, iov, iovcnt);
}

int
fsync(int fd)
{
	if (targeted(fd) && fail_sync) {
		errno = EIO;
		return -1;
	}
	return NEXT(fsync)(fd);
}

int
fdatasync(int fd)
{
	if (targeted(fd) && fail_sync) {
		errno = EIO;
		return -1;
	}
	return NEXT(fdatasync)(fd);
}
