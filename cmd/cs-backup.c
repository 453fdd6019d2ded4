/*
 * cs-backup - a consistent backup of a live store, holding it only while its
 * files are listed and hard-linked; timestamped backups for cron; an export
 * that cs-put replays into an identical store; a check of a backup; an
 * atomic restore.
 */
#include "backup.h"
#include "check.h"
#include "cli.h"
#include "exit.h"
#include "output.h"
#include "progress.h"
#include "store.h"
#include "writer.h"

#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <unistd.h>

static const char usage_text[] =
    "[-qv] [-s DIR] [-w SECONDS] [--copy] DEST\n"
    "[-qv] [-s DIR] [-w SECONDS] [--copy] --into DIR [--keep N]\n"
    "[-qv] [-s DIR] [-w SECONDS] [-f FORMAT] --export\n"
    "[-qv] [-w SECONDS] --verify DIR\n"
    "[-qv] [-s DIR] [-w SECONDS] [--force] --restore DIR";

enum { OPT_COPY = 256, OPT_EXPORT, OPT_FORCE, OPT_INTO, OPT_KEEP, OPT_RESTORE, OPT_VERIFY };

static const char options_text[] =
    "  --into DIR            a new backup inside DIR, named by its UTC time\n"
    "  --keep N              with --into: keep the newest N backups in DIR\n"
    "  --copy                copy the tables too: a backup that shares no file with the store\n"
    "  --export              print every entry, bodies included\n"
    "  -f, --format FORMAT   with --export: cbor, json, text or hex\n"
    "  --verify DIR          check the backup in DIR as cs-check does\n"
    "  --restore DIR         make the store from the backup in DIR\n"
    "  --force               with --restore: replace an existing store\n";

static const struct option long_options[] = {
	{ "copy", no_argument, NULL, OPT_COPY },
	{ "export", no_argument, NULL, OPT_EXPORT },
	{ "force", no_argument, NULL, OPT_FORCE },
	{ "format", required_argument, NULL, 'f' },
	{ "into", required_argument, NULL, OPT_INTO },
	{ "keep", required_argument, NULL, OPT_KEEP },
	{ "restore", required_argument, NULL, OPT_RESTORE },
	{ "verify", required_argument, NULL, OPT_VERIFY },
	CS_COMMON_LONG_OPTIONS,
};

struct backup {
	struct cs_cli cli;
	struct cs_backup_job job;
	struct cs_progress progress; /* --export's, on a terminal */
};

/*
 * Test hook, in the manner of git's GIT_TEST_* variables: with
 * CS_TEST_BACKUP_PAUSE naming a FIFO, stop where the store has been let go
 * (before copying data, exporting, or swapping a restore into place):
 * open the FIFO and read it to its end. A test opens it for writing, which
 * returns once cs-backup is there, acts, and closes it to let cs-backup go
 * on: no timing involved.
 */
static void
pause_for_test(void *ctx)
{
	const char *fifo = getenv("CS_TEST_BACKUP_PAUSE");
	char c;
	int fd;

	(void)ctx;
	if (fifo == NULL || fifo[0] == '\0' || (fd = open(fifo, O_RDONLY | O_CLOEXEC)) < 0)
		return;
	while (read(fd, &c, 1) > 0)
		;
	close(fd);
}

static void
report_removed(void *ctx, const char *path)
{
	struct backup *b = ctx;

	if (b->cli.verbose > 0)
		cs_warn(&b->cli, "removed old backup '%s'", path);
}

static void
report_copy(void *ctx, const struct cs_backup_job *job)
{
	struct backup *b = ctx;
	const struct cs_backup_stats *st = &job->stats;

	if (b->cli.verbose == 0)
		return;
	cs_warn(&b->cli, "backed up '%s' to '%s': %u files: %u linked, %u staged and copied, %u copied, %" PRIu64
	    " bytes copied, %u unused tables left out; store held %.3f ms",
	    job->store, job->made, st->files, st->linked, st->staged, st->copied, st->bytes, st->dropped,
	    st->held_us / 1000.0);
}

