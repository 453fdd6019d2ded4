/*
 * cs-locator - print a block locator for the tip (or an entry), or answer a
 * peer's locator with the main-chain entries after the fork point, as
 * Bitcoin Core answers getheaders.
 */
#include "cborio.h"
#include "cli.h"
#include "exit.h"
#include "hex.h"
#include "locator.h"
#include "output.h"
#include "reader.h"
#include "store.h"
#include "writer.h"

#include <stdlib.h>
#include <string.h>

static const char usage_text[] =
    "[-qv] [-s DIR] [-w SECONDS] [-f FORMAT] [--from HASH]\n"
    "[-qv] [-s DIR] [-w SECONDS] [-f FORMAT] --headers [--stop HASH] [--max N]";

static const char options_text[] =
    "  -f, --format FORMAT   cbor, json, text or hex (--headers: raw too)\n"
    "  --from HASH           the locator of HASH instead of the tip\n"
    "  --headers             read a locator on stdin, print the entries after it\n"
    "  --stop HASH           with --headers: end after HASH\n"
    "  --max N               with --headers: at most N entries (default 2000)\n";

enum { OPT_FROM = 256, OPT_HEADERS, OPT_MAX, OPT_STOP };

/* Bitcoin Core's MAX_HEADERS_RESULTS. */
#define HEADERS_MAX_DEFAULT 2000

static const struct option long_options[] = {
	{ "format", required_argument, NULL, 'f' },
	{ "from", required_argument, NULL, OPT_FROM },
	{ "headers", no_argument, NULL, OPT_HEADERS },
	{ "max", required_argument, NULL, OPT_MAX },
	{ "stop", required_argument, NULL, OPT_STOP },
	CS_COMMON_LONG_OPTIONS,
};

struct locator {
	struct cs_cli cli;
	struct cs_store store;
	struct cs_out out;
	struct cs_print how;
	struct cs_chain_view view;
	uint8_t hashes[CS_LOCATOR_MAX][32];
	size_t count;
};

static void
write_locator(struct locator *l)
{
	char hex[CS_HASH_HEX];

	switch (l->how.format) {
	case CS_FORMAT_CBOR: {
		size_t room = 9 + l->count * 34;
		uint8_t *start = cs_out_reserve(&l->out, room);
		struct cs_cbor_cursor c = { start, start + room, false };

		if (start == NULL)
			break;
		cs_cbor_put_array(&c, l->count);
		for (size_t i = 0; i < l->count; i++)
			cs_cbor_put_bytes(&c, l->hashes[i], 32);
		cs_out_commit(&l->out, (size_t)(c.p - start));
		break;
	}
	case CS_FORMAT_JSON:
		cs_out_write(&l->out, "[", 1);
		for (size_t i = 0; i < l->count; i++) {
			cs_hash_to_display(l->hashes[i], hex);
			cs_out_printf(&l->out, "%s\"%s\"", i > 0 ? "," : "", hex);
		}
		cs_out_write(&l->out, "]\n", 2);
		break;
	default:
		for (size_t i = 0; i < l->count; i++) {
			cs_hash_to_display(l->hashes[i], hex);
			cs_out_printf(&l->out, "%s\n", hex);
		}
		break;
	}
}

static int
not_found(struct locator *l, const uint8_t hash[32], struct cs_error *err)
{
	char hex[CS_HASH_HEX];

	cs_hash_to_display(hash, hex);
	return cs_error_set(err, CS_EX_NOTFOUND, "'%s': not found", hex);
}

static int
build(struct locator *l, const uint8_t *from, struct cs_error *err)
{
	int rc;

	rc = cs_locator_build(&l->store, from, l->hashes, &l->count, err);
	if (rc == CS_EX_NOTFOUND && from != NULL)
		return not_found(l, from, err);
	if (rc == 0)
		write_locator(l);
	return rc;
}

/* The whole locator, before the store is taken: CBOR arrays and hashes,
 * a JSON array line, or display-hex lines, as one locator. */
static int
read_locator(struct locator *l, struct cs_error *err)
{
	struct cs_reader reader;
	struct cs_key key;
	int rc;

	if ((rc = cs_reader_open(&reader, NULL, CS_FORMAT_CBOR, NULL, err)) != 0)
		return rc;
	for (;;) {
		enum cs_read st = cs_reader_next_key(&reader, &key, true, err);
		size_t n;

		if (st == CS_READ_END)
			break;
		if (st != CS_READ_RECORD) {
			rc = err->code != 0 ? err->code : CS_EX_SOFTWARE;
			break;
		}
		/* key is filled only for a record */
		n = key.kind == CS_KEY_LOCATOR ? key.count : 1;
		/* cs-get takes these as keys; a locator is hashes only */
		if (key.kind == CS_KEY_HEIGHT || key.entry) {
			rc = cs_error_set(err, CS_EX_DATAERR, "item %llu at byte %llu: %s is not a locator hash",
			    (unsigned long long)key.item, (unsigned long long)key.offset,
			    key.entry ? "an entry" : "a height");
			break;
		}
		if (l->count + n > CS_LOCATOR_MAX) {
			rc = cs_error_set(err, CS_EX_DATAERR, "item %llu at byte %llu: locator longer than 101 hashes",
			    (unsigned long long)key.item, (unsigned long long)key.offset);
			break;
		}
		if (key.kind == CS_KEY_LOCATOR)
			memcpy(l->hashes[l->count], key.hashes, n * 32);
		else
			memcpy(l->hashes[l->count], key.hash, 32);
		l->count += n;
	}
	cs_reader_close(&reader);
	return rc;
}

