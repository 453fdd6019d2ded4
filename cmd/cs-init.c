/*
 * cs-init - create a store for a network, a custom genesis, or an opaque chain.
 */
#include "cli.h"
#include "exit.h"
#include "genesis.h"
#include "header.h"
#include "hex.h"
#include "network.h"
#include "pow.h"
#include "reader.h"
#include "store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage_text[] =
    "[-qv] [-s DIR] [-w SECONDS] [--network NET]\n"
    "[-qv] [-s DIR] [-w SECONDS] --genesis HEX [--pow-limit BITS] [--rules NET]\n"
    "[-qv] [-s DIR] [-w SECONDS] --opaque [-f cbor|json] < GENESIS";

enum { OPT_GENESIS = 256, OPT_NETWORK, OPT_OPAQUE, OPT_POW_LIMIT, OPT_RULES };

static const char options_text[] =
    "  --network NET         mainnet (default), testnet3, testnet4, signet or regtest\n"
    "  --genesis HEX         a custom chain from this 80-byte genesis header\n"
    "  --pow-limit BITS      with --genesis: the proof-of-work limit (compact, hex)\n"
    "  --rules NET           with --genesis: Bitcoin Core's header rules of NET (mainnet,\n"
    "                        testnet3, testnet4, signet, regtest) under the chain's own\n"
    "                        limit; none (default): proof of work only\n"
    "  --opaque              an opaque chain; the genesis entry is read on stdin\n"
    "  -f, --format FORMAT   with --opaque: cbor (default) or json\n";

static const struct option long_options[] = {
	{ "format", required_argument, NULL, 'f' },
	{ "genesis", required_argument, NULL, OPT_GENESIS },
	{ "network", required_argument, NULL, OPT_NETWORK },
	{ "opaque", no_argument, NULL, OPT_OPAQUE },
	{ "pow-limit", required_argument, NULL, OPT_POW_LIMIT },
	{ "rules", required_argument, NULL, OPT_RULES },
	CS_COMMON_LONG_OPTIONS,
};

/* An opaque genesis: the one entry on standard input. Its header and body
 * are copied into *owned (free it), since reading on moves the input. */
static int
opaque_genesis(enum cs_format format, struct cs_reader *r, struct cs_store_meta *meta, struct cs_entry *e,
    uint8_t **owned, struct cs_error *err)
{
	struct cs_record rec;
	int rc;

	if ((rc = cs_reader_open(r, NULL, format, NULL, err)) != 0)
		return rc;
	switch (cs_reader_next(r, &rec, true, err)) {
	case CS_READ_RECORD:
		break;
	case CS_READ_END:
		return cs_error_set(err, CS_EX_DATAERR, "no genesis entry on standard input");
	default:
		return err->code;
	}
	if ((rc = cs_genesis_opaque(&rec, meta, e, err)) != 0)
		return rc;
	if ((*owned = malloc(e->header_len + e->body_len + 1)) == NULL)
		return cs_error_set(err, CS_EX_SOFTWARE, "out of memory");
	memcpy(*owned, e->header, e->header_len);
	e->header = *owned;
	if (e->body != NULL) {
		memcpy(*owned + e->header_len, e->body, e->body_len);
		e->body = *owned + e->header_len;
	}
	/* The genesis is one entry: more is a mistake (a whole chain piped
	 * into cs-init), not something to drop unread. */
	switch (cs_reader_next(r, &rec, true, err)) {
	case CS_READ_END:
		return 0;
	case CS_READ_RECORD:
		return cs_error_set(err, CS_EX_DATAERR,
		    "item %llu at byte %llu: only the genesis entry goes to cs-init; the others go to cs-put",
		    (unsigned long long)rec.item, (unsigned long long)rec.offset);
	default:
		return err->code;
	}
}

int
main(int argc, char *argv[])
{
	const char *network = NULL, *genesis_hex = NULL, *pow_limit = NULL, *rules = NULL;
	const struct cs_network *net = NULL;
	uint8_t header[CS_HEADER_SIZE], *owned = NULL;
	struct cs_store_meta meta;
	struct cs_reader reader;
	struct cs_error err;
	struct cs_store store;
	struct cs_entry genesis;
	struct cs_cli cli;
	bool opaque = false, existed;
	char hash[CS_HASH_HEX];
	int opt, rc;

	cs_cli_init(&cli, "cs-init", usage_text, 1u << CS_FORMAT_CBOR | 1u << CS_FORMAT_JSON);
	cs_cli_set_options(&cli, options_text);
	cli.format = CS_FORMAT_CBOR;
	while ((opt = getopt_long(argc, argv, "f:" CS_COMMON_SHORT_OPTIONS, long_options, NULL)) != -1) {
		switch (opt) {
		case OPT_GENESIS:
			genesis_hex = optarg;
			break;
		case OPT_NETWORK:
			network = optarg;
			break;
		case OPT_OPAQUE:
			opaque = true;
			break;
		case OPT_POW_LIMIT:
			pow_limit = optarg;
			break;
		case OPT_RULES:
			rules = optarg;
			break;
		default:
			cs_cli_option(&cli, opt, optarg);
			break;
		}
	}
	if (optind != argc)
		cs_cli_usage_error(&cli, "unexpected argument '%s'", argv[optind]);
	if ((network != NULL) + (genesis_hex != NULL) + opaque > 1)
		cs_cli_usage_error(&cli, "--network, --genesis and --opaque exclude each other");
	if (pow_limit != NULL && genesis_hex == NULL)
		cs_cli_usage_error(&cli, "--pow-limit goes with --genesis");
	if (rules != NULL && genesis_hex == NULL)
		cs_cli_usage_error(&cli, "--rules goes with --genesis (a built-in network has its own)");
	if (network != NULL && (net = cs_network_find(network)) == NULL)
		cs_cli_usage_error(&cli, "unknown network '%s'", network);

	memset(&reader, 0, sizeof(reader));
	cs_error_clear(&err);
	if (opaque)
		rc = opaque_genesis(cli.format, &reader, &meta, &genesis, &owned, &err);
	else if (genesis_hex != NULL)
		rc = cs_genesis_custom(genesis_hex, pow_limit, rules, &meta, &genesis, header, &err);
	else
		rc = cs_genesis_network(net != NULL ? net : cs_network_find("mainnet"), &meta, &genesis, header, &err);
	if (rc == CS_EX_USAGE)
		cs_cli_usage_error(&cli, "%s", err.message);
	if (rc == 0)
		rc = cs_store_create(&store, cs_store_path(cli.store), cli.prog, cli.wait, &meta, &genesis, &existed,
		    &err);
	else
		memset(&store, 0, sizeof(store));
	cs_reader_close(&reader);
	if (rc == 0 && !cli.quiet) {
		cs_hash_to_display(meta.genesis, hash);
		if (existed)
			cs_warn(&cli, "'%s' is already %s %s store", store.dir, meta.opaque ? "an" : "a", meta.network);
		else
			cs_warn(&cli, "created %s store '%s' (genesis %s)", meta.network, store.dir, hash);
	}
	if (store.options != NULL)
		cs_store_close(&store);
	free(owned);
	return rc == 0 ? 0 : cs_fail(&cli, &err);
}