static void
on_exported(void *ctx, uint64_t done, uint64_t total)
{
	struct backup *b = ctx;

	if (cs_progress_due(&b->progress)) {
		cs_progress_set_total(&b->progress, total);
		cs_progress_update(&b->progress, done, done, "%" PRIu64 " of %" PRIu64 " exported", done, total);
	}
}

/* cs-backup --export */
static int
export(struct backup *b, struct cs_print *how, struct cs_error *err)
{
	struct cs_out out;
	int rc;

	cs_out_init(&out, STDOUT_FILENO);
	/* on a terminal, unless the export itself goes there */
	cs_progress_start(&b->progress, b->cli.prog, "entries", b->cli.quiet || isatty(STDOUT_FILENO));
	b->job.exporting = on_exported;
	rc = cs_backup_export_store(&b->job, &out, how, err);
	cs_progress_finish(&b->progress);
	if (rc == 0)
		rc = cs_out_finish(&out, err);
	else
		cs_out_finish(&out, NULL);
	if (rc == 0 && b->cli.verbose > 0)
		cs_warn(&b->cli, "exported %" PRIu64 " entries of '%s'%s; store held %.3f ms", b->job.exported,
		    b->job.store, out.closed ? " (the reader went away)" : "", b->job.stats.held_us / 1000.0);
	return rc;
}

/* cs-backup --restore DIR */
static int
restore(struct backup *b, const char *from, bool force, struct cs_error *err)
{
	int rc = cs_backup_restore(&b->job, from, force, err);

	if (rc == 0 && b->cli.verbose > 0)
		cs_warn(&b->cli, "restored '%s' from '%s'%s", b->job.made, from,
		    b->job.replaced ? ", replacing the store that was there" : "");
	return rc;
}

/* A backup's findings, as cs-check prints a store's (at most
 * VERIFY_PRINT_MAX unless -v). */
#define VERIFY_PRINT_MAX 100

struct verify {
	const struct backup *b;
	const char *dir;
	uint64_t findings;
};

static void
on_finding(void *ctx, const char *message)
{
	struct verify *v = ctx;

	if (v->b->cli.verbose > 0 || v->findings < VERIFY_PRINT_MAX)
		cs_warn(&v->b->cli, "backup '%s' is corrupt: %s", v->dir, message);
	v->findings++;
}

/* --verify DIR: what cs-check does, on a backup; silent when it is sound. */
static int
verify(const struct backup *b, const char *dir, struct cs_error *err)
{
	struct verify v = { b, dir, 0 };
	struct cs_check_options o = { on_finding, NULL, NULL, &v };
	struct cs_check_report r;
	struct cs_store store;
	int rc;

	if ((rc = cs_store_open_as(&store, dir, b->cli.prog, b->cli.wait, true, CS_OPEN_COPY, err)) != 0) {
		cs_store_close(&store);
		return rc;
	}
	rc = cs_check_store(&store, &o, &r, err);
	cs_store_close(&store);
	if (rc != 0)
		return rc;
	if (v.findings > VERIFY_PRINT_MAX && b->cli.verbose == 0)
		cs_warn(&b->cli, "backup '%s' is corrupt: %" PRIu64 " more not shown (-v shows every one)", dir,
		    v.findings - VERIFY_PRINT_MAX);
	if (v.findings > 0)
		return cs_error_set(err, CS_EX_IOERR, "backup '%s' is corrupt: %" PRIu64 " %s found", dir, v.findings,
		    v.findings == 1 ? "problem" : "problems");
	if (b->cli.verbose > 0)
		cs_warn(&b->cli, "backup '%s' is sound: %" PRIu64 " entries, tip height %" PRIu64 "%s", dir, r.entries,
		    r.main - 1, r.hashes_verified ? "" : " (an opaque store: hashes not verified)");
	return 0;
}

