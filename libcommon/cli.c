#include "cli.h"

#include "exit.h"
#include "progress.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* "cs-put: message" on stderr. */
static void vwarn(const struct cs_cli *cli, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

static void
vwarn(const struct cs_cli *cli, const char *fmt, va_list ap)
{
	cs_progress_clear_shown();
	fprintf(stderr, "%s: ", cli->prog);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

/* LevelDB is C++: when its operator new fails it throws std::bad_alloc,
 * and when it cannot start its background thread std::system_error; nothing
 * catches them through the C API, and the process aborts (134) with a
 * message that names no command. The C++ runtime calls a new-handler
 * first, and a terminate handler for what is not caught: ours say so and
 * exit 70. Whatever was committed stays (each commit is one write batch;
 * LevelDB drops a log record cut short). The C++ functions are reached by
 * their symbols, std::set_new_handler and std::set_terminate. */
typedef void (*handler_fn)(void);
extern handler_fn cs_set_new_handler(handler_fn handler) __asm__("_ZSt15set_new_handlerPFvvE");
extern handler_fn cs_set_terminate(handler_fn handler) __asm__("_ZSt13set_terminatePFvvE");

static char oom_message[64], terminate_message[128];

static void __attribute__((noreturn))
say_and_exit(const char *message)
{
	ssize_t n = write(STDERR_FILENO, message, strlen(message));

	(void)n;
	_exit(CS_EX_SOFTWARE);
}

void
cs_cli_out_of_memory(void)
{
	say_and_exit(oom_message);
}

static void
terminated(void)
{
	say_and_exit(terminate_message);
}

/*
 * A command started with fd 0, 1 or 2 closed would hand that number to the
 * next file it opens (the store's lock, a LevelDB file, an archive), and
 * its records or messages would land there. Each closed one gets
 * /dev/null, opened the other way round (0 for writing, 1 and 2 for
 * reading), so that using it still fails with EBADF as a closed one does.
 */
static void
keep_standard_fds(const char *prog)
{
	for (int fd = 0; fd <= 2; fd++) {
		int null;

		if (fcntl(fd, F_GETFD) != -1 || errno != EBADF)
			continue;
		null = open("/dev/null", fd == 0 ? O_WRONLY : O_RDONLY);
		if (null < 0) {
			/* nothing safe to run on */
			fprintf(stderr, "%s: cannot open '/dev/null': %s\n", prog, strerror(errno));
			exit(CS_EX_SOFTWARE);
		}
		if (null != fd) {
			dup2(null, fd);
			close(null);
		}
	}
}

void
cs_cli_init(struct cs_cli *cli, const char *prog, const char *usage, unsigned formats)
{
	const char *env;

	keep_standard_fds(prog);
	env = getenv("CS_WAIT");
	/* A closed pipe downstream shows as EPIPE, and output stops quietly. */
	signal(SIGPIPE, SIG_IGN);
	snprintf(oom_message, sizeof(oom_message), "%s: out of memory\n", prog);
	snprintf(terminate_message, sizeof(terminate_message),
	    "%s: LevelDB failed: out of memory, or a thread could not be started\n", prog);
	cs_set_new_handler(cs_cli_out_of_memory);
	cs_set_terminate(terminated);
	memset(cli, 0, sizeof(*cli));
	cli->prog = prog;
	cli->usage = usage;
	cli->formats = formats;
	cli->wait = CS_WAIT_DEFAULT;
	if (env != NULL && env[0] != '\0' && cs_parse_seconds(env, &cli->wait) != 0) {
		cs_warn(cli, "ignoring CS_WAIT '%s': not a number of seconds", env);
		cli->wait = CS_WAIT_DEFAULT;
	}
}

static void
print_usage(const struct cs_cli *cli, FILE *f)
{
	const char *line = cli->usage, *nl;
	bool first = true;

	/* One SYNOPSIS line per usage line, as the man page has them. */
	while (*line != '\0') {
		nl = strchr(line, '\n');
		fprintf(f, "%s %s %.*s\n", first ? "usage:" : "      ", cli->prog,
		    (int)(nl ? (size_t)(nl - line) : strlen(line)), line);
		first = false;
		if (nl == NULL)
			break;
		line = nl + 1;
	}
}

void
cs_cli_usage_error(const struct cs_cli *cli, const char *fmt, ...)
{
	if (fmt != NULL) {
		va_list ap;

		va_start(ap, fmt);
		vwarn(cli, fmt, ap);
		va_end(ap);
	}
	print_usage(cli, stderr);
	exit(CS_EX_USAGE);
}

void
cs_cli_set_options(struct cs_cli *cli, const char *options)
{
	cli->options = options;
}

/* The end of -h and -V: standard output flushed and checked, as for
 * records: a write error (a full disk) is 74 with a message; a pipe closed
 * downstream is quiet. */
static void __attribute__((noreturn))
exit_after_printing(const struct cs_cli *cli)
{
	int failed = fflush(stdout) != 0 || ferror(stdout);
	int saved = errno;

	if (!failed || saved == EPIPE)
		exit(0);
	cs_warn(cli, "cannot write standard output: %s", strerror(saved));
	exit(CS_EX_IOERR);
}

static const char common_options[] =
    "  -s, --store DIR       the store (default $CS_STORE, else ./chainstore)\n"
    "  -w, --wait SECONDS    wait this long for a busy store (default 10, $CS_WAIT)\n"
    "  -q, --quiet           no summary on standard error\n"
    "  -v, --verbose         say more\n"
    "  -h, --help            this help\n"
    "  -V, --version         the version\n";

int
cs_cli_option(struct cs_cli *cli, int opt, const char *arg)
{
	switch (opt) {
	case 'f':
		if (cli->formats == 0 || cs_format_parse(arg, cli->formats, &cli->format) != 0)
			cs_cli_usage_error(cli, "unknown format '%s'", arg);
		cli->format_set = true;
		return 1;
	case 'h':
		print_usage(cli, stdout);
		printf("\noptions:\n%s%s", cli->options ? cli->options : "", common_options);
		exit_after_printing(cli);
	case 'q':
		cli->quiet = true;
		return 1;
	case 's':
		cli->store = arg;
		return 1;
	case 'V':
		printf("%s %s\n", cli->prog, CS_VERSION);
		exit_after_printing(cli);
	case 'v':
		cli->verbose++;
		return 1;
	case 'w':
		if (cs_parse_seconds(arg, &cli->wait) != 0)
			cs_cli_usage_error(cli, "bad wait '%s': not a number of seconds", arg);
		return 1;
	case '?':
	case ':':
		cs_cli_usage_error(cli, NULL);
	default:
		return 0;
	}
}

/* What was wrong with argv[optind - 1], a long option ("--name" or
 * "--name=value") that getopt_long refused. */
static void
long_option_error(const struct cs_cli *cli, const char *word, const struct option *longopts, int opt)
{
	size_t len = strcspn(word + 2, "=");
	int matches = 0;
	const struct option *o, *exact = NULL;

	for (o = longopts; o != NULL && o->name != NULL; o++) {
		if (strncmp(o->name, word + 2, len) != 0)
			continue;
		matches++;
		if (strlen(o->name) == len)
			exact = o;
	}
	if (opt == ':')
		cs_cli_usage_error(cli, "option '--%.*s' requires an argument", (int)len, word + 2);
	if (exact != NULL || matches == 1)
		cs_cli_usage_error(cli, "option '--%.*s' takes no argument", (int)len, word + 2);
	if (matches > 1)
		cs_cli_usage_error(cli, "option '--%.*s' is ambiguous", (int)len, word + 2);
	cs_cli_usage_error(cli, "unknown option '--%.*s'", (int)len, word + 2);
}

int
cs_cli_getopt(struct cs_cli *cli, int argc, char *const argv[], const char *shortopts,
    const struct option *longopts)
{
	char spec[64];
	const char *word;
	int opt;

	/* getopt's own messages would name argv[0], a whole path: ours name
	 * the command, as every other message does. */
	opterr = 0;
	snprintf(spec, sizeof(spec), ":%s", shortopts);
	opt = getopt_long(argc, argv, spec, longopts, NULL);
	if (opt != '?' && opt != ':')
		return opt;
	word = optind > 0 && optind <= argc ? argv[optind - 1] : "";
	if (strncmp(word, "--", 2) == 0 && word[2] != '\0')
		long_option_error(cli, word, longopts, opt);
	if (opt == ':')
		cs_cli_usage_error(cli, "option '-%c' requires an argument", optopt);
	if (optopt > ' ' && optopt < 127)
		cs_cli_usage_error(cli, "unknown option '-%c'", optopt);
	cs_cli_usage_error(cli, "unknown option");
}

enum cs_format
cs_cli_output_format_of(const struct cs_cli *cli, unsigned printable, enum cs_format fallback)
{
	static bool warned;
	const char *env = getenv("CS_FORMAT");
	enum cs_format format;

	if (cli->format_set)
		return cli->format;
	if (env == NULL || env[0] == '\0')
		return fallback;
	/* A default set once in a profile must not break every cron line: a
	 * name no command prints is a mistake worth a word, as CS_WAIT's is;
	 * one this command cannot print is simply not its default. */
	if (cs_format_parse(env, CS_FORMATS_PRINTED, &format) != 0) {
		if (!warned)
			cs_warn(cli, "ignoring CS_FORMAT '%s': not an output format", env);
		warned = true;
		return fallback;
	}
	return printable & (1u << format) ? format : fallback;
}

enum cs_format
cs_cli_output_format(const struct cs_cli *cli)
{
	return cs_cli_output_format_of(cli, cli->formats, cs_format_default_output());
}

int
cs_parse_u64(const char *text, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (text == NULL || text[0] < '0' || text[0] > '9')
		return -1;
	errno = 0;
	v = strtoull(text, &end, 10);
	if (errno != 0 || *end != '\0')
		return -1;
	*out = v;
	return 0;
}

int
cs_parse_u32(const char *text, uint32_t *out)
{
	uint64_t v;

	if (cs_parse_u64(text, &v) != 0 || v > UINT32_MAX)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

/* Plain decimal seconds: digits with an optional fraction ("10", "0.5",
 * ".5"); strtod alone would also take "0x10", "1e1", " 5", "inf". */
int
cs_parse_seconds(const char *text, double *out)
{
	size_t digits = 0, dots = 0;
	char *end;
	double v;

	if (text == NULL)
		return -1;
	for (const char *p = text; *p != '\0'; p++) {
		if (*p >= '0' && *p <= '9')
			digits++;
		else if (*p == '.' && dots++ == 0)
			continue;
		else
			return -1;
	}
	if (digits == 0)
		return -1;
	errno = 0;
	v = strtod(text, &end);
	if (errno != 0 || *end != '\0' || !isfinite(v) || v < 0 || v > 86400 * 365)
		return -1;
	*out = v;
	return 0;
}

void
cs_warn(const struct cs_cli *cli, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vwarn(cli, fmt, ap);
	va_end(ap);
}

int
cs_fail(const struct cs_cli *cli, const struct cs_error *err)
{
	cs_warn(cli, "%s", err->message);
	return err->code;
}

/* The signal that asked a writer to stop (SIGINT or SIGTERM), or 0. */
static volatile sig_atomic_t interrupted_by;
static pthread_t main_thread;

static void
on_interrupt(int sig)
{
	int saved_errno = errno;

	/* LevelDB's background thread may be the one the kernel picks: the
	 * main thread's wait for input must end, so it gets the signal. */
	if (!pthread_equal(pthread_self(), main_thread)) {
		pthread_kill(main_thread, sig);
	} else if (interrupted_by != 0) {
		/* a second one kills at once, which is as safe: commits are
		 * atomic */
		signal(sig, SIG_DFL);
		raise(sig);
	} else {
		interrupted_by = sig;
	}
	errno = saved_errno;
}

void
cs_cli_catch_interrupts(void)
{
	static const int signals[] = { SIGINT, SIGTERM };
	struct sigaction action, old;

	memset(&action, 0, sizeof(action));
	action.sa_handler = on_interrupt;
	sigemptyset(&action.sa_mask);
	sigaddset(&action.sa_mask, SIGINT);
	sigaddset(&action.sa_mask, SIGTERM);
	/* SA_RESTART: LevelDB's reads and writes and the lock's flock(2) go
	 * on; the one wait that must end, for input, is cs_cli_wait_input's
	 * ppoll(2), which a signal always ends. */
	action.sa_flags = SA_RESTART;
	main_thread = pthread_self();
	for (size_t i = 0; i < sizeof(signals) / sizeof(signals[0]); i++) {
		/* ignored as the shell started us (nohup, a background job of
		 * a script): it stays ignored */
		if (sigaction(signals[i], NULL, &old) == 0 && old.sa_handler == SIG_IGN)
			continue;
		sigaction(signals[i], &action, NULL);
	}
}

int
cs_cli_interrupted(void)
{
	return interrupted_by;
}

int
cs_cli_wait_input(int fd)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	sigset_t stop, old;
	int rc = 0;

	/* Blocked from the test of the flag until ppoll unblocks them
	 * atomically: a signal between the two cannot be missed. */
	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	sigprocmask(SIG_BLOCK, &stop, &old);
	while (interrupted_by == 0) {
		rc = ppoll(&pfd, 1, NULL, &old);
		if (rc >= 0 || errno != EINTR)
			break;
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	return interrupted_by != 0 ? -1 : 0;
}

void
cs_cli_exit_interrupted(void)
{
	int sig = interrupted_by != 0 ? interrupted_by : SIGINT;
	sigset_t set;

	/* Dying of the signal, not exit(130), tells a shell running a script
	 * that the user stopped it: the script stops too. The status is the
	 * same, 128 + the signal. */
	fflush(stdout);
	signal(sig, SIG_DFL);
	sigemptyset(&set);
	sigaddset(&set, sig);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	raise(sig);
	_exit(128 + sig);
}
