/*
 * cs-tip - print the active tip, or every chain tip with its branch length
 * and status (as bitcoin-cli getchaintips); mark an entry invalid, or undo
 * it (as bitcoin-cli invalidateblock and reconsiderblock).
 */
#include "chain.h"
#include "cborio.h"
#include "cli.h"
#include "exit.h"
#include "grow.h"
#include "hex.h"
#include "output.h"
#include "store.h"
#include "writer.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

static const char usage_text[] =
    "[-qv] [-s DIR] [-w SECONDS] [-f FORMAT] [--all] [--array] [--decode]\n"
    "[-qv] [-s DIR] [-w SECONDS] [-f FORMAT] [--all] [--array] [--decode] --invalidate HASH | --reconsider HASH";

enum { OPT_ALL = 256, OPT_ARRAY, OPT_DECODE, OPT_INVALIDATE, OPT_RECONSIDER };

static const char options_text[] =
    "  -f, --format FORMAT   cbor, json, text, hex or raw\n"
    "  -a, --all             every chain tip, with its branch length and status\n"
    "      --array           cbor and json: the tips as one array\n"
    "      --decode          cbor too: the header decoded as getblockheader's\n"
    "      --invalidate HASH  mark the entry invalid; the tip moves off it\n"
    "      --reconsider HASH  clear the marks of the entry, its descendants and ancestors\n";

static const struct option long_options[] = {
	{ "all", no_argument, NULL, OPT_ALL },
	{ "array", no_argument, NULL, OPT_ARRAY },
	{ "decode", no_argument, NULL, OPT_DECODE },
	{ "format", required_argument, NULL, 'f' },
	{ "invalidate", required_argument, NULL, OPT_INVALIDATE },
	{ "reconsider", required_argument, NULL, OPT_RECONSIDER },
	CS_COMMON_LONG_OPTIONS,
};

struct tip {
	struct cs_entry entry; /* its header points into owned */
	char *owned;
	struct cs_branch branch;
	const char *status;
};

struct tips {
	struct tip *v;
	size_t n, cap;
};

