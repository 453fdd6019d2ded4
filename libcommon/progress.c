#include "progress.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* The progress whose line is on the terminal, for cs_warn. */
static struct cs_progress *shown_progress;

static uint64_t
monotonic_ms(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (uint64_t)now.tv_sec * 1000 + (uint64_t)now.tv_nsec / 1000000;
}

static void
write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		buf += n;
		len -= (size_t)n;
	}
}

void
cs_progress_start_on(struct cs_progress *p, const char *prog, const char *unit, int fd, uint64_t (*clock_ms)(void))
{
	struct winsize ws;

	memset(p, 0, sizeof(*p));
	p->fd = fd;
	p->prog = prog;
	p->unit = unit;
	p->clock_ms = clock_ms != NULL ? clock_ms : monotonic_ms;
	p->started_ms = p->shown_ms = p->clock_ms();
	if (fd >= 0 && ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		p->width = ws.ws_col;
}

void
cs_progress_start(struct cs_progress *p, const char *prog, const char *unit, bool quiet)
{
	cs_progress_start_on(p, prog, unit, quiet || !isatty(STDERR_FILENO) ? -1 : STDERR_FILENO, NULL);
}

void
cs_progress_set_total(struct cs_progress *p, uint64_t total)
{
	p->total = total;
	p->before = 0;
}

void
cs_progress_set_inputs(struct cs_progress *p, int count, char *const paths[])
{
	uint64_t total = 0;
	struct stat st;

	for (int i = 0; i < (count > 0 ? count : 1); i++) {
		const char *path = count > 0 ? paths[i] : NULL;
		int rc = path == NULL || strcmp(path, "-") == 0 ? fstat(STDIN_FILENO, &st) : stat(path, &st);

		if (rc != 0 || !S_ISREG(st.st_mode)) {
			total = 0;
			break;
		}
		total += (uint64_t)st.st_size;
	}
	cs_progress_set_total(p, total);
}

void
cs_progress_input_done(struct cs_progress *p, uint64_t bytes)
{
	p->before += bytes;
}

void
cs_progress_restart(struct cs_progress *p, uint64_t total)
{
	p->started_ms = p->clock_ms != NULL ? p->clock_ms() : 0;
	cs_progress_set_total(p, total);
}

bool
cs_progress_due(struct cs_progress *p)
{
	return p->fd >= 0 && p->clock_ms() - p->shown_ms >= CS_PROGRESS_INTERVAL_MS;
}

size_t
cs_progress_format(const struct cs_progress *p, uint64_t now_ms, uint64_t count, uint64_t done, const char *text,
    char *buf, size_t size)
{
	size_t len = 0;
	int n;

	if (size == 0)
		return 0;
	buf[0] = '\0';
	n = snprintf(buf, size, "%s: %s", p->prog, text);
	len = n < 0 ? 0 : (size_t)n < size ? (size_t)n : size - 1;
	if (now_ms > p->started_ms && len < size) {
		n = snprintf(buf + len, size - len, ", %llu%s%s/s",
		    (unsigned long long)((double)count * 1000 / (double)(now_ms - p->started_ms)),
		    p->unit != NULL ? " " : "", p->unit != NULL ? p->unit : "");
		len = n < 0 ? len : len + (size_t)n < size ? len + (size_t)n : size - 1;
	}
	if (p->total > 0 && len < size) {
		uint64_t at = p->before + done;
		unsigned pct = at >= p->total ? 100 : (unsigned)((double)at * 100 / (double)p->total);

		n = snprintf(buf + len, size - len, ", %u%%", pct);
		len = n < 0 ? len : len + (size_t)n < size ? len + (size_t)n : size - 1;
	}
	/* The last column is left empty: a terminal that wraps there would
	 * put the cursor on the next line, out of reach of "\r". */
	if (p->width > 1 && len > p->width - 1) {
		len = p->width - 1;
		buf[len] = '\0';
	}
	return len;
}

bool
cs_progress_update(struct cs_progress *p, uint64_t count, uint64_t done, const char *fmt, ...)
{
	char text[256], line[512];
	uint64_t now;
	size_t len;
	va_list ap;

	if (p->fd < 0)
		return false;
	now = p->clock_ms();
	if (now - p->shown_ms < CS_PROGRESS_INTERVAL_MS)
		return false;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	line[0] = '\r';
	len = 1 + cs_progress_format(p, now, count, done, text, line + 1, sizeof(line) - 1 - 3);
	memcpy(line + len, "\033[K", 3);
	write_all(p->fd, line, len + 3);
	p->shown_ms = now;
	p->shown = true;
	shown_progress = p;
	return true;
}

void
cs_progress_clear(struct cs_progress *p)
{
	if (p->fd < 0 || !p->shown)
		return;
	write_all(p->fd, "\r\033[K", 4);
	p->shown = false;
	if (shown_progress == p)
		shown_progress = NULL;
}

void
cs_progress_finish(struct cs_progress *p)
{
	cs_progress_clear(p);
	p->fd = -1;
}

void
cs_progress_clear_shown(void)
{
	if (shown_progress != NULL)
		cs_progress_clear(shown_progress);
}
