#include "output.h"

#include "grow.h"
#include "hex.h"

#include "exit.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* How long a drain waits for a reader to make room before it lets go of
 * the store (writer.h's cs_out_drain). */
#define DRAIN_WAIT_MS 10

void
cs_out_init(struct cs_out *out, int fd)
{
	memset(out, 0, sizeof(*out));
	out->fd = fd;
}

void
cs_out_free(struct cs_out *out)
{
	free(out->buf);
	out->buf = NULL;
	out->len = out->cap = 0;
}

uint8_t *
cs_out_reserve(struct cs_out *out, size_t n)
{
	uint8_t *grown = out->len + n < out->len ? NULL : cs_grow(out->buf, &out->cap, out->len + n, 64 * 1024, 1);

	if (grown == NULL) {
		out->nomem = true;
		return NULL;
	}
	out->buf = grown;
	return out->buf + out->len;
}

void
cs_out_commit(struct cs_out *out, size_t n)
{
	out->len += n;
}

void
cs_out_write(struct cs_out *out, const void *data, size_t len)
{
	uint8_t *p = cs_out_reserve(out, len);

	if (p != NULL) {
		memcpy(p, data, len);
		out->len += len;
	}
}

void
cs_out_printf(struct cs_out *out, const char *fmt, ...)
{
	va_list ap;
	int n;
	uint8_t *p;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || (p = cs_out_reserve(out, (size_t)n + 1)) == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf((char *)p, (size_t)n + 1, fmt, ap);
	va_end(ap);
	out->len += (size_t)n;
}

bool
cs_out_full(const struct cs_out *out)
{
	return out->len >= CS_OUT_CHUNK;
}

int
cs_out_flush(struct cs_out *out, struct cs_error *err)
{
	size_t done = 0;

	if (out->nomem)
		return cs_error_set(err, CS_EX_SOFTWARE, "out of memory for output");
	while (!out->closed && done < out->len) {
		ssize_t n = write(out->fd, out->buf + done, out->len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EPIPE) {
			out->closed = true;
			break;
		}
		if (n < 0) {
			out->len = 0;
			return cs_error_set(err, CS_EX_IOERR, "cannot write standard output: %s", strerror(errno));
		}
		done += (size_t)n;
	}
	out->len = 0;
	return 0;
}

/* Whether a write to fd can wait for a reader: a pipe, socket or terminal
 * can; a regular file or a device such as /dev/null does not. */
static bool
may_wait_for_reader(int fd)
{
	struct stat st;

	if (fstat(fd, &st) != 0)
		return true;
	return !(S_ISREG(st.st_mode) || (S_ISCHR(st.st_mode) && !isatty(fd)));
}

/* Writes, PIPE_BUF bytes at a time (a pipe that polls writable takes them
 * without blocking), what the reader makes room for within DRAIN_WAIT_MS
 * each time; keeps the rest. Errors are left for cs_out_flush to report. */
static void
write_while_ready(struct cs_out *out)
{
	struct pollfd p = { .fd = out->fd, .events = POLLOUT };
	size_t done = 0;

	while (done < out->len && poll(&p, 1, DRAIN_WAIT_MS) == 1 && (p.revents & POLLOUT)) {
		size_t n = out->len - done < PIPE_BUF ? out->len - done : PIPE_BUF;
		ssize_t w = write(out->fd, out->buf + done, n);

		if (w <= 0)
			break;
		done += (size_t)w;
	}
	if (done == 0)
		return; /* nothing written (the buffer may not even exist yet) */
	memmove(out->buf, out->buf + done, out->len - done);
	out->len -= done;
}

bool
cs_out_write_ready(struct cs_out *out)
{
	if (!may_wait_for_reader(out->fd))
		return false;
	if (!out->nomem)
		write_while_ready(out);
	return out->len > 0;
}

int
cs_out_finish(struct cs_out *out, struct cs_error *err)
{
	int rc = cs_out_flush(out, err);

	cs_out_free(out);
	return rc;
}

void
cs_out_hex(struct cs_out *out, const uint8_t *data, size_t len)
{
	uint8_t *p = cs_out_reserve(out, 2 * len + 1);

	if (p == NULL)
		return;
	cs_hex_encode(data, len, (char *)p);
	cs_out_commit(out, 2 * len);
}
