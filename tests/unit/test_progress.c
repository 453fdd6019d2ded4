/*
 * test_progress.c - unit tests of the progress line (progress.h) on a pipe
 * with a clock the test moves: at most one line per 100 ms, the line's
 * text (rate, percent, cut at the width), the erase, and off when told
 * or when standard error is not a terminal. Prints TAP; exits 1 if any
 * test fails.
 */
#include "progress.h"

#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tap.h"

static uint64_t now_ms;

static uint64_t
fake_clock(void)
{
	return now_ms;
}

/* What was written to the pipe since the last call. */
static const char *
drain(int fd)
{
	static char buf[4096];
	ssize_t n = read(fd, buf, sizeof(buf) - 1);

	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

static bool
same(const char *got, const char *want)
{
	if (strcmp(got, want) == 0)
		return true;
	printf("# got  '");
	for (const char *c = got; *c != '\0'; c++)
		printf(*c == '\r' ? "\\r" : *c == '\033' ? "\\e" : "%c", *c);
	printf("'\n# want '");
	for (const char *c = want; *c != '\0'; c++)
		printf(*c == '\r' ? "\\r" : *c == '\033' ? "\\e" : "%c", *c);
	printf("'\n");
	return false;
}

/* A file of size bytes; its path in path. */
static void
file_of(char *path, size_t size)
{
	int fd = mkstemp(path);
	char *zeros = calloc(1, size);

	if (fd < 0 || zeros == NULL || write(fd, zeros, size) != (ssize_t)size)
		abort();
	close(fd);
	free(zeros);
}

int
main(void)
{
	struct cs_progress p;
	char line[128], a[] = "/tmp/test_progress.XXXXXX", b[] = "/tmp/test_progress.XXXXXX", fifo[64];
	int fds[2], saved_stderr;

	if (pipe(fds) != 0 || fcntl(fds[0], F_SETFL, O_NONBLOCK) != 0)
		return 2;

	/* the rate limit */
	now_ms = 5000;
	cs_progress_start_on(&p, "cs-test", "entries", fds[1], fake_clock);
	check(!cs_progress_due(&p), "no line due at the start");
	check(!cs_progress_update(&p, 1, 0, "%d read", 1) && same(drain(fds[0]), ""), "none at once");
	now_ms = 5099;
	check(!cs_progress_update(&p, 9, 0, "%d read", 9) && same(drain(fds[0]), ""), "none after 99 ms");
	now_ms = 5100;
	check(cs_progress_due(&p), "due after 100 ms");
	check(cs_progress_update(&p, 10, 0, "%d read", 10), "shown after 100 ms");
	check(same(drain(fds[0]), "\rcs-test: 10 read, 100 entries/s\033[K"), "\\r, the text, the rate, erase to the end");
	now_ms = 5150;
	check(!cs_progress_due(&p) && !cs_progress_update(&p, 20, 0, "x") && same(drain(fds[0]), ""),
	    "none 50 ms after a line");
	now_ms = 5200;
	check(cs_progress_update(&p, 30, 0, "%d read", 30) && same(drain(fds[0]), "\rcs-test: 30 read, 150 entries/s\033[K"),
	    "the next 100 ms after the last; the rate since the start");
	/* ten lines a second at most, however often it is called */
	{
		int lines = 0;

		for (now_ms = 6000; now_ms < 7000; now_ms++)
			lines += cs_progress_update(&p, 1, 0, "x");
		drain(fds[0]);
		check(lines == 10, "10 lines in a second of calls every millisecond (%d)", lines);
	}

	/* the percent */
	cs_progress_start_on(&p, "cs-test", NULL, fds[1], fake_clock);
	cs_progress_set_total(&p, 200);
	check(cs_progress_format(&p, now_ms, 0, 50, "t", line, sizeof(line)) == strlen("cs-test: t, 25%") &&
	        same(line, "cs-test: t, 25%"),
	    "no rate before any time has passed; the percent of the total; no unit: N/s");
	check(cs_progress_format(&p, now_ms + 500, 7, 50, "t", line, sizeof(line)) > 0 &&
	        same(line, "cs-test: t, 14/s, 25%"),
	    "a rate without a unit");
	cs_progress_format(&p, now_ms, 0, 250, "t", line, sizeof(line));
	check(same(line, "cs-test: t, 100%"), "done above the total is 100%%");
	cs_progress_set_total(&p, 0);
	cs_progress_format(&p, now_ms, 0, 250, "t", line, sizeof(line));
	check(same(line, "cs-test: t"), "no total, no percent");

	/* inputs: regular files' sizes add up; a pipe's is not known */
	file_of(a, 300);
	file_of(b, 100);
	{
		char *both[] = { a, b };
		char *with_pipe[] = { a, fifo };

		cs_progress_set_inputs(&p, 2, both);
		check(p.total == 400, "two files: 400 bytes (%llu)", (unsigned long long)p.total);
		cs_progress_input_done(&p, 300);
		cs_progress_format(&p, now_ms, 0, 50, "t", line, sizeof(line));
		check(same(line, "cs-test: t, 87%"), "the second file's offset after the first one's bytes");
		snprintf(fifo, sizeof(fifo), "/proc/self/fd/%d", fds[0]);
		cs_progress_set_inputs(&p, 2, with_pipe);
		check(p.total == 0, "a pipe among the inputs: no total");
	}
	unlink(a);
	unlink(b);

	/* the width: the last column stays empty */
	p.width = 20;
	check(cs_progress_format(&p, now_ms, 0, 0, "a long line of text", line, sizeof(line)) == 19 &&
	        same(line, "cs-test: a long lin"),
	    "cut at the width less one");
	p.width = 0;

	/* the erase */
	cs_progress_start_on(&p, "cs-test", "entries", fds[1], fake_clock);
	cs_progress_clear(&p);
	check(same(drain(fds[0]), ""), "nothing to erase before a line");
	now_ms += 100;
	cs_progress_update(&p, 0, 0, "x");
	drain(fds[0]);
	cs_progress_clear_shown();
	check(same(drain(fds[0]), "\r\033[K"), "a message's cs_progress_clear_shown erases the line");
	cs_progress_clear_shown();
	check(same(drain(fds[0]), ""), "once");
	now_ms += 100;
	cs_progress_update(&p, 0, 0, "x");
	drain(fds[0]);
	cs_progress_finish(&p);
	check(same(drain(fds[0]), "\r\033[K"), "finish erases the line");
	now_ms += 1000;
	check(!cs_progress_due(&p) && !cs_progress_update(&p, 0, 0, "x") && same(drain(fds[0]), ""),
	    "and turns it off");

	/* off unless standard error is a terminal, and with -q */
	saved_stderr = dup(2);
	dup2(fds[1], 2);
	cs_progress_start(&p, "cs-test", "entries", false);
	check(p.fd == -1, "off when standard error is a pipe");
	dup2(saved_stderr, 2);
	close(saved_stderr);
	cs_progress_start(&p, "cs-test", "entries", true);
	check(p.fd == -1, "off with -q");

	printf("1..%u\n", tests_run);
	return tests_failed > 0;
}
