/*
 * cs-get - print entries by hash, by main-chain height, by height range, the
 * newest N, or by keys read from standard input; or transactions by txid,
 * or proofs that blocks hold them.
 */
#include "cli.h"
#include "exit.h"
#include "get.h"
#include "grow.h"
#include "hex.h"
#include "output.h"
#include "store.h"
#include "writer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage_text[] =
    "[-qv] [-s DIR] [-w SECONDS] [-f FORMAT] [--body] [--decode] HASH ...\n"
    "[-qv] [-s DIR] [-w SECONDS] [-f FORMAT] [--body] [--decode] -n HEIGHT [-n HEIGHT ...]\n"
    "[-qv] [-s DIR] [-w SECONDS] [-f FORMAT] [--body] [--decode] --range A..B | --last N\n"
    "[-qv] [-s DIR] [-w SECONDS] [-f FORMAT] [--body] [--decode] -\n"
    "[-qv] [-s DIR] [-w SECONDS] [-f FORMAT] --tx TXID ...\n"
    "[-qv] [-s DIR] [-w SECONDS] [-f FORMAT] --proof TXID ... | -";

enum { OPT_BODY = 256, OPT_DECODE, OPT_LAST, OPT_RANGE, OPT_TX, OPT_PROOF };

static const char options_text[] =
    "  -f, --format FORMAT   cbor, json, text, hex or raw\n"
    "  -n, --height HEIGHT   the main-chain entry at HEIGHT (repeatable)\n"
    "  --range A..B          main-chain heights A to B (A.. and ..B open)\n"
    "  --last N              the newest N main-chain entries, oldest first\n"
    "  --body                print bodies too\n"
    "  --decode              cbor too: the header decoded as getblockheader's\n"
    "  --tx                  the arguments are txids: print each transaction\n"
    "  --proof               the arguments (or stdin's lines) are txids: print proofs\n";

static const struct option long_options[] = {
	{ "body", no_argument, NULL, OPT_BODY },
	{ "decode", no_argument, NULL, OPT_DECODE },
	{ "format", required_argument, NULL, 'f' },
	{ "height", required_argument, NULL, 'n' },
	{ "last", required_argument, NULL, OPT_LAST },
	{ "proof", no_argument, NULL, OPT_PROOF },
	{ "range", required_argument, NULL, OPT_RANGE },
	{ "tx", no_argument, NULL, OPT_TX },
	CS_COMMON_LONG_OPTIONS,
};

/* The block the last proof was cut from: the next txids are often its. */
struct get {
	struct cs_cli cli;
	struct cs_store store;
	struct cs_out out;
	struct cs_print how;
	struct cs_get get;
};

static void
on_missing(void *ctx, const char *message)
{
	cs_warn(ctx, "%s", message);
}

static int
parse_range(const char *text, uint32_t *from, uint32_t *to)
{
	const char *dots = strstr(text, "..");
	char left[16];
	size_t n;

	if (dots == NULL || (n = (size_t)(dots - text)) >= sizeof(left))
		return -1;
	memcpy(left, text, n);
	left[n] = '\0';
	*from = 0;
	*to = UINT32_MAX;
	if (n > 0 && cs_parse_u32(left, from) != 0)
		return -1;
	if (dots[2] != '\0' && cs_parse_u32(dots + 2, to) != 0)
		return -1;
	return *from <= *to ? 0 : -1;
}

