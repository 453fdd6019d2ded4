/*
 * cs-tip - print the active tip, or every chain tip with its branch length
 * (as bitcoin-cli getchaintips).
 */
#include "cli.h"
#include "exit.h"
#include "hex.h"
#include "output.h"
#include "store.h"
#include "writer.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

static const char usage_text[] = "[-qv] [-s DIR] [-w SECONDS] [-f FORMAT] [--all]";

enum { OPT_ALL = 256 };

static const char options_text[] =
    "  -f, --format FORMAT   cbor, json, text, hex or raw\n"
    "  -a, --all             every chain tip, with its branch length\n";

static const struct option long_options[] = {
	{ "all", no_argument, NULL, OPT_ALL },
	{ "format", required_argument, NULL, 'f' },
	CS_COMMON_LONG_OPTIONS,
};

struct tip {
	struct cs_entry entry; /* its header points into owned */
	char *owned;
	long branchlen;
};

struct tips {
	struct tip *v;
	size_t n, cap;
};

static int
collect(void *ctx, const uint8_t hash[32])
{
	struct tips *t = ctx;

	if (t->n == t->cap) {
		size_t cap = t->cap ? 2 * t->cap : 64;
		struct tip *grown = realloc(t->v, cap * sizeof(*grown));

		if (grown == NULL)
			return CS_EX_SOFTWARE;
		t->v = grown;
		t->cap = cap;
	}
	memset(&t->v[t->n], 0, sizeof(t->v[0]));
	memcpy(t->v[t->n++].entry.hash, hash, 32);
	return 0;
}

/* Highest first; the active tip first among equals. */
static int
by_height(const void *a, const void *b)
{
	const struct cs_entry *x = &((const struct tip *)a)->entry, *y = &((const struct tip *)b)->entry;

	if (x->height != y->height)
		return x->height > y->height ? -1 : 1;
	if (x->main != y->main)
		return x->main ? -1 : 1;
	return memcmp(x->hash, y->hash, 32);
}

/* The entries from the fork point to the tip: walk back to the main chain. */
static int
branch_length(struct cs_store *s, const struct cs_entry *tip, long *len, struct cs_error *err)
{
	uint8_t cur[32];
	long n = 0;
	int rc;

	memcpy(cur, tip->prev, 32);
	for (n = 1;; n++) {
		struct cs_entry e;
		char *owned;

		if ((rc = cs_store_get_entry(s, cur, &e, &owned, err)) != 0)
			return rc == CS_EX_NOTFOUND ? cs_error_set(err, CS_EX_IOERR, "store is corrupt: broken parent link")
						    : rc;
		memcpy(cur, e.prev, 32);
		cs_store_free(owned);
		if (e.main)
			break;
	}
	*len = n;
	return 0;
}

int
main(int argc, char *argv[])
{
	struct cs_print how = { .branchlen = -1 };
	struct tips tips = { NULL, 0, 0 };
	struct cs_chain_view view;
	struct cs_store store;
	struct cs_error err;
	struct cs_out out;
	struct cs_cli cli;
	bool all = false;
	uint8_t hash[32];
	int opt, rc;

	cs_cli_init(&cli, "cs-tip", usage_text, CS_FORMATS_OUTPUT);
	cs_cli_set_options(&cli, options_text);
	while ((opt = cs_cli_getopt(&cli, argc, argv, "af:" CS_COMMON_SHORT_OPTIONS, long_options)) != -1) {
		if (opt == OPT_ALL || opt == 'a')
			all = true;
		else
			cs_cli_option(&cli, opt, optarg);
	}
	if (optind != argc)
		cs_cli_usage_error(&cli, "unexpected argument '%s'", argv[optind]);
	how.format = cs_cli_output_format(&cli);
	cs_out_init(&out, 1);
	cs_error_clear(&err);

	if ((rc = cs_store_open_as(&store, cs_store_path(cli.store), cli.prog, cli.wait, false, CS_OPEN_READ, &err)) != 0)
		goto out;
	how.opaque = store.meta.opaque;
	cs_chain_view_init(&view, &store);
	how.view = &view;
	/* For people (text, or -v): a store that starts at a checkpoint says so. */
	if (!cli.quiet && (cli.verbose || how.format == CS_FORMAT_TEXT) &&
	    memcmp(store.meta.root, store.meta.genesis, 32) != 0) {
		char root[CS_HASH_HEX];

		cs_hash_to_display(store.meta.root, root);
		cs_warn(&cli, "store '%s' starts at checkpoint %" PRIu32 " %s", store.dir, store.meta.base_height, root);
	}
	if (all) {
		bool listed = false;

		/* The active tip is always listed, as getchaintips does, even when
		 * a child of no work (opaque work 0) left it without the tip key. */
		if ((rc = cs_store_each_tip(&store, collect, &tips, &err)) == 0 &&
		    (rc = cs_store_get_tip(&store, hash, &err)) == 0) {
			for (size_t i = 0; i < tips.n; i++)
				listed = listed || memcmp(tips.v[i].entry.hash, hash, 32) == 0;
			if (!listed)
				rc = collect(&tips, hash);
		}
	} else if ((rc = cs_store_get_tip(&store, hash, &err)) == 0) {
		rc = collect(&tips, hash);
	}
	for (size_t i = 0; i < tips.n && rc == 0; i++) {
		struct tip *t = &tips.v[i];

		memcpy(hash, t->entry.hash, 32);
		if ((rc = cs_store_get_entry(&store, hash, &t->entry, &t->owned, &err)) != 0)
			break;
		if (!t->entry.main)
			rc = branch_length(&store, &t->entry, &t->branchlen, &err);
	}
	if (rc == 0)
		qsort(tips.v, tips.n, sizeof(tips.v[0]), by_height);
	for (size_t i = 0; i < tips.n && rc == 0; i++) {
		if (all)
			how.branchlen = tips.v[i].branchlen;
		rc = cs_write_entry(&out, &how, &tips.v[i].entry, &err);
	}
out:
	/* Let go of the store before writing: the reader may be slow. */
	cs_store_close(&store);
	for (size_t i = 0; i < tips.n; i++)
		cs_store_free(tips.v[i].owned);
	free(tips.v);
	if (rc == CS_EX_NOTFOUND)
		rc = cs_error_set(&err, CS_EX_IOERR, "store is corrupt: a tip entry is missing");
	if (rc == 0)
		rc = cs_out_finish(&out, &err);
	else
		cs_out_finish(&out, NULL);
	return rc != 0 ? cs_fail(&cli, &err) : 0;
}
