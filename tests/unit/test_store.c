/*
 * test_store.c - unit tests of the store's safe states: a zeroed struct
 * cs_store (and struct cs_lock) is a closed one, which cs_store_close may be
 * given any number of times without closing a file descriptor it never
 * opened (a zeroed lock holds fd 0: closing it would close stdin). Prints
 * TAP; exits 1 if any test fails.
 */
#include "lock.h"
#include "store.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "tap.h"

static bool
fd_open(int fd)
{
	return fcntl(fd, F_GETFD) != -1;
}

int
main(void)
{
	struct cs_store s;
	struct cs_lock lock;
	int fd;

	/* fd 0 must be open for the test to mean anything */
	if (!fd_open(0) && (fd = open("/dev/null", O_RDONLY)) != 0)
		return 1;
	memset(&s, 0, sizeof(s));
	cs_store_release(&s);
	cs_store_close(&s);
	check(fd_open(0), "closing a zeroed store leaves fd 0 open");
	cs_store_close(&s);
	check(fd_open(0), "closing it twice leaves fd 0 open");
	check(!cs_store_held(&s), "a zeroed store is not held");

	memset(&lock, 0, sizeof(lock));
	cs_lock_release(&lock);
	cs_lock_close(&lock);
	check(fd_open(0), "closing a zeroed lock leaves fd 0 open");

	cs_lock_init(&lock, "test");
	cs_lock_close(&lock);
	cs_lock_close(&lock);
	check(fd_open(0) && lock.fd == -1, "an initialised lock closed twice closes nothing it did not open");

	printf("1..%u\n", tests_run);
	if (fflush(stdout) != 0 || ferror(stdout))
		return 1;
	return tests_failed == 0 ? 0 : 1;
}
