/*
 * cs-check - check a store through and through: every hash, link, height,
 * chainwork, index and the tip. --repair recovers what LevelDB can and
 * rebuilds what the store derives from its entries.
 */
#include "check.h"
#include "cli.h"
#include "exit.h"
#include "hex.h"
#include "leveldb.h"
#include "output.h"
#include "progress.h"
#include "store.h"
#include "writer.h"

#include <dirent.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

static const char usage_text[] = "[-qv] [-s DIR] [-w SECONDS] [-f FORMAT] [--repair]";

enum { OPT_REPAIR = 256 };

static const char options_text[] =
    "  --repair              recover what LevelDB can, rebuild the derived indexes\n"
    "  -f, --format FORMAT   cbor or json: how --repair prints the entries it drops\n";

static const struct option long_options[] = {
	{ "format", required_argument, NULL, 'f' },
	{ "repair", no_argument, NULL, OPT_REPAIR },
	CS_COMMON_LONG_OPTIONS,
};

/* Lines printed of each kind before the rest are only counted (-v: all). */
#define PRINT_MAX 100

struct check_cli {
	struct cs_cli cli;
	const char *dir;
	const char *state; /* "is corrupt", "is still corrupt after repair" */
	uint64_t findings, changes; /* seen so far (printed up to PRINT_MAX) */
	enum cs_format format;
	bool opaque;
	char rules[16]; /* the store's header rules */
	struct cs_out out;
	struct cs_progress progress;
	const char *pass; /* the pass the progress line shows */
};

/* "1 problem", "2 problems" */
static const char *
plural(uint64_t n, const char *one, const char *many)
{
	return n == 1 ? one : many;
}

static bool
room(const struct check_cli *k, uint64_t seen)
{
	return k->cli.verbose > 0 || seen < PRINT_MAX;
}

/* How many lines of a kind went unprinted. */
static uint64_t
unprinted(const struct check_cli *k, uint64_t seen)
{
	return room(k, seen) ? 0 : seen - PRINT_MAX;
}

static void
on_finding(void *ctx, const char *message)
{
	struct check_cli *k = ctx;

	if (room(k, k->findings))
		cs_warn(&k->cli, "store '%s' %s: %s", k->dir, k->state, message);
	k->findings++;
}

static void
on_repaired(void *ctx, const char *message)
{
	struct check_cli *k = ctx;

	if (!k->cli.quiet && room(k, k->changes))
		cs_warn(&k->cli, "store '%s': repair: %s", k->dir, message);
	k->changes++;
}

/* An entry --repair drops is written out at once: it is deleted only once
 * it is safe on standard output. */
static int
on_dropped(void *ctx, const struct cs_entry *e, struct cs_error *err)
{
	struct check_cli *k = ctx;
	/* what cs-put needs to bring it back: hash, header, (opaque) prev and
	 * work, and the body */
	struct cs_print how = { .format = k->format, .opaque = k->opaque, .with_body = true, .branchlen = -1,
		.bare = true };
	char hash[CS_HASH_HEX];
	int rc;

	/* standard output may be the terminal the progress line is on */
	cs_progress_clear(&k->progress);
	cs_write_entry(&k->out, &how, e, NULL);
	rc = cs_out_flush(&k->out, err);
	if (rc == 0 && k->out.closed)
		rc = cs_error_set(err, CS_EX_IOERR, "the reader of standard output went away");
	if (rc != 0) {
		cs_hash_to_display(e->hash, hash);
		cs_error_prefix(err, "repair of store '%s' stopped before dropping entry %s: ", k->dir, hash);
	}
	return rc;
}

/* The check's passes, on a terminal: "reading entries: 40960, 81920/s". */
static void
on_progress(void *ctx, const char *pass, uint64_t done, uint64_t total)
{
	struct check_cli *k = ctx;

	if (pass != k->pass) {
		k->pass = pass;
		cs_progress_restart(&k->progress, total);
	}
	if (total > 0)
		cs_progress_update(&k->progress, done, done, "%s: %" PRIu64 " of %" PRIu64, pass, done, total);
	else
		cs_progress_update(&k->progress, done, done, "%s: %" PRIu64, pass, done);
}

