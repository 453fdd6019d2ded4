/*
 * input.h - a buffered input stream (a file or stdin) that knows its byte
 * offset and can tell "no data yet" from "end of input".
 *
 * The buffer is allocated once, at its cap; an item must fit in it whole.
 * Data returned by cs_input_data stays valid until the next fill.
 */
#ifndef CS_INPUT_H
#define CS_INPUT_H

#include "error.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cs_input {
	int fd;
	bool owns_fd;
	const char *name; /* NULL for standard input */
	uint8_t *buf;
	size_t cap, start, end;
	uint64_t base; /* stream offset of buf[0] */
	bool eof;
};

enum cs_fill { CS_FILL_DATA, CS_FILL_EOF, CS_FILL_WOULD_BLOCK, CS_FILL_FULL, CS_FILL_ERROR };

/* path NULL or "-" means standard input. CS_EX_NOINPUT when missing. */
int cs_input_open(struct cs_input *in, const char *path, size_t cap, struct cs_error *err);
void cs_input_close(struct cs_input *in);
/* Reads more. When block is false and no byte is ready, returns
 * CS_FILL_WOULD_BLOCK without reading. FULL: the buffer holds cap bytes of
 * one unfinished item. */
enum cs_fill cs_input_fill(struct cs_input *in, bool block, struct cs_error *err);
/* Whether a read now would return at once (data or end of input). */
bool cs_input_ready(struct cs_input *in);

static inline const uint8_t *
cs_input_data(const struct cs_input *in)
{
	return in->buf + in->start;
}

static inline size_t
cs_input_avail(const struct cs_input *in)
{
	return in->end - in->start;
}

static inline uint64_t
cs_input_offset(const struct cs_input *in)
{
	return in->base + in->start;
}

static inline void
cs_input_consume(struct cs_input *in, size_t n)
{
	in->start += n;
}

#endif
