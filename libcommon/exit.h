/*
 * exit.h - the one exit table of every cs-* command (cs(7) EXIT STATUS).
 *
 * Library functions return one of these codes (0 for success) and fill a
 * struct cs_error; only main() turns a code into the process's exit status.
 */
#ifndef CS_EXIT_H
#define CS_EXIT_H

#include <errno.h>

/* The code for a failed open: missing (66), not permitted (77), else I/O (74). */
#define CS_EX_FROM_ERRNO(e) \
	((e) == ENOENT ? CS_EX_NOINPUT : (e) == EACCES || (e) == EPERM ? CS_EX_NOPERM : CS_EX_IOERR)

enum cs_exit {
	CS_EX_OK = 0,         /* success */
	CS_EX_NOTFOUND = 1,   /* asked for something the store does not hold */
	CS_EX_USAGE = 64,     /* unknown option, bad option value */
	CS_EX_DATAERR = 65,   /* bad input data */
	CS_EX_NOINPUT = 66,   /* store or input file missing */
	CS_EX_SOFTWARE = 70,  /* internal error */
	CS_EX_CANTCREAT = 73, /* cannot create an output (store, backup, archive) */
	CS_EX_IOERR = 74,     /* I/O error or corrupt store */
	CS_EX_TEMPFAIL = 75,  /* store busy: the lock was not had within --wait */
	CS_EX_NOPERM = 77,    /* not permitted to open the store (EACCES, EPERM) */
};

#endif