int
main(int argc, char *argv[])
{
	static struct backup b;
	const char *into = NULL, *restore_from = NULL, *verify_dir = NULL;
	struct cs_print how = { .branchlen = -1, .with_body = true };
	bool export_mode = false, force = false, keep_set = false;
	uint32_t keep = 0;
	struct cs_error err;
	int opt, rc, modes;

	cs_cli_init(&b.cli, "cs-backup", usage_text, CS_FORMATS_OUTPUT);
	cs_cli_set_options(&b.cli, options_text);
	while ((opt = cs_cli_getopt(&b.cli, argc, argv, "f:" CS_COMMON_SHORT_OPTIONS, long_options)) != -1) {
		switch (opt) {
		case OPT_COPY:
			b.job.copy_tables = true;
			break;
		case OPT_EXPORT:
			export_mode = true;
			break;
		case OPT_FORCE:
			force = true;
			break;
		case OPT_INTO:
			into = optarg;
			break;
		case OPT_KEEP:
			if (cs_parse_u32(optarg, &keep) != 0 || keep == 0)
				cs_cli_usage_error(&b.cli, "bad count '%s': keep at least 1", optarg);
			keep_set = true;
			break;
		case OPT_RESTORE:
			restore_from = optarg;
			break;
		case OPT_VERIFY:
			verify_dir = optarg;
			break;
		default:
			cs_cli_option(&b.cli, opt, optarg);
			break;
		}
	}
	argc -= optind;
	argv += optind;
	modes = (argc > 0) + (into != NULL) + export_mode + (restore_from != NULL) + (verify_dir != NULL);
	if (modes != 1)
		cs_cli_usage_error(&b.cli, modes == 0 ? "nothing to do: give DEST, --into, --export, --verify or --restore"
						      : "give one of DEST, --into, --export, --verify or --restore");
	if (argc > 1)
		cs_cli_usage_error(&b.cli, "unexpected argument '%s'", argv[1]);
	if (keep_set && into == NULL)
		cs_cli_usage_error(&b.cli, "--keep goes with --into");
	if (force && restore_from == NULL)
		cs_cli_usage_error(&b.cli, "--force goes with --restore");
	if (b.job.copy_tables && argc == 0 && into == NULL)
		cs_cli_usage_error(&b.cli, "--copy goes with DEST or --into");
	if (b.cli.format_set && !export_mode)
		cs_cli_usage_error(&b.cli, "-f goes with --export");
	/* $CS_FORMAT is an export's default when it names what one carries */
	if (export_mode)
		how.format = cs_cli_output_format_of(&b.cli, CS_FORMATS_OUTPUT & ~(1u << CS_FORMAT_RAW),
		    cs_format_default_output());
	if (export_mode && how.format == CS_FORMAT_RAW)
		cs_cli_usage_error(&b.cli, "raw carries headers only: export as cbor, json, text or hex");
	if (argc == 1 && argv[0][0] == '\0')
		cs_cli_usage_error(&b.cli, "empty DEST");
	b.job.store = cs_store_path(b.cli.store);
	b.job.command = b.cli.prog;
	b.job.wait_seconds = b.cli.wait;
	b.job.paused = pause_for_test;
	b.job.backed_up = report_copy;
	b.job.removed = report_removed;
	b.job.ctx = &b;
	cs_error_clear(&err);

	if (argc == 1)
		rc = cs_backup_to(&b.job, argv[0], &err);
	else if (into != NULL)
		rc = cs_backup_into(&b.job, into, keep, &err);
	else if (export_mode)
		rc = export(&b, &how, &err);
	else if (verify_dir != NULL)
		rc = verify(&b, verify_dir, &err);
	else
		rc = restore(&b, restore_from, force, &err);
	return rc != 0 ? cs_fail(&b.cli, &err) : 0;
}