static void
finish_findings(struct check_cli *k)
{
	if (unprinted(k, k->findings) > 0)
		cs_warn(&k->cli, "store '%s' %s: %" PRIu64 " more %s not shown (-v shows every one)", k->dir, k->state,
		    unprinted(k, k->findings), plural(unprinted(k, k->findings), "problem", "problems"));
}

static void
summary(struct check_cli *k, const struct cs_check_report *r)
{
	if (k->cli.verbose == 0)
		return;
	cs_warn(&k->cli,
	    "store '%s': %" PRIu64 " %s (%" PRIu64 " on the main chain, %" PRIu64 " on forks), %" PRIu64 " %s, %" PRIu64
	    " %s (%" PRIu64 " pruned), %" PRIu64 " %s indexed, %" PRIu64 " %s indexed",
	    k->dir, r->entries, plural(r->entries, "entry", "entries"), r->main, r->forks, r->tips,
	    plural(r->tips, "chain tip", "chain tips"), r->bodies, plural(r->bodies, "body", "bodies"), r->pruned,
	    r->transactions, plural(r->transactions, "transaction", "transactions"), r->heights,
	    plural(r->heights, "height", "heights"));
	if (r->rules_verified)
		cs_warn(&k->cli, "store '%s': every hash, proof of work and header rule (%s) verified", k->dir, k->rules);
	else if (r->hashes_verified)
		cs_warn(&k->cli, "store '%s': every hash and proof of work verified", k->dir);
	else
		cs_warn(&k->cli, "store '%s': hashes not verified: an opaque store's entries name their own", k->dir);
	if (r->unknown > 0)
		cs_warn(&k->cli, "store '%s': %" PRIu64 " keys of kinds this cs-check does not know, left alone", k->dir,
		    r->unknown);
	cs_warn(&k->cli, "store '%s' is sound", k->dir);
}

/* LevelDB's repair moves the tables it cannot read into DIR/db/lost/ (with
 * the old manifest and logs, which it has no more use for): name the tables
 * moved there since the repair began. File times come from the coarse
 * clock. */
