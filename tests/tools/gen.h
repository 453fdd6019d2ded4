/*
 * gen.h - what the test data generators (cs-genchain, cs-genshares) share:
 * their usage errors, bounded number parsing, a seeded random generator
 * and output errors. Header-only: each generator is one program; include
 * it after defining GEN_PROG ("cs-genchain") and a usage(FILE *) function.
 */
#ifndef CS_TOOLS_GEN_H
#define CS_TOOLS_GEN_H

#include "exit.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *stream);

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* "PROG: message", then the usage; returns 64. */
static int
usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs(GEN_PROG ": ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	usage(stderr);
	return CS_EX_USAGE;
}

/* Decimal, no sign, no spaces, within [min, max]. */
static int
parse_uint(const char *text, uint64_t min, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (text[0] < '0' || text[0] > '9')
		return -1;
	errno = 0;
	v = strtoull(text, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

/* splitmix64: small, well mixed, and the same everywhere, so that the
 * output depends only on the seed. */
static uint64_t
next_random(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15u);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
	return z ^ (z >> 31);
}

/* A closed pipe is quiet; any other write error is reported. Returns 74. */
static int
write_error(void)
{
	if (errno != EPIPE)
		fprintf(stderr, GEN_PROG ": cannot write to standard output: %s\n", strerror(errno));
	return CS_EX_IOERR;
}

#endif
