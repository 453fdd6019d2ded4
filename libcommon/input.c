#include "input.h"

#include "exit.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int
cs_input_open(struct cs_input *in, const char *path, size_t cap, struct cs_error *err)
{
	memset(in, 0, sizeof(in[0]));
	if (path == NULL || strcmp(path, "-") == 0) {
		in->fd = 0;
	} else {
		in->fd = open(path, O_RDONLY | O_CLOEXEC);
		if (in->fd < 0)
			return cs_error_set(err, errno == ENOENT ? CS_EX_NOINPUT : CS_EX_IOERR, "cannot open '%s': %s",
			    path, strerror(errno));
		in->owns_fd = true;
		in->name = path;
	}
	in->buf = malloc(cap);
	if (in->buf == NULL) {
		cs_input_close(in);
		return cs_error_set(err, CS_EX_SOFTWARE, "out of memory");
	}
	in->cap = cap;
	return 0;
}

void
cs_input_close(struct cs_input *in)
{
	if (in->owns_fd && in->fd >= 0)
		close(in->fd);
	in->fd = -1;
	free(in->buf);
	in->buf = NULL;
}

bool
cs_input_ready(struct cs_input *in)
{
	struct pollfd p = { .fd = in->fd, .events = POLLIN };

	if (in->eof)
		return true;
	return poll(&p, 1, 0) > 0;
}

enum cs_fill
cs_input_fill(struct cs_input *in, bool block, struct cs_error *err)
{
	ssize_t n;

	if (in->eof)
		return CS_FILL_EOF;
	if (in->start > 0) {
		memmove(in->buf, in->buf + in->start, in->end - in->start);
		in->base += in->start;
		in->end -= in->start;
		in->start = 0;
	}
	if (in->end == in->cap)
		return CS_FILL_FULL;
	if (!block && !cs_input_ready(in))
		return CS_FILL_WOULD_BLOCK;
	do
		n = read(in->fd, in->buf + in->end, in->cap - in->end);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		cs_error_set(err, CS_EX_IOERR, "cannot read '%s': %s", in->name ? in->name : "standard input",
		    strerror(errno));
		return CS_FILL_ERROR;
	}
	if (n == 0) {
		in->eof = true;
		return CS_FILL_EOF;
	}
	in->end += (size_t)n;
	return CS_FILL_DATA;
}
