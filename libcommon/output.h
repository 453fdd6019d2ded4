/*
 * output.h - buffered standard output that a command flushes only when it
 * does not hold the store (cs(7) "Locking and pipelines": a reader lets go before it blocks
 * writing output it has already computed). It knows no store: writer.h's
 * cs_out_drain lets go of one around cs_out_write_ready.
 *
 * Contract: writes go to memory and never fail (growth failure is recorded
 * and reported by flush). cs_out_flush writes everything out; a closed pipe
 * downstream sets closed and is not an error (the command stops quietly);
 * any other write error is CS_EX_IOERR.
 */
#ifndef CS_OUTPUT_H
#define CS_OUTPUT_H

#include "error.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CS_OUT_CHUNK (1 << 20) /* flush at about this much */

struct cs_out {
	int fd;
	uint8_t *buf;
	size_t len, cap;
	bool closed;   /* the reader went away (EPIPE) */
	bool nomem;
};

void cs_out_init(struct cs_out *out, int fd);
void cs_out_free(struct cs_out *out);
void cs_out_write(struct cs_out *out, const void *data, size_t len);
/* data in lower-case hex digits, two a byte. */
void cs_out_hex(struct cs_out *out, const uint8_t *data, size_t len);
void cs_out_printf(struct cs_out *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Space for n bytes at the end; commit them with cs_out_commit. NULL on
 * allocation failure. */
uint8_t *cs_out_reserve(struct cs_out *out, size_t n);
void cs_out_commit(struct cs_out *out, size_t n);
bool cs_out_full(const struct cs_out *out);
int cs_out_flush(struct cs_out *out, struct cs_error *err);
/* Writes what a reader takes without waiting, and keeps the rest; true
 * when a write of the rest could wait for the reader (a pipe, socket or
 * terminal, not a regular file or /dev/null). */
bool cs_out_write_ready(struct cs_out *out);
/* Flushes and closes: the last word on stdout before exit. */
int cs_out_finish(struct cs_out *out, struct cs_error *err);

#endif
