/*
 * cs-put - add entries to a store from standard input or files, in atomic,
 * synced commits, letting go of the store between them.
 */
#include "chain.h"
#include "cli.h"
#include "exit.h"
#include "hex.h"
#include "reader.h"
#include "store.h"

#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char usage_text[] = "[-qv] [-s DIR] [-w SECONDS] [-f FORMAT] [--keep-going] [FILE ...]";

enum { OPT_KEEP_GOING = 256 };

static const char options_text[] =
    "  -f, --format FORMAT   input: cbor (default), json, hex, raw or blk\n"
    "  --keep-going          skip bad records, report each, exit 65 at the end\n";

static const struct option long_options[] = {
	{ "format", required_argument, NULL, 'f' },
	{ "keep-going", no_argument, NULL, OPT_KEEP_GOING },
	CS_COMMON_LONG_OPTIONS,
};

/* The longest an import waits at its end for LevelDB's compactions
 * (cs_store_settle); a command waiting for the store cuts it short. */
#define SETTLE_MS 30000

struct put {
	struct cs_cli cli;
	struct cs_store store;
	struct cs_import import;
	bool keep_going, progress;
	bool stopped; /* bad input ended the import */
	int status;   /* 0, or 65 once bad input was reported */
	struct timespec last_progress;
};

/* Reports bad input; without --keep-going it ends the import. */
static void
bad_input(struct put *p, const struct cs_error *err, const char *source)
{
	if (source != NULL)
		cs_warn(&p->cli, "'%s': %s", source, err->message);
	else
		cs_warn(&p->cli, "%s", err->message);
	p->status = CS_EX_DATAERR;
	if (!p->keep_going)
		p->stopped = true;
}

static void
show_progress(struct put *p)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	if ((now.tv_sec - p->last_progress.tv_sec) * 1000 + (now.tv_nsec - p->last_progress.tv_nsec) / 1000000 < 500)
		return;
	p->last_progress = now;
	fprintf(stderr, "\r%s: %llu read, %llu added, tip height %u\033[K", p->cli.prog,
	    (unsigned long long)p->import.stats.read, (unsigned long long)p->import.stats.added,
	    p->import.tip_height > p->import.best_height ? p->import.tip_height : p->import.best_height);
}

/* -v: one line per commit once it is synced, so that a script (or a crash
 * trial) knows what is durable. */
static void
report_commit(const struct put *p)
{
	char hex[CS_HASH_HEX];

	cs_hash_to_display(p->import.tip, hex);
	fprintf(stderr, "%s: committed: %llu read, %llu added; tip %u %s\n", p->cli.prog,
	    (unsigned long long)p->import.stats.read, (unsigned long long)p->import.stats.added, p->import.tip_height,
	    hex);
}

/* Commits what is pending and, when asked, lets go of the store. */
static int
commit(struct put *p, bool release, struct cs_error *err)
{
	bool pending = p->import.ops > 0;
	int rc = 0;

	if (!cs_store_held(&p->store))
		return 0;
	rc = cs_import_commit(&p->import, err);
	if (rc == 0 && pending && p->cli.verbose)
		report_commit(p);
	/* closing would drop an error of LevelDB's background thread */
	if (rc == 0 && release)
		rc = cs_store_check_background(&p->store, err);
	if (release)
		cs_store_release(&p->store);
	return rc;
}

/* After letting go, give the waiting commands the store before asking for
 * it again: wait (a bounded while) until none says it waits. */
static void
let_waiters_in(struct put *p)
{
	cs_store_yield_to_waiters(&p->store);
}

/* Imports one input; returns 0, or the status that ends the import. */
static int
put_input(struct put *p, const char *path, struct cs_error *err)
{
	struct cs_reader reader;
	struct cs_record rec;
	int rc;

	if ((rc = cs_reader_open(&reader, path, p->cli.format, p->store.meta.magic, err)) != 0)
		return rc;
	for (;;) {
		enum cs_read st = cs_reader_next(&reader, &rec, false, err);

		if (st == CS_READ_WOULD_BLOCK) {
			/* Never hold the store while waiting for input. */
			if ((rc = commit(p, true, err)) != 0)
				break;
			st = cs_reader_next(&reader, &rec, true, err);
		}
		if (st == CS_READ_END)
			break;
		if (st == CS_READ_ERROR) {
			/* A malformed item ends this input: there is no resync point. */
			if (err->code == CS_EX_DATAERR)
				bad_input(p, err, reader.in.name);
			else
				rc = err->code;
			break;
		}
		if (!cs_store_held(&p->store) && (rc = cs_store_acquire(&p->store, err)) != 0)
			break;
		rc = cs_import_add(&p->import, &rec, err);
		if (rc == CS_EX_DATAERR) {
			p->import.stats.rejected++;
			bad_input(p, err, rec.source);
			rc = 0;
			if (p->stopped)
				break;
			continue;
		}
		if (rc != 0)
			break;
		if (cs_import_batch_full(&p->import)) {
			bool release = cs_store_should_let_go(&p->store);

			if ((rc = commit(p, release, err)) != 0)
				break;
			if (release)
				let_waiters_in(p);
		}
		if (p->progress)
			show_progress(p);
	}
	cs_reader_close(&reader);
	return rc;
}

