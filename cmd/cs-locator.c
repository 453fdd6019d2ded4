/*
 * cs-locator - print a block locator for the tip (or an entry), or answer a
 * peer's locator with the main-chain entries after the fork point, as
 * Bitcoin Core answers getheaders.
 */
#include "cli.h"
#include "exit.h"
#include "hex.h"
#include "locator.h"
#include "output.h"
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
	if (headers && (rc = cs_locator_read(l.hashes, &l.count, &err)) != 0)
		goto out;
	if ((rc = cs_store_open_as(&l.store, cs_store_path(l.cli.store), l.cli.prog, l.cli.wait, false, CS_OPEN_READ, &err)) != 0)
		goto out;
	l.how.opaque = l.store.meta.opaque;
	cs_chain_view_init(&l.view, &l.store);
	l.how.view = &l.view;
	if (headers)
		rc = cs_locator_answer(&l.store, &l.out, &l.how, (const uint8_t(*)[32])l.hashes, l.count, has_stop ? stop : NULL,
		    max, &err);
	else if ((rc = cs_locator_build(&l.store, has_from ? from : NULL, l.hashes, &l.count, &err)) == 0)
		cs_locator_write(&l.out, l.how.format, (const uint8_t(*)[32])l.hashes, l.count);
out:
	/* Let go of the store before writing: the reader may be slow. */
	cs_store_close(&l.store);
	if (rc == 0)
		rc = cs_out_finish(&l.out, &err);
	else
		cs_out_finish(&l.out, NULL);
	return rc != 0 ? cs_fail(&l.cli, &err) : 0;
}
