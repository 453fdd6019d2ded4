/*
 * progress.h - the one progress line of a long command on a terminal: a
 * line on standard error rewritten in place ("\r", the text, then "\033[K"
 * to erase what a longer line left), at most ten times a second, erased
 * when the command finishes.
 *
 * "cs-put: 35000 read, 34990 added, tip height 34990, 41250 entries/s, 62%"
 *
 * Contract: cs_progress_start turns it off (every other call does
 * nothing) unless standard error is a terminal and -q was not given, so a
 * cron line or a log never holds a progress line. The struct belongs to
 * the caller; nothing is allocated. The line is cut at the terminal's
 * width, so that it never wraps (a wrapped line cannot be rewritten). A
 * message printed by cs_warn (cli.h) while a line is shown erases the line
 * first; the next update draws it again. Writes are write(2) on the fd,
 * and a failed write is ignored: progress is never worth an error. Nothing
 * blocks but that write. cs_progress_finish must come before the struct
 * goes out of scope (cs_warn keeps a pointer to the one showing a line).
 *
 * How a command uses it:
 *
 *	struct cs_progress progress;
 *
 *	cs_progress_start(&progress, cli.prog, "entries", cli.quiet);
 *	cs_progress_set_total(&progress, expected);    (optional, for a percent)
 *	for (each entry) {
 *		...
 *		cs_progress_update(&progress, done, done, "%llu exported", done);
 *	}
 *	cs_progress_finish(&progress);                 (before the summary)
 *
 * cs_progress_update is cheap when no line is due (one clock read), so it
 * may be called once per entry.
 */
#ifndef CS_PROGRESS_H
#define CS_PROGRESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The least time between two lines, and before the first one: a command
 * that ends sooner shows none. */
#define CS_PROGRESS_INTERVAL_MS 100

struct cs_progress {
	int fd;           /* -1: off */
	const char *prog; /* "cs-put" */
	const char *unit; /* what the rate counts: "entries" gives "N entries/s", NULL "N/s" */
	uint64_t (*clock_ms)(void);
	uint64_t started_ms, shown_ms;
	bool shown;         /* a line is on the terminal now */
	unsigned width;     /* the terminal's columns, 0 when unknown */
	uint64_t total;     /* what done counts up to, 0 when unknown: no percent */
	uint64_t before;    /* done in earlier inputs (cs_progress_input_done) */
};

/* On standard error, when it is a terminal and quiet is false. unit is
 * kept, not copied. */
void cs_progress_start(struct cs_progress *p, const char *prog, const char *unit, bool quiet);
/* On fd whatever it is, with a clock in milliseconds (NULL: the monotonic
 * clock): for tests. */
void cs_progress_start_on(struct cs_progress *p, const char *prog, const char *unit, int fd,
    uint64_t (*clock_ms)(void));
/* What done counts up to, for the percent; 0 for none. */
void cs_progress_set_total(struct cs_progress *p, uint64_t total);
/* The inputs of a command that reads files (NULL or "-" for standard
 * input; count 0: standard input alone): the total becomes the sum of
 * their sizes when each is a regular file, else 0 (a pipe's size is not
 * known). Then done is the byte offset in the current input, and
 * cs_progress_input_done adds each finished input's bytes. */
void cs_progress_set_inputs(struct cs_progress *p, int count, char *const paths[]);
void cs_progress_input_done(struct cs_progress *p, uint64_t bytes);
/* A new stage (cs-check's passes): the rate counts from now, the percent
 * against total. */
void cs_progress_restart(struct cs_progress *p, uint64_t total);
/* Whether a line is due: on, and CS_PROGRESS_INTERVAL_MS since the last
 * one (or the start). */
bool cs_progress_due(struct cs_progress *p);
/* When a line is due, shows "PROG: TEXT, RATE UNIT/s, PCT%": RATE is count
 * a second since the start (left out before any time has passed), PCT is
 * before + done against the total (left out when it is unknown; at most
 * 100). Returns whether it showed one. */
bool cs_progress_update(struct cs_progress *p, uint64_t count, uint64_t done, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Formats the line cs_progress_update would show at now_ms, without "\r"
 * and the erase, into buf; returns its length (cut at the width). */
size_t cs_progress_format(const struct cs_progress *p, uint64_t now_ms, uint64_t count, uint64_t done,
    const char *text, char *buf, size_t size);
/* Erases the line if one is shown; the progress stays on. */
void cs_progress_clear(struct cs_progress *p);
/* Erases the line and turns the progress off: before the summary. */
void cs_progress_finish(struct cs_progress *p);
/* Erases the line of whichever progress shows one: cs_warn calls it
 * before each message. */
void cs_progress_clear_shown(void);

#endif
