/*
 * cli.h - what every command's main() shares: the common options of cs(7) "Common options"
 * (-s -w -q -v -h -V, -f), bounded number parsing, and messages to stderr in
 * the form "cs-put: message". Only main() calls the printing functions.
 */
#ifndef CS_CLI_H
#define CS_CLI_H

#include "error.h"
#include "format.h"

#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>

#define CS_WAIT_DEFAULT 10.0

/* Long options every command takes; end a command's table with these. */
#define CS_COMMON_LONG_OPTIONS                                                                               \
	{ "store", required_argument, NULL, 's' }, { "wait", required_argument, NULL, 'w' },                  \
	    { "quiet", no_argument, NULL, 'q' }, { "verbose", no_argument, NULL, 'v' },                       \
	    { "help", no_argument, NULL, 'h' }, { "version", no_argument, NULL, 'V' }, { NULL, 0, NULL, 0 }
#define CS_COMMON_SHORT_OPTIONS "s:w:qvhV"

struct cs_cli {
	const char *prog;
	const char *store;
	double wait;
	bool quiet;
	int verbose;
	bool format_set;
	enum cs_format format;
	unsigned formats; /* what -f accepts */
	const char *usage;
	const char *options; /* the command's own option lines, for -h */
};

/* prog: "cs-put"; usage: the SYNOPSIS lines without "usage: ". */
/* "cs-NAME: out of memory" on stderr, and exit 70 (CS_EX_SOFTWARE): what
 * main() does when an allocation of its own fails, as LevelDB's do. */
void cs_cli_out_of_memory(void) __attribute__((noreturn));
void cs_cli_init(struct cs_cli *cli, const char *prog, const char *usage, unsigned formats);
/* -h prints the usage, then these option lines (one "  -x, --long ARG  what"
 * a line), then the common options: bash-completion's _parse_help reads them. */
void cs_cli_set_options(struct cs_cli *cli, const char *options);
/* Handles a common option (and -f). Returns 1 when handled, 0 when the
 * option is the command's own, or exits: -h and -V exit 0, a bad value or
 * unknown option prints usage and exits 64. */
int cs_cli_option(struct cs_cli *cli, int opt, const char *arg);
/* getopt_long(3) without its own messages: an unknown option, a missing
 * or unwanted argument print "cs-put: unknown option '--bogus'" and the
 * usage and exit 64. Returns the option, or -1 at the end. */
int cs_cli_getopt(struct cs_cli *cli, int argc, char *const argv[], const char *shortopts,
    const struct option *longopts);
/* Prints the usage and exits 64 ("cs-put: message" first when given). */
void cs_cli_usage_error(const struct cs_cli *cli, const char *fmt, ...) __attribute__((format(printf, 2, 3), noreturn));
/* The output format: -f, else $CS_FORMAT when the command accepts it,
 * else text on a terminal, else CBOR. */
enum cs_format cs_cli_output_format(const struct cs_cli *cli);
/* The same for a command whose options narrow what it can print: -f, else
 * $CS_FORMAT when it names one of printable, else fallback. A CS_FORMAT
 * that names no output format is ignored, with a warning (once). */
enum cs_format cs_cli_output_format_of(const struct cs_cli *cli, unsigned printable, enum cs_format fallback);

int cs_parse_u32(const char *text, uint32_t *out);
int cs_parse_u64(const char *text, uint64_t *out);
int cs_parse_seconds(const char *text, double *out);

/* "cs-put: message" on stderr. */
void cs_warn(const struct cs_cli *cli, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Prints err's message and returns its code, for `return cs_fail(...)`. */
int cs_fail(const struct cs_cli *cli, const struct cs_error *err);

/*
 * Writers that stop cleanly: SIGINT (Ctrl-C) and SIGTERM only set a flag,
 * which the command reads between commits (cs_cli_interrupted), says what
 * it committed, and ends with cs_cli_exit_interrupted: status 130 or 143.
 * A signal the command was started with ignored stays ignored; a second
 * one kills at once (the default action, as safe: commits are atomic).
 * Reads and writes already under way are finished, not cut short.
 */
void cs_cli_catch_interrupts(void);
/* The signal caught (SIGINT, SIGTERM), or 0. */
int cs_cli_interrupted(void);
/* Waits until fd has input (or its end) or a signal is caught: 0, or -1
 * once interrupted. */
int cs_cli_wait_input(int fd);
/* Ends the process by the signal caught, after flushing stdout: a shell
 * sees 128 + its number, and a script running the command stops too. */
void cs_cli_exit_interrupted(void) __attribute__((noreturn));

#endif