static int
collect(void *ctx, const uint8_t hash[32], struct cs_error *err)
{
	struct tips *t = ctx;

	struct tip *grown = cs_grow(t->v, &t->cap, t->n + 1, 64, sizeof(*grown));

	if (grown == NULL)
		return cs_error_set(err, CS_EX_SOFTWARE, "out of memory");
	t->v = grown;
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

/* getchaintips's status, from what this store knows of the branch. */
static const char *
tip_status(const struct tip *t)
{
	if (t->entry.main)
		return "active";
	if (t->branch.invalid)
		return "invalid";
	return t->branch.bodies ? "valid-fork" : "valid-headers";
}

/* The tips to print, read whole: every chain tip with --all (the active
 * one always among them, as getchaintips lists it even when a child of
 * no work, or an invalid one, follows it), else the active tip. */
static int
read_tips(struct cs_store *store, bool all, struct tips *tips, struct cs_error *err)
{
	struct cs_marks marks = { NULL, 0, 0, 0 };
	uint8_t hash[32];
	int rc;

	if ((rc = cs_store_get_tip(store, hash, err)) != 0)
		return rc;
	if (all) {
		bool listed = false;

		if ((rc = cs_store_each_tip(store, collect, tips, err)) != 0 ||
		    (rc = cs_marks_load(store, &marks, err)) != 0)
			goto out;
		for (size_t i = 0; i < tips->n; i++)
			listed = listed || memcmp(tips->v[i].entry.hash, hash, 32) == 0;
		if (!listed)
			rc = collect(tips, hash, err);
	} else {
		rc = collect(tips, hash, err);
	}
	for (size_t i = 0; i < tips->n && rc == 0; i++) {
		struct tip *t = &tips->v[i];

		memcpy(hash, t->entry.hash, 32);
		if ((rc = cs_store_get_entry(store, hash, &t->entry, &t->owned, err)) != 0) {
			if (rc == CS_EX_NOTFOUND)
				rc = cs_error_set(err, CS_EX_IOERR, "store '%s' is corrupt: a tip entry is missing",
				    store->dir);
			break;
		}
		if (all && (rc = cs_chain_branch(store, &marks, &t->entry, &t->branch, err)) == 0)
			t->status = tip_status(t);
	}
	if (rc == 0)
		qsort(tips->v, tips->n, sizeof(tips->v[0]), by_height);
out:
	cs_marks_free(&marks);
	return rc;
}

static int
write_tips(struct cs_out *out, struct cs_print *how, bool all, bool array, const struct tips *tips,
    struct cs_error *err)
{
	int rc;

	if (array && how->format == CS_FORMAT_CBOR) {
		uint8_t *head = cs_out_reserve(out, 9);
		struct cs_cbor_cursor c = { head, head + 9, false };

		if (head == NULL)
			return 0; /* out of memory: cs_out_finish says so */
		cs_cbor_put_array(&c, tips->n);
		cs_out_commit(out, (size_t)(c.p - head));
	} else if (array) {
		cs_out_write(out, "[", 1);
	}
	for (size_t i = 0; i < tips->n; i++) {
		if (all) {
			how->branchlen = tips->v[i].branch.length;
			how->status = tips->v[i].status;
		}
		if (array && how->format == CS_FORMAT_JSON && i > 0)
			cs_out_write(out, ",", 1);
		if ((rc = cs_write_entry(out, how, &tips->v[i].entry, err)) != 0)
			return rc;
		/* one array on one line: the object's own newline goes */
		if (array && how->format == CS_FORMAT_JSON && out->len > 0 && out->buf[out->len - 1] == '\n')
			out->len--;
	}
	if (array && how->format == CS_FORMAT_JSON)
		cs_out_write(out, "]\n", 2);
	return 0;
}

/* -v: what a mark did. */
static void
report(const struct cs_cli *cli, bool invalidate, const uint8_t hash[32], const struct cs_mark_report *r)
{
	char a[CS_HASH_HEX], b[CS_HASH_HEX];

	cs_hash_to_display(hash, a);
	if (invalidate && r->marked == 0)
		cs_warn(cli, "'%s' was marked invalid already", a);
	else if (invalidate)
		cs_warn(cli, "marked '%s' invalid", a);
	else
		cs_warn(cli, "cleared %zu %s ('%s', its descendants and ancestors)", r->cleared,
		    r->cleared == 1 ? "mark" : "marks", a);
	cs_hash_to_display(r->tip, b);
	if (memcmp(r->old_tip, r->tip, 32) != 0) {
		cs_hash_to_display(r->old_tip, a);
		cs_warn(cli, "tip moved from %" PRIu32 " %s to %" PRIu32 " %s", r->old_height, a, r->height, b);
	} else {
		cs_warn(cli, "tip stays at %" PRIu32 " %s", r->height, b);
	}
}

int
main(int argc, char *argv[])
{
	struct cs_print how = { .branchlen = -1 };
	struct tips tips = { NULL, 0, 0 };
	struct cs_chain_view view;
	struct cs_mark_report marked;
	struct cs_store store;
	struct cs_error err;
	struct cs_out out;
	struct cs_cli cli;
	bool all = false, array = false;
	const char *target = NULL;
	uint8_t hash[32];
	int opt, op = 0, rc;

	cs_cli_init(&cli, "cs-tip", usage_text, CS_FORMATS_OUTPUT);
	cs_cli_set_options(&cli, options_text);
	while ((opt = cs_cli_getopt(&cli, argc, argv, "af:" CS_COMMON_SHORT_OPTIONS, long_options)) != -1) {
		if (opt == OPT_ALL || opt == 'a') {
			all = true;
		} else if (opt == OPT_ARRAY) {
			array = true;
		} else if (opt == OPT_DECODE) {
			how.decode = true;
		} else if (opt == OPT_INVALIDATE || opt == OPT_RECONSIDER) {
			if (op != 0)
				cs_cli_usage_error(&cli, "--invalidate and --reconsider name one entry, once");
			op = opt;
			target = optarg;
		} else {
			cs_cli_option(&cli, opt, optarg);
		}
	}
	if (optind != argc)
		cs_cli_usage_error(&cli, "unexpected argument '%s'", argv[optind]);
	if (target != NULL && cs_hash_from_display(target, hash) != 0)
		cs_cli_usage_error(&cli, "bad hash '%s': expected 64 hex digits", target);
	how.format = cs_cli_output_format(&cli);
	if (array && how.format != CS_FORMAT_JSON && how.format != CS_FORMAT_CBOR)
		cs_cli_usage_error(&cli, "--array is for -f json and -f cbor");
	cs_out_init(&out, 1);
	cs_error_clear(&err);

	/* Marking writes: the store is taken as cs-put takes it. */
	if ((rc = cs_store_open_as(&store, cs_store_path(cli.store), cli.prog, cli.wait, false,
		 op != 0 ? CS_OPEN_WRITE : CS_OPEN_READ, &err)) != 0)
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
	if (op == OPT_INVALIDATE)
		rc = cs_chain_invalidate(&store, hash, &marked, &err);
	else if (op == OPT_RECONSIDER)
		rc = cs_chain_reconsider(&store, hash, &marked, &err);
	if (rc == 0 && op != 0 && cli.verbose)
		report(&cli, op == OPT_INVALIDATE, hash, &marked);
	if (rc == 0 && op != 0)
		rc = cs_store_check_background(&store, &err);
	if (rc == 0)
		rc = read_tips(&store, all, &tips, &err);
	if (rc == 0)
		rc = write_tips(&out, &how, all, array, &tips, &err);
out:
	/* Let go of the store before writing: the reader may be slow. */
	cs_store_close(&store);
	for (size_t i = 0; i < tips.n; i++)
		cs_store_free(tips.v[i].owned);
	free(tips.v);
	if (rc == 0)
		rc = cs_out_finish(&out, &err);
	else
		cs_out_finish(&out, NULL);
	return rc != 0 ? cs_fail(&cli, &err) : 0;
}
