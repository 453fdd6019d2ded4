/*
 * cs-prune - drop the main-chain bodies and the fork branches that are no
 * longer needed, optionally archiving them first, then compact the freed
 * key ranges. Main-chain headers are never dropped.
 */
#include "cli.h"
#include "output.h"
#include "progress.h"
#include "prune.h"
#include "store.h"

#include <stdio.h>

static const char usage_text[] =
    "[-qv] [-s DIR] [-w SECONDS] [-f FORMAT] [--keep-bodies N [--force]] [--forks N] "
    "[--archive FILE] [--dry-run]\n"
    "[-qv] [-s DIR] [-w SECONDS] [-f FORMAT] --keep-bodies-above HEIGHT | --keep-bodies-since DATE "
    "[--force] [--forks N] [--archive FILE] [--dry-run]";

enum {
	OPT_ARCHIVE = 256,
	OPT_DRY_RUN,
	OPT_FORCE,
	OPT_FORKS,
	OPT_KEEP_BODIES,
	OPT_KEEP_BODIES_ABOVE,
	OPT_KEEP_BODIES_SINCE,
};

static const char options_text[] =
    "  --keep-bodies N       drop main-chain bodies more than N below the tip\n"
    "  --keep-bodies-above HEIGHT\n"
    "                        drop main-chain bodies at HEIGHT and below\n"
    "  --keep-bodies-since DATE\n"
    "                        drop main-chain bodies of blocks older than DATE less 2 hours\n"
    "                        (a unix time, YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS], UTC)\n"
    "  --force               allow --keep-bodies below 288, and bodies within 288 of the tip\n"
    "  --forks N             drop forks whose fork point is more than N below the tip\n"
    "  --archive FILE        first append what goes to FILE as CBOR, and sync it\n"
    "  --dry-run             print what would go (in -f format); change nothing\n"
    "  -f, --format FORMAT   --dry-run output: cbor, json, text, hex or raw\n";

static const struct option long_options[] = {
	{ "archive", required_argument, NULL, OPT_ARCHIVE },
	{ "dry-run", no_argument, NULL, OPT_DRY_RUN },
	{ "force", no_argument, NULL, OPT_FORCE },
	{ "forks", required_argument, NULL, OPT_FORKS },
	{ "format", required_argument, NULL, 'f' },
	{ "keep-bodies", required_argument, NULL, OPT_KEEP_BODIES },
	{ "keep-bodies-above", required_argument, NULL, OPT_KEEP_BODIES_ABOVE },
	{ "keep-bodies-since", required_argument, NULL, OPT_KEEP_BODIES_SINCE },
	CS_COMMON_LONG_OPTIONS,
};

struct prune_cmd {
	struct cs_cli cli;
	struct cs_progress progress; /* on a terminal */
};

/* What the prune tells as it goes: a torn archive's cut, and on a
 * terminal the progress line, bodies and fork entries dropped of those
 * planned. */
static void
on_event(void *ctx, enum cs_prune_event ev, const struct cs_prune *p)
{
	struct prune_cmd *c = ctx;
	uint64_t done = p->stats.bodies + p->stats.fork_entries, total = p->body_count + p->fork_drops;

	if (ev == CS_PRUNE_ARCHIVE_CUT)
		cs_warn(&c->cli, "archive '%s': cut %llu bytes of a record left torn at byte %llu", p->archive->path,
		    (unsigned long long)p->archive->cut_bytes, (unsigned long long)p->archive->cut_at);
	if (ev == CS_PRUNE_PROGRESS && cs_progress_due(&c->progress)) {
		cs_progress_set_total(&c->progress, total);
		cs_progress_update(&c->progress, done, done, "%llu of %zu bodies, %llu of %zu fork entries dropped",
		    (unsigned long long)p->stats.bodies, p->body_count, (unsigned long long)p->stats.fork_entries,
		    p->fork_drops);
	}
}

static bool
on_stop(void *ctx)
{
	return cs_cli_interrupted() != 0;
}

static void
report(const struct cs_cli *cli, bool dry_run, const struct cs_prune_result *r)
{
	const struct cs_prune_stats *s = &r->stats;

	if (r->stopped) {
		cs_warn(cli, "interrupted: dropped %llu bodies and %llu fork entries, committed; the rest stays",
		    (unsigned long long)s->bodies, (unsigned long long)s->fork_entries);
		return;
	}
	if (dry_run) {
		cs_warn(cli, "dry run: would drop %zu bodies and %zu fork entries; %llu bytes on disk", r->body_plan,
		    r->fork_plan, (unsigned long long)r->bytes_before);
		return;
	}
	cs_warn(cli,
	    "dropped %llu bodies and %llu fork entries (%llu with a body), unindexed %llu transactions; "
	    "%llu bytes on disk before, %llu after",
	    (unsigned long long)s->bodies, (unsigned long long)s->fork_entries, (unsigned long long)s->fork_bodies,
	    (unsigned long long)s->transactions, (unsigned long long)r->bytes_before,
	    (unsigned long long)r->bytes_after);
}