int
main(int argc, char *argv[])
{
	static struct get g;
	uint32_t *heights = NULL, *grown, from = 0, to = 0, last = 0;
	size_t nheights = 0, heights_cap = 0;
	bool range = false, keys = false, tx = false, proof = false;
	unsigned printable;
	struct cs_error err;
	int opt, rc = 0, modes;

	cs_cli_init(&g.cli, "cs-get", usage_text, CS_FORMATS_OUTPUT);
	cs_cli_set_options(&g.cli, options_text);
	g.how.branchlen = -1;
	while ((opt = cs_cli_getopt(&g.cli, argc, argv, "f:n:" CS_COMMON_SHORT_OPTIONS, long_options)) != -1) {
		switch (opt) {
		case OPT_BODY:
			g.how.with_body = true;
			break;
		case OPT_DECODE:
			g.how.decode = true;
			break;
		case OPT_LAST:
			if (cs_parse_u32(optarg, &last) != 0 || last == 0)
				cs_cli_usage_error(&g.cli, "bad count '%s'", optarg);
			break;
		case OPT_TX:
			tx = true;
			break;
		case OPT_PROOF:
			proof = true;
			break;
		case 'n':
			if ((grown = cs_grow(heights, &heights_cap, nheights + 1, 8, sizeof(*heights))) == NULL)
				cs_cli_out_of_memory();
			heights = grown;
			if (cs_parse_u32(optarg, &heights[nheights++]) != 0)
				cs_cli_usage_error(&g.cli, "bad height '%s'", optarg);
			break;
		case OPT_RANGE:
			if (parse_range(optarg, &from, &to) != 0)
				cs_cli_usage_error(&g.cli, "bad range '%s': expected A..B, A.. or ..B", optarg);
			range = true;
			break;
		default:
			cs_cli_option(&g.cli, opt, optarg);
			break;
		}
	}
	argc -= optind;
	argv += optind;
	keys = argc == 1 && strcmp(argv[0], "-") == 0;
	modes = (argc > 0) + (nheights > 0) + range + (last > 0);
	if (modes != 1)
		cs_cli_usage_error(&g.cli, modes == 0 ? "nothing to get" : "give one of HASH, -n, --range, --last or -");
	if (tx && (argc == 0 || keys))
		cs_cli_usage_error(&g.cli, "--tx takes txids as arguments");
	if (tx && g.how.with_body)
		cs_cli_usage_error(&g.cli, "--tx prints transactions, not bodies");
	if (proof && (argc == 0 || tx || g.how.with_body))
		cs_cli_usage_error(&g.cli, "--proof takes txids as arguments, or - to read them");
	if (g.how.decode && (tx || proof))
		cs_cli_usage_error(&g.cli, "--decode decodes entries: --tx -f json decodes transactions");
	for (int i = 0; i < argc && !keys; i++) {
		uint8_t hash[32];

		if (cs_hash_from_display(argv[i], hash) != 0)
			cs_cli_usage_error(&g.cli, "bad hash '%s': expected 64 hex digits", argv[i]);
	}
	/* a proof is hex by default, as bitcoin-cli gettxoutproof prints it,
	 * whatever the terminal: $CS_FORMAT only when it names a proof's format */
	printable = CS_FORMATS_OUTPUT;
	if (proof)
		printable &= ~(1u << CS_FORMAT_TEXT);
	if (g.how.with_body)
		printable &= ~(1u << CS_FORMAT_RAW);
	g.how.format = cs_cli_output_format_of(&g.cli, printable, proof ? CS_FORMAT_HEX : cs_format_default_output());
	if (proof && g.how.format == CS_FORMAT_TEXT)
		cs_cli_usage_error(&g.cli, "--proof prints hex, raw, json or cbor");
	if (g.how.format == CS_FORMAT_RAW && g.how.with_body)
		cs_cli_usage_error(&g.cli, "raw carries headers only: use --body with cbor, json or hex");
	cs_out_init(&g.out, 1);
	cs_error_clear(&err);

	if ((rc = cs_store_open_as(&g.store, cs_store_path(g.cli.store), g.cli.prog, g.cli.wait, false, CS_OPEN_READ, &err)) != 0)
		goto out;
	g.how.opaque = g.store.meta.opaque;
	/* An opaque header has no fixed size: in hex it could not be told from
	 * the body after it. */
	if (g.how.opaque && g.how.format == CS_FORMAT_HEX && g.how.with_body && !g.cli.format_set)
		g.how.format = cs_format_default_output(); /* $CS_FORMAT's hex: not printable here */
	if (g.how.opaque && g.how.format == CS_FORMAT_HEX && g.how.with_body) {
		cs_store_close(&g.store);
		cs_cli_usage_error(&g.cli, "'%s' is an opaque store: use --body with cbor or json", g.store.dir);
	}
	if (proof && g.how.opaque) {
		cs_store_close(&g.store);
		cs_cli_usage_error(&g.cli, "'%s' is an opaque store: it holds no transactions to prove", g.store.dir);
	}
	cs_get_init(&g.get, &g.store, &g.out, &g.how);
	g.get.proof = proof;
	g.get.missing = on_missing;
	g.get.ctx = &g.cli;
	if (proof && !keys) {
		uint8_t(*txids)[32] = calloc((size_t)argc, sizeof(*txids));

		if (txids == NULL) {
			rc = cs_error_set(&err, CS_EX_SOFTWARE, "out of memory");
			goto out;
		}
		for (int i = 0; i < argc; i++)
			cs_hash_from_display(argv[i], txids[i]);
		rc = cs_get_proofs(&g.get, (const uint8_t(*)[32])txids, (size_t)argc, &err);
		free(txids);
	} else if (keys) {
		/* A command reading keys takes the store once its input has arrived. */
		cs_store_release(&g.store);
		rc = cs_get_keys(&g.get, &err);
	} else if (argc > 0) {
		for (int i = 0; i < argc && rc == 0 && !g.out.closed; i++) {
			uint8_t hash[32];

			cs_hash_from_display(argv[i], hash);
			rc = tx ? cs_get_tx(&g.get, hash, &err) : cs_get_hash(&g.get, hash, &err);
		}
	} else if (nheights > 0) {
		for (size_t i = 0; i < nheights && rc == 0 && !g.out.closed; i++)
			rc = cs_get_height(&g.get, heights[i], &err);
	} else if (range) {
		rc = cs_get_range(&g.get, from, to, &err);
	} else {
		rc = cs_get_last(&g.get, last, &err);
	}
out:
	cs_get_free(&g.get);
	cs_store_close(&g.store);
	free(heights);
	if (rc == 0)
		rc = cs_out_finish(&g.out, &err);
	else
		cs_out_finish(&g.out, NULL);
	return rc != 0 ? cs_fail(&g.cli, &err) : g.get.status;
}
