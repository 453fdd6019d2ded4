/*
 * cs-put - add entries to a store from standard input or files, in atomic,
 * synced commits, letting go of the store between them.
 */
#include "chain.h"
#include "cli.h"
#include "exit.h"
#include "hex.h"
#include "network.h"
#include "progress.h"
#include "reader.h"
#include "store.h"

#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
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

/* Entries with unknown parents named one by one at the end (-v: all);
 * the rest are counted. */
#define ORPHANS_SHOWN 3

/* An entry left waiting for its parent, as its message names it. */
struct orphan {
	int input; /* which input, for the order */
	const char *source;
	uint64_t item, offset;
	uint8_t prev[32];
};

struct put {
	struct cs_cli cli;
	struct cs_store store;
	struct cs_import import;
	struct cs_progress progress;
	char *const *inputs; /* the FILE operands */
	int ninputs;
	bool keep_going;
	bool stopped; /* bad input ended the import */
	int status;   /* 0, or 65 once bad input was reported */
	/* the first ORPHANS_SHOWN orphans in input order, and how many */
	struct orphan orphans[ORPHANS_SHOWN];
	size_t norphans;
	uint64_t orphans_total;
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
show_progress(struct put *p, const struct cs_reader *reader)
{
	cs_progress_update(&p->progress, p->import.stats.read, cs_input_offset(&reader->in),
	    "%llu read, %llu added, tip height %u", (unsigned long long)p->import.stats.read,
	    (unsigned long long)p->import.stats.added,
	    p->import.tip_height > p->import.best_height ? p->import.tip_height : p->import.best_height);
}

/* The built-in network other than the store's whose genesis rec is, or
 * chains from: a whole input of another network's headers, named once
 * rather than as an unknown parent for each of its entries. */
static const struct cs_network *
foreign_network(const struct put *p, const struct cs_record *rec)
{
	static uint8_t genesis[16][32];
	static size_t count;
	const struct cs_network *const *all = cs_network_all();
	uint8_t hash[32];

	if (p->store.meta.opaque || !rec->has_header || rec->header_len != CS_HEADER_SIZE)
		return NULL;
	if (count == 0) {
		for (; all[count] != NULL && count < sizeof(genesis) / sizeof(genesis[0]); count++) {
			uint8_t header[CS_HEADER_SIZE];

			cs_hex_decode(all[count]->genesis_hex, CS_HEADER_SIZE, header);
			cs_header_hash(header, genesis[count]);
		}
	}
	cs_header_hash(rec->header, hash);
	for (size_t i = 0; i < count; i++) {
		if (memcmp(genesis[i], p->store.meta.genesis, 32) == 0)
			continue;
		if (memcmp(hash, genesis[i], 32) == 0 || memcmp(cs_header_prev(rec->header), genesis[i], 32) == 0)
			return all[i];
	}
	return NULL;
}

/* -v: one line per commit once it is synced, so that a script (or a crash
 * trial) knows what is durable. */
static void
report_commit(const struct put *p)
{
	char hex[CS_HASH_HEX];

	cs_hash_to_display(p->import.tip, hex);
	cs_warn(&p->cli, "committed: %llu read, %llu added; tip %u %s", (unsigned long long)p->import.stats.read,
	    (unsigned long long)p->import.stats.added, p->import.tip_height, hex);
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
	/* Ctrl-C stops between records: the batch holds whole entries. */
	while (!cs_cli_interrupted()) {
		enum cs_read st = cs_reader_next(&reader, &rec, false, err);
		const struct cs_network *net;

		if (st == CS_READ_WOULD_BLOCK) {
			/* Never hold the store while waiting for input. */
			if ((rc = commit(p, true, err)) != 0)
				break;
			cs_cli_wait_input(reader.in.fd);
			continue;
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
		if (rec.item == 1 && (net = foreign_network(p, &rec)) != NULL) {
			struct cs_error foreign;

			/* the rest of this input is that network's too */
			cs_error_set(&foreign, CS_EX_DATAERR,
			    "these headers are not from this store's network (%s): they are %s's", p->store.meta.network,
			    net->name);
			bad_input(p, &foreign, rec.source);
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
		show_progress(p, &reader);
	}
	cs_progress_input_done(&p->progress, cs_input_offset(&reader.in));
	cs_reader_close(&reader);
	return rc;
}

static void
report_orphan(struct put *p, const struct orphan *o)
{
	struct cs_error err;
	char hex[CS_HASH_HEX];

	cs_hash_to_display(o->prev, hex);
	cs_error_set(&err, CS_EX_DATAERR, "item %llu at byte %llu: unknown parent %s", (unsigned long long)o->item,
	    (unsigned long long)o->offset, hex);
	bad_input(p, &err, o->source);
}

static bool
orphan_before(const struct orphan *a, const struct orphan *b)
{
	return a->input != b->input ? a->input < b->input : a->item < b->item;
}

/* Each entry left waiting for its parent: with -v named at once, else
 * the first few in input order kept for collect_orphans. */
static void
note_orphan(void *ctx, const struct cs_record *rec)
{
	struct put *p = ctx;
	struct orphan o = { 0, rec->source, rec->item, rec->offset, { 0 } };
	size_t i;

	memcpy(o.prev, rec->prev, 32);
	for (int k = 0; k < p->ninputs; k++)
		if (p->inputs[k] == rec->source)
			o.input = k;
	p->orphans_total++;
	if (p->cli.verbose > 0) {
		report_orphan(p, &o);
		return;
	}
	p->status = CS_EX_DATAERR;
	for (i = p->norphans; i > 0 && orphan_before(&o, &p->orphans[i - 1]); i--)
		if (i < ORPHANS_SHOWN)
			p->orphans[i] = p->orphans[i - 1];
	if (i < ORPHANS_SHOWN)
		p->orphans[i] = o;
	if (p->norphans < ORPHANS_SHOWN)
		p->norphans++;
}

/* The entries the input left without a parent: a few named, the rest
 * counted, so that a wrong input is not a screenful per entry. */
static void
report_orphans(struct put *p)
{
	uint64_t more;

	cs_import_each_orphan(&p->import, note_orphan, p);
	for (size_t i = 0; i < p->norphans; i++)
		report_orphan(p, &p->orphans[i]);
	more = p->orphans_total - p->norphans;
	if (p->cli.verbose == 0 && more > 0)
		cs_warn(&p->cli, "... and %llu more %s (-v names every one)", (unsigned long long)more,
		    more == 1 ? "entry with an unknown parent" : "entries with unknown parents");
}

static void
summary(struct put *p)
{
	struct cs_import_stats *s = &p->import.stats;
	char hex[CS_HASH_HEX], bodies[48] = "";
	struct cs_error err;
	uint8_t tip[32];
	uint32_t tip_height;

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

/* Stopped by SIGINT or SIGTERM: what the store holds of this import. The
 * entries waiting for a parent were not stored, and need not be wrong:
 * their parents may simply not have been read yet. */
static void
report_interrupted(struct put *p)
{
	char hex[CS_HASH_HEX], waiting[96] = "";
	size_t orphans = cs_import_orphan_count(&p->import);
	struct cs_error err;
	uint8_t tip[32];
	uint32_t tip_height;

	if (orphans > 0)
		snprintf(waiting, sizeof(waiting), " (%zu read %s waiting for a parent, not stored)", orphans,
		    orphans == 1 ? "entry was" : "entries were");
	if (cs_store_acquire(&p->store, &err) != 0 || cs_import_tip(&p->import, tip, &tip_height, &err) != 0) {
		cs_warn(&p->cli, "interrupted: %llu %s committed%s", (unsigned long long)p->import.stats.added,
		    p->import.stats.added == 1 ? "entry" : "entries", waiting);
		return;
	}
	cs_hash_to_display(tip, hex);
	cs_warn(&p->cli, "interrupted: %llu %s committed, tip %u %s%s", (unsigned long long)p->import.stats.added,
	    p->import.stats.added == 1 ? "entry" : "entries", tip_height, hex, waiting);
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
	p.inputs = argv + optind;
	p.ninputs = argc - optind;
	cs_cli_catch_interrupts();
	cs_progress_start(&p.progress, p.cli.prog, "entries", p.cli.quiet);
	cs_progress_set_inputs(&p.progress, p.ninputs, p.inputs);
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
	for (i = optind; i < argc && rc == 0 && !p.stopped && !cs_cli_interrupted(); i++)
		rc = put_input(&p, argv[i], &err);
	cs_progress_finish(&p.progress);

	/* Commit what came before any failure: it stays (cs(7) "Bad input"). */
	{
		struct cs_error commit_err;

		if (commit(&p, false, &commit_err) != 0 && rc == 0) {
			err = commit_err;
			rc = err.code;
		}
		/* Let LevelDB finish the compactions the import made due, so
		 * that every later command does not start them again (not
		 * when told to stop: the next writer does). */
		if (p.import.stats.added > 0 && !cs_cli_interrupted() && cs_store_settle(&p.store, SETTLE_MS, &commit_err) != 0 && rc == 0) {
			err = commit_err;
			rc = err.code;
		}
	}
	if (rc == 0 && cs_cli_interrupted()) {
		report_interrupted(&p);
		cs_import_free(&p.import);
		cs_store_close(&p.store);
		cs_cli_exit_interrupted();
	}
	report_orphans(&p);
	if (rc == 0)
		summary(&p);
out:
	cs_import_free(&p.import);
	cs_store_close(&p.store);
	return rc != 0 ? cs_fail(&p.cli, &err) : p.status;
}