int
main(int argc, char *argv[])
{
	static struct prune_cmd c;
	struct cs_prune_options o = { .event = on_event, .event_ctx = &c, .stop = on_stop };
	struct cs_cli *cli = &c.cli;
	struct cs_prune_result result;
	struct cs_error err;
	struct cs_out out;
	int opt, rc, bodies = 0;

	cs_leveldb_without_mmap(); /* before any store is opened (store.h) */
	cs_cli_init(cli, "cs-prune", usage_text, CS_FORMATS_OUTPUT);
	cs_cli_set_options(cli, options_text);
	while ((opt = cs_cli_getopt(cli, argc, argv, "f:" CS_COMMON_SHORT_OPTIONS, long_options)) != -1) {
		switch (opt) {
		case OPT_ARCHIVE:
			if (optarg[0] == '\0')
				cs_cli_usage_error(cli, "--archive needs a file name");
			o.archive = optarg;
			break;
		case OPT_DRY_RUN:
			o.dry_run = &out;
			break;
		case OPT_FORCE:
			o.force = true;
			break;
		case OPT_FORKS:
			if (cs_parse_u32(optarg, &o.keep_forks) != 0)
				cs_cli_usage_error(cli, "bad --forks '%s': expected a number of blocks", optarg);
			o.forks_on = true;
			break;
		case OPT_KEEP_BODIES:
			if (cs_parse_u32(optarg, &o.keep_bodies) != 0)
				cs_cli_usage_error(cli, "bad --keep-bodies '%s': expected a number of blocks", optarg);
			bodies += !o.bodies_on;
			o.bodies_on = true;
			break;
		case OPT_KEEP_BODIES_ABOVE:
			if (cs_parse_u32(optarg, &o.height) != 0)
				cs_cli_usage_error(cli, "bad --keep-bodies-above '%s': expected a height", optarg);
			bodies += !o.height_on;
			o.height_on = true;
			break;
		case OPT_KEEP_BODIES_SINCE:
			if (cs_prune_parse_time(optarg, &o.time) != 0)
				cs_cli_usage_error(cli,
				    "bad --keep-bodies-since '%s': expected a unix time or a UTC date, "
				    "YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS][Z]",
				    optarg);
			bodies += !o.time_on;
			o.time_on = true;
			break;
		default:
			cs_cli_option(cli, opt, optarg);
			break;
		}
	}
	if (optind != argc)
		cs_cli_usage_error(cli, "unexpected argument '%s'", argv[optind]);
	if (bodies == 0 && !o.forks_on)
		cs_cli_usage_error(cli,
		    "nothing to prune: give --keep-bodies or --forks, or --keep-bodies-above or --keep-bodies-since");
	if (bodies > 1)
		cs_cli_usage_error(cli, "--keep-bodies, --keep-bodies-above and --keep-bodies-since exclude each other");
	if (o.bodies_on && o.keep_bodies < CS_PRUNE_MIN_KEEP && !o.force)
		cs_cli_usage_error(cli,
		    "--keep-bodies %u is below %d (Bitcoin Core's MIN_BLOCKS_TO_KEEP): add --force to go below",
		    o.keep_bodies, CS_PRUNE_MIN_KEEP);
	if (cli->quiet)
		cli->verbose = 0;
	o.dir = cs_store_path(cli->store);
	o.command = cli->prog;
	o.wait = cli->wait;
	o.format = cs_cli_output_format(cli);
	o.measure = cli->verbose > 0;
	cs_out_init(&out, 1);
	cs_error_clear(&err);

	if (o.dry_run == NULL)
		cs_cli_catch_interrupts();
	cs_progress_start(&c.progress, cli->prog, "entries", cli->quiet);
	rc = cs_prune_store(&o, &result, &err);
	cs_progress_finish(&c.progress);
	if (rc == 0 && (cli->verbose || result.stopped))
		report(cli, o.dry_run != NULL, &result);
	if (rc == 0)
		rc = cs_out_finish(&out, &err);
	else
		cs_out_finish(&out, NULL);
	if (rc == 0 && result.stopped)
		cs_cli_exit_interrupted();
	return rc != 0 ? cs_fail(cli, &err) : 0;
}
