/*
 * tap.h - the one TAP helper the C unit tests share: check() prints
 * "ok N - what" or "not ok N - what"; main returns tap_status().
 */
#ifndef CS_TAP_H
#define CS_TAP_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>

static unsigned tests_run;
static unsigned tests_failed;

static void check(bool cond, const char *fmt, ...) __attribute__((format(printf, 2, 3), unused));

static void
check(bool cond, const char *fmt, ...)
{
	va_list ap;

	tests_run++;
	if (!cond)
		tests_failed++;
	printf("%s %u - ", cond ? "ok" : "not ok", tests_run);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

#endif
