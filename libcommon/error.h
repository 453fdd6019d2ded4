/*
 * error.h - errors that carry a message and an exit code.
 *
 * Contract: a library function that can fail takes a struct cs_error * as
 * its last argument, returns 0 on success or an enum cs_exit code, and on
 * failure fills the error with that code and a message that names what
 * failed ("cannot open 'x': reason"). The library never prints or exits;
 * main() prints "cs-NAME: message" and exits with the code.
 */
#ifndef CS_ERROR_H
#define CS_ERROR_H

#include <stddef.h>

#define CS_ERROR_MAX 512

struct cs_error {
	int code;
	char message[CS_ERROR_MAX];
};

/* Sets the error (if err is not NULL) and returns code, so that callers
 * can write `return cs_error_set(err, CS_EX_DATAERR, "...")`. */
int cs_error_set(struct cs_error *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Prefixes the existing message with more context ("'file': " + message). */
int cs_error_prefix(struct cs_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

void cs_error_clear(struct cs_error *err);

#endif