/* Prints the entry of hash. */
static int
print_entry(struct locator *l, const uint8_t hash[32], struct cs_error *err)
{
	struct cs_entry e;
	char *owned;
	int rc = cs_store_get_entry(&l->store, hash, &e, &owned, err);

	if (rc != 0)
		return rc;
	rc = cs_write_entry(&l->out, &l->how, &e, err);
	cs_store_free(owned);
	return rc;
}

/* getheaders: the main-chain entries after the fork point, at most max,
 * ending after stop. A large answer is written out in pieces, letting go of
 * the store in between; a reorganisation meanwhile ends the answer where
 * it no longer connects. */
static int
answer(struct locator *l, const uint8_t *stop, uint32_t max, struct cs_error *err)
{
	struct cs_main_cursor cursor;
	struct cs_entry e;
	uint8_t last[32];
	bool connected, have_last = false;
	uint32_t height;
	int rc = 0;

	if (l->count == 0) {
		if (stop == NULL)
			return 0;
		/* Core answers the stop entry alone, on whatever branch it is. */
		if ((rc = cs_store_has_entry(&l->store, stop, &connected, err)) != 0)
			return rc;
		return connected ? print_entry(l, stop, err) : not_found(l, stop, err);
	}
	if ((rc = cs_locator_fork_point(&l->store, (const uint8_t(*)[32])l->hashes, l->count, &height, err)) != 0)
		return rc;
	if (height == UINT32_MAX)
		return 0;
	cs_main_cursor_init(&cursor, &l->store, height + 1);
	for (uint32_t n = 0; n < max && !l->out.closed; n++) {
		if ((rc = cs_out_drain(&l->out, &l->store, false, err)) != 0 ||
		    (rc = cs_store_acquire(&l->store, err)) != 0 ||
		    (rc = cs_main_cursor_next(&cursor, &e, err)) != 0)
			break;
		/* A reorganisation while the store was let go: the answer ends
		 * where it no longer connects. */
		if (have_last && memcmp(e.prev, last, 32) != 0)
			break;
		if ((rc = cs_write_entry(&l->out, &l->how, &e, err)) != 0)
			break;
		if (stop != NULL && memcmp(e.hash, stop, 32) == 0)
			break;
		memcpy(last, e.hash, 32);
		have_last = true;
	}
	cs_main_cursor_close(&cursor);
	return rc == CS_EX_NOTFOUND ? 0 : rc;
}

static void
parse_hash(struct locator *l, const char *text, uint8_t hash[32])
{
	if (cs_hash_from_display(text, hash) != 0)
		cs_cli_usage_error(&l->cli, "bad hash '%s': expected 64 hex digits", text);
}

int
main(int argc, char *argv[])
{
	static struct locator l;
	uint8_t from[32], stop[32];
	bool has_from = false, has_stop = false, has_max = false, headers = false;
	uint32_t max = HEADERS_MAX_DEFAULT;
	struct cs_error err;
	int opt, rc;

	cs_cli_init(&l.cli, "cs-locator", usage_text, CS_FORMATS_OUTPUT);
	cs_cli_set_options(&l.cli, options_text);
	l.how.branchlen = -1;
	while ((opt = cs_cli_getopt(&l.cli, argc, argv, "f:" CS_COMMON_SHORT_OPTIONS, long_options)) != -1) {
		switch (opt) {
		case OPT_FROM:
			parse_hash(&l, optarg, from);
			has_from = true;
			break;
		case OPT_HEADERS:
			headers = true;
			break;
		case OPT_MAX:
			if (cs_parse_u32(optarg, &max) != 0 || max == 0)
				cs_cli_usage_error(&l.cli, "bad count '%s': expected at least 1", optarg);
			has_max = true;
			break;
		case OPT_STOP:
			parse_hash(&l, optarg, stop);
			has_stop = true;
			break;
		default:
			cs_cli_option(&l.cli, opt, optarg);
			break;
		}
	}
	if (optind != argc)
		cs_cli_usage_error(&l.cli, "unexpected argument '%s'", argv[optind]);
	if (headers && has_from)
		cs_cli_usage_error(&l.cli, "--from makes a locator: it does not go with --headers");
	if (!headers && (has_stop || has_max))
		cs_cli_usage_error(&l.cli, "--%s goes with --headers", has_stop ? "stop" : "max");
	l.how.format = cs_cli_output_format_of(&l.cli, headers ? CS_FORMATS_OUTPUT : CS_FORMATS_OUTPUT & ~(1u << CS_FORMAT_RAW),
	    cs_format_default_output());
	if (!headers && l.how.format == CS_FORMAT_RAW)
		cs_cli_usage_error(&l.cli, "a locator is printed as cbor, json, text or hex");
	cs_out_init(&l.out, 1);
	cs_error_clear(&err);

	/* A command reading stdin takes the store once its input has arrived. */
	if (headers && (rc = read_locator(&l, &err)) != 0)
		goto out;
	if ((rc = cs_store_open_as(&l.store, cs_store_path(l.cli.store), l.cli.prog, l.cli.wait, false, CS_OPEN_READ, &err)) != 0)
		goto out;
	l.how.opaque = l.store.meta.opaque;
	cs_chain_view_init(&l.view, &l.store);
	l.how.view = &l.view;
	if (headers)
		rc = answer(&l, has_stop ? stop : NULL, max, &err);
	else
		rc = build(&l, has_from ? from : NULL, &err);
out:
	/* Let go of the store before writing: the reader may be slow. */
	cs_store_close(&l.store);
	if (rc == 0)
		rc = cs_out_finish(&l.out, &err);
	else
		cs_out_finish(&l.out, NULL);
	return rc != 0 ? cs_fail(&l.cli, &err) : 0;
}