static void
report_lost_tables(struct check_cli *k, const struct timespec *since)
{
	char path[4200], file[4500];
	struct dirent *de;
	struct stat st;
	DIR *d;

	snprintf(path, sizeof(path), "%s/db/lost", k->dir);
	if ((d = opendir(path)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (!cs_leveldb_is_table(de->d_name))
			continue;
		snprintf(file, sizeof(file), "%s/%s", path, de->d_name);
		if (stat(file, &st) != 0 || st.st_ctim.tv_sec < since->tv_sec ||
		    (st.st_ctim.tv_sec == since->tv_sec && st.st_ctim.tv_nsec < since->tv_nsec))
			continue;
		cs_warn(&k->cli,
		    "store '%s': repair: LevelDB could not read table %s (%lld bytes) and moved it to %s/: "
		    "the entries only it held are lost",
		    k->dir, de->d_name, (long long)st.st_size, path);
	}
	closedir(d);
}

/* Checks the open store; its findings are printed with k->state. */
static int
check(struct check_cli *k, struct cs_store *store, struct cs_check_report *r, struct cs_error *err)
{
	struct cs_check_options o = { on_finding, NULL, NULL, k };
	int rc;

	k->findings = 0;
	snprintf(k->rules, sizeof(k->rules), "%s", store->meta.rules);
	if ((rc = cs_check_store(store, &o, r, err)) != 0)
		return rc;
	finish_findings(k);
	return 0;
}

static int
repair(struct check_cli *k, struct cs_store *store, bool report_findings, struct cs_error *err)
{
	struct cs_check_options o = { report_findings ? on_finding : NULL, on_repaired, on_dropped, k };
	struct cs_check_report r;
	struct timespec since;
	int rc;

	clock_gettime(CLOCK_REALTIME_COARSE, &since);
	rc = cs_store_repair(store, err);
	report_lost_tables(k, &since);
	if (rc != 0)
		return rc;
	k->opaque = store->meta.opaque;
	k->findings = 0;
	rc = cs_check_repair(store, &o, &r, err);
	if (report_findings)
		finish_findings(k);
	if (unprinted(k, k->changes) > 0 && !k->cli.quiet)
		cs_warn(&k->cli, "store '%s': repair: %" PRIu64 " more %s not shown (-v shows every one)", k->dir,
		    unprinted(k, k->changes), plural(unprinted(k, k->changes), "change", "changes"));
	/* r counts what was written: a repair that stopped says what it left */
	if (!k->cli.quiet && rc != 0 && r.changes == 0)
		cs_warn(&k->cli, "store '%s': repair stopped: no key written or deleted, no entry dropped", k->dir);
	else if (!k->cli.quiet && rc != 0)
		cs_warn(&k->cli,
		    "store '%s': repair stopped: %" PRIu64 " %s written or deleted, %" PRIu64 " %s dropped before it stopped",
		    k->dir, r.changes, plural(r.changes, "key", "keys"), r.dropped, plural(r.dropped, "entry", "entries"));
	else if (!k->cli.quiet)
		cs_warn(&k->cli, "store '%s' repaired: %" PRIu64 " %s written or deleted, %" PRIu64 " %s dropped%s", k->dir,
		    r.changes, plural(r.changes, "key", "keys"), r.dropped, plural(r.dropped, "entry", "entries"),
		    r.dropped > 0 ? " (those that were sound went to standard output)" : "");
	return rc;
}

int
main(int argc, char *argv[])
{
	struct check_cli k;
	struct cs_check_report r;
	struct cs_store store;
	struct cs_error err;
	bool want_repair = false, opened;
	int opt, rc;

	memset(&k, 0, sizeof(k));
	cs_cli_init(&k.cli, "cs-check", usage_text, 1u << CS_FORMAT_CBOR | 1u << CS_FORMAT_JSON);
	cs_cli_set_options(&k.cli, options_text);
	while ((opt = cs_cli_getopt(&k.cli, argc, argv, "f:" CS_COMMON_SHORT_OPTIONS, long_options)) != -1) {
		if (opt == OPT_REPAIR)
			want_repair = true;
		else
			cs_cli_option(&k.cli, opt, optarg);
	}
	if (optind != argc)
		cs_cli_usage_error(&k.cli, "unexpected argument '%s'", argv[optind]);
	/* dropped entries are for cs-put: JSON Lines on a terminal */
	k.format = cs_cli_output_format(&k.cli) == CS_FORMAT_CBOR ? CS_FORMAT_CBOR : CS_FORMAT_JSON;
	k.dir = cs_store_path(k.cli.store);
	k.state = "is corrupt";
	cs_out_init(&k.out, 1);
	cs_progress_start(&k.progress, k.cli.prog, NULL, k.cli.quiet);
	cs_check_set_progress(on_progress, &k);
	cs_error_clear(&err);

	rc = cs_store_open_as(&store, k.dir, k.cli.prog, k.cli.wait, true, want_repair ? CS_OPEN_WRITE : CS_OPEN_READ, &err);
	opened = rc == 0;
	if (rc != 0 && !(want_repair && rc == CS_EX_IOERR))
		goto out;
	if (opened) {
		if ((rc = check(&k, &store, &r, &err)) != 0)
			goto out;
		if (r.findings == 0) {
			summary(&k, &r);
			if (want_repair && k.cli.verbose > 0)
				cs_warn(&k.cli, "store '%s': nothing to repair", k.dir);
			goto out;
		}
		if (!want_repair) {
			rc = cs_error_set(&err, CS_EX_IOERR, "store '%s' is corrupt: %" PRIu64 " %s found", k.dir,
			    r.findings, plural(r.findings, "problem", "problems"));
			goto out;
		}
	} else {
		cs_fail(&k.cli, &err);
	}
	if ((rc = repair(&k, &store, !opened, &err)) != 0)
		goto out;
	k.state = "is still corrupt after repair";
	if ((rc = check(&k, &store, &r, &err)) != 0)
		goto out;
	if (r.findings > 0) {
		rc = cs_error_set(&err, CS_EX_IOERR, "store '%s' is still corrupt after repair: %" PRIu64 " %s found",
		    k.dir, r.findings, plural(r.findings, "problem", "problems"));
		goto out;
	}
	summary(&k, &r);
out:
	cs_progress_finish(&k.progress);
	cs_store_close(&store);
	if (rc == 0)
		rc = cs_out_finish(&k.out, &err);
	else
		cs_out_finish(&k.out, NULL);
	return rc != 0 ? cs_fail(&k.cli, &err) : 0;
}