static void
report_orphan(void *ctx, const struct cs_record *rec)
{
	struct put *p = ctx;
	struct cs_error err;
	char hex[CS_HASH_HEX];

	cs_hash_to_display(rec->prev, hex);
	cs_error_set(&err, CS_EX_DATAERR, "item %llu at byte %llu: unknown parent %s", (unsigned long long)rec->item,
	    (unsigned long long)rec->offset, hex);
	bad_input(p, &err, rec->source);
}

static void
summary(struct put *p)
{
	struct cs_import_stats *s = &p->import.stats;
	char hex[CS_HASH_HEX], bodies[48] = "";
	struct cs_error err;
	uint8_t tip[32];
	uint32_t tip_height;

	if (p->progress)
		fprintf(stderr, "\r\033[K");
	/* The store's tip, which another writer may have moved too. */
	if (p->cli.quiet || cs_store_acquire(&p->store, &err) != 0 ||
	    cs_import_tip(&p->import, tip, &tip_height, &err) != 0)
		return;
	if (s->bodies > 0)
		snprintf(bodies, sizeof(bodies), ", %llu bodies", (unsigned long long)s->bodies);
	cs_hash_to_display(tip, hex);
	cs_warn(&p->cli, "%llu read, %llu added%s, %llu duplicate, %llu rejected; tip %u %s",
	    (unsigned long long)s->read, (unsigned long long)s->added, bodies, (unsigned long long)s->duplicates,
	    (unsigned long long)(s->rejected + cs_import_orphan_count(&p->import)), tip_height, hex);
}

int
main(int argc, char *argv[])
{
	static struct put p;
	struct cs_error err;
	int opt, rc = 0, i;

	cs_leveldb_without_mmap(); /* before any store is opened (store.h) */
	cs_cli_init(&p.cli, "cs-put", usage_text, CS_FORMATS_INPUT);
	cs_cli_set_options(&p.cli, options_text);
	p.cli.format = CS_FORMAT_CBOR;
	while ((opt = cs_cli_getopt(&p.cli, argc, argv, "f:" CS_COMMON_SHORT_OPTIONS, long_options)) != -1) {
		if (opt == OPT_KEEP_GOING)
			p.keep_going = true;
		else
			cs_cli_option(&p.cli, opt, optarg);
	}
	for (i = optind; i < argc; i++) {
		if (strcmp(argv[i], "-") != 0 && access(argv[i], R_OK) != 0) {
			cs_warn(&p.cli, "cannot open '%s': %s", argv[i], strerror(errno));
			return CS_EX_NOINPUT;
		}
	}
	p.progress = !p.cli.quiet && isatty(STDERR_FILENO);
	cs_error_clear(&err);

	/* The store is opened to learn its network, then let go at once:
	 * it is taken again only once input has arrived. */
	if ((rc = cs_store_open(&p.store, cs_store_path(p.cli.store), p.cli.prog, p.cli.wait, &err)) != 0) {
		cs_store_close(&p.store);
		return cs_fail(&p.cli, &err);
	}
	cs_store_release(&p.store);
	/* raw, hex and blk carry Bitcoin headers, which cannot name their own
	 * hash and parent as an opaque store's entries must. */
	if (p.store.meta.opaque && p.cli.format != CS_FORMAT_CBOR && p.cli.format != CS_FORMAT_JSON) {
		cs_store_close(&p.store);
		cs_cli_usage_error(&p.cli, "'%s' is an opaque store: its entries are read as cbor or json, not %s",
		    p.store.dir, cs_format_name(p.cli.format));
	}
	if ((rc = cs_import_init(&p.import, &p.store, &err)) != 0)
		goto out;

	if (optind == argc)
		rc = put_input(&p, NULL, &err);
	for (i = optind; i < argc && rc == 0 && !p.stopped; i++)
		rc = put_input(&p, argv[i], &err);

	/* Commit what came before any failure: it stays (SPEC §5). */
	{
		struct cs_error commit_err;

		if (commit(&p, false, &commit_err) != 0 && rc == 0) {
			err = commit_err;
			rc = err.code;
		}
		/* Let LevelDB finish the compactions the import made due, so
		 * that every later command does not start them again. */
		if (p.import.stats.added > 0 && cs_store_settle(&p.store, SETTLE_MS, &commit_err) != 0 && rc == 0) {
			err = commit_err;
			rc = err.code;
		}
	}
	cs_import_each_orphan(&p.import, report_orphan, &p);
	if (rc == 0)
		summary(&p);
out:
	cs_import_free(&p.import);
	cs_store_close(&p.store);
	return rc != 0 ? cs_fail(&p.cli, &err) : p.status;
}
