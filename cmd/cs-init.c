/*
 * cs-init - create a store for a network, a custom genesis, or an opaque chain.
 */
#include "cli.h"
#include "exit.h"
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
    "[-qv] [-s DIR] [-w SECONDS] --genesis HEX [--pow-limit BITS]\n"
    "[-qv] [-s DIR] [-w SECONDS] --opaque [-f cbor|json] < GENESIS";

enum { OPT_GENESIS = 256, OPT_NETWORK, OPT_OPAQUE, OPT_POW_LIMIT };

static const char options_text[] =
    "  --network NET         mainnet (default), testnet3, testnet4, signet or regtest\n"
    "  --genesis HEX         a custom chain from this 80-byte genesis header\n"
    "  --pow-limit BITS      with --genesis: the proof-of-work limit (compact, hex)\n"
    "  --opaque              an opaque chain; the genesis entry is read on stdin\n"
    "  -f, --format FORMAT   with --opaque: cbor (default) or json\n";

static const struct option long_options[] = {
	{ "format", required_argument, NULL, 'f' },
	{ "genesis", required_argument, NULL, OPT_GENESIS },
	{ "network", required_argument, NULL, OPT_NETWORK },
	{ "opaque", no_argument, NULL, OPT_OPAQUE },
	{ "pow-limit", required_argument, NULL, OPT_POW_LIMIT },
	CS_COMMON_LONG_OPTIONS,
};

/* A Bitcoin genesis from its header hex: hash, work, and the limit it meets. */
static int
bitcoin_genesis(const char *hex, const char *pow_limit_bits, const char *limit_hex, struct cs_store_meta *meta,
    struct cs_entry *e, uint8_t header[CS_HEADER_SIZE], struct cs_error *err)
{
	enum cs_pow_result pow;
	bool negative, overflow;

	if (strlen(hex) != 2 * CS_HEADER_SIZE || cs_hex_decode(hex, CS_HEADER_SIZE, header) != 0)
		return cs_error_set(err, CS_EX_DATAERR, "genesis is not an 80-byte header in hex (160 digits)");
	memset(e, 0, sizeof(*e));
	cs_header_hash(header, e->hash);
	memcpy(e->prev, cs_header_prev(header), 32);
	cs_work_from_bits(cs_header_bits(header), &e->work);
	e->chainwork = e->work;
	e->header = header;
	e->header_len = CS_HEADER_SIZE;
	memcpy(meta->genesis, e->hash, 32);
	if (limit_hex != NULL) {
		cs_u256_from_hex(&meta->pow_limit, limit_hex);
	} else if (pow_limit_bits != NULL) {
		char *end;
		unsigned long bits = strtoul(pow_limit_bits, &end, 16);

		if (*pow_limit_bits == '\0' || *end != '\0' || bits > 0xffffffffUL)
			return cs_error_set(err, CS_EX_USAGE, "bad pow limit '%s': not compact bits in hex", pow_limit_bits);
		cs_compact_decode((uint32_t)bits, &meta->pow_limit, &negative, &overflow);
		if (negative || overflow || cs_u256_is_zero(&meta->pow_limit))
			return cs_error_set(err, CS_EX_USAGE, "bad pow limit '%s': not a valid target", pow_limit_bits);
	} else {
		cs_compact_decode(cs_header_bits(header), &meta->pow_limit, &negative, &overflow);
	}
	pow = cs_pow_check(e->hash, cs_header_bits(header), &meta->pow_limit);
	if (pow != CS_POW_OK)
		return cs_error_set(err, CS_EX_DATAERR, "genesis: %s", cs_pow_result_message(pow));
	return 0;
}

/* An opaque genesis: the first entry on standard input. */
static int
opaque_genesis(enum cs_format format, struct cs_reader *r, struct cs_store_meta *meta, struct cs_entry *e,
    struct cs_error *err)
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
	if (!rec.has_hash || !rec.has_header)
		return cs_error_set(err, CS_EX_DATAERR, "item 1 at byte 0: genesis entry needs hash and header");
	memset(e, 0, sizeof(*e));
	memcpy(e->hash, rec.hash, 32);
	if (rec.has_prev)
		memcpy(e->prev, rec.prev, 32);
	if (rec.has_work)
		e->work = rec.work;
	else
		cs_u256_set_u64(&e->work, 1);
	e->chainwork = e->work;
	e->header = rec.header;
	e->header_len = rec.header_len;
	if (rec.has_body) {
		e->body = rec.body;
		e->body_len = rec.body_len;
		e->flags = CS_ENTRY_HAS_BODY;
	}
	memcpy(meta->genesis, e->hash, 32);
	meta->opaque = true;
	return 0;
}

int
main(int argc, char *argv[])
{
	const char *network = NULL, *genesis_hex = NULL, *pow_limit = NULL;
	const struct cs_network *net = NULL;
	uint8_t header[CS_HEADER_SIZE];
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
	if (network != NULL && (net = cs_network_find(network)) == NULL)
		cs_cli_usage_error(&cli, "unknown network '%s'", network);

	memset(&meta, 0, sizeof(meta));
	memset(&reader, 0, sizeof(reader));
	cs_error_clear(&err);
	if (opaque) {
		snprintf(meta.network, sizeof(meta.network), "opaque");
		rc = opaque_genesis(cli.format, &reader, &meta, &genesis, &err);
	} else if (genesis_hex != NULL) {
		snprintf(meta.network, sizeof(meta.network), "custom");
		rc = bitcoin_genesis(genesis_hex, pow_limit, NULL, &meta, &genesis, header, &err);
	} else {
		if (net == NULL)
			net = cs_network_find("mainnet");
		snprintf(meta.network, sizeof(meta.network), "%s", net->name);
		memcpy(meta.magic, net->magic, 4);
		rc = bitcoin_genesis(net->genesis_hex, NULL, net->pow_limit_hex, &meta, &genesis, header, &err);
	}
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
			cs_warn(&cli, "'%s' is already a %s store", store.dir, meta.network);
		else
			cs_warn(&cli, "created %s store '%s' (genesis %s)", meta.network, store.dir, hash);
	}
	if (store.options != NULL)
		cs_store_close(&store);
	return rc == 0 ? 0 : cs_fail(&cli, &err);
}
