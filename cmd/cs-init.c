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

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage_text[] =
    "[-qv] [-s DIR] [-w SECONDS] [--network NET]\n"
    "[-qv] [-s DIR] [-w SECONDS] [--network NET] --checkpoint FILE [-f cbor|json]\n"
    "[-qv] [-s DIR] [-w SECONDS] --genesis HEX [--pow-limit BITS] [--rules NET]\n"
    "[-qv] [-s DIR] [-w SECONDS] --opaque [-f cbor|json] < GENESIS";

enum { OPT_CHECKPOINT = 256, OPT_GENESIS, OPT_NETWORK, OPT_OPAQUE, OPT_POW_LIMIT, OPT_RULES };

static const char options_text[] =
    "  --network NET         mainnet (default), testnet3, testnet4, signet or regtest;\n"
    "                        Core's main, test and testnet too\n"
    "  --checkpoint FILE     start at this trusted entry (- for stdin): one a cs tool\n"
    "                        printed, with height, chainwork and optionally the times\n"
    "                        of the ten before it, or a line of bitcoinj's checkpoints\n"
    "                        file; on a retarget boundary of the network\n"
    "  --genesis HEX         a custom chain from this 80-byte genesis header\n"
    "  --pow-limit BITS      with --genesis: the proof-of-work limit (compact, hex)\n"
    "  --rules NET           with --genesis: Bitcoin Core's header rules of NET (mainnet,\n"
    "                        testnet3, testnet4, signet, regtest, or Core's main, test,\n"
    "                        testnet) under the chain's own\n"
    "                        limit; none (default): proof of work only\n"
    "  --opaque              an opaque chain; the genesis entry is read on stdin\n"
    "  -f, --format FORMAT   with --opaque or --checkpoint: cbor (default) or json\n";

static const struct option long_options[] = {
	{ "checkpoint", required_argument, NULL, OPT_CHECKPOINT },
	{ "format", required_argument, NULL, 'f' },
	{ "genesis", required_argument, NULL, OPT_GENESIS },
	{ "network", required_argument, NULL, OPT_NETWORK },
	{ "opaque", no_argument, NULL, OPT_OPAQUE },
	{ "pow-limit", required_argument, NULL, OPT_POW_LIMIT },
	{ "rules", required_argument, NULL, OPT_RULES },
	CS_COMMON_LONG_OPTIONS,
};

/* The first entry of r, read from path (NULL or "-": standard input). */
static int
first_entry(struct cs_reader *r, const char *path, struct cs_record *rec, const char *what, struct cs_error *err)
{
	switch (cs_reader_next(r, rec, true, err)) {
	case CS_READ_RECORD:
		return 0;
	case CS_READ_END:
		if (path == NULL || strcmp(path, "-") == 0)
			return cs_error_set(err, CS_EX_DATAERR, "no %s entry on standard input", what);
		return cs_error_set(err, CS_EX_DATAERR, "no %s entry in '%s'", what, path);
	default:
		return err->code;
	}
}

/* The first entry is the only one: more is a mistake (a whole chain piped
 * into cs-init), not something to drop unread. */
static int
only_entry(struct cs_reader *r, const char *what, struct cs_error *err)
{
	struct cs_record rec;

	switch (cs_reader_next(r, &rec, true, err)) {
	case CS_READ_END:
		return 0;
	case CS_READ_RECORD:
		return cs_error_set(err, CS_EX_DATAERR,
		    "item %llu at byte %llu: only the %s entry goes to cs-init; the others go to cs-put",
		    (unsigned long long)rec.item, (unsigned long long)rec.offset, what);
	default:
		return err->code;
	}
}

/* An opaque genesis: the one entry on standard input. Its header and body
 * are copied into *owned (free it), since reading on moves the input. */
static int
opaque_genesis(enum cs_format format, struct cs_reader *r, struct cs_store_meta *meta, struct cs_entry *e,
    uint8_t **owned, struct cs_error *err)
{
	struct cs_record rec;
	int rc;

	if ((rc = cs_reader_open(r, NULL, format, NULL, err)) != 0 || (rc = first_entry(r, NULL, &rec, "genesis", err)) != 0)
		return rc;
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
	return only_entry(r, "genesis", err);
}

/* A bitcoinj line is 128 or 156 base64 digits: what is read before telling
 * a line from an entry, with room for white space around it. */
#define TEXT_PEEK 1024

static bool
is_base64(int c)
{
	return isalnum(c) || c == '+' || c == '/';
}

/* Whether the input starts, after any white space, like a line of text
 * (base64), not an entry. Peeks without consuming, so that an entry's item
 * offsets stay those of its input. */
static int
looks_like_text(struct cs_reader *r, bool *text, struct cs_error *err)
{
	const uint8_t *p;
	size_t n, i;

	*text = false;
	while (!r->in.eof && cs_input_avail(&r->in) <= TEXT_PEEK) {
		enum cs_fill fill = cs_input_fill(&r->in, true, err);

		if (fill == CS_FILL_ERROR)
			return err->code;
		if (fill == CS_FILL_FULL)
			break;
	}
	p = cs_input_data(&r->in);
	n = cs_input_avail(&r->in);
	for (i = 0; i < n && isspace(p[i]); i++)
		;
	*text = i < n && is_base64(p[i]);
	return 0;
}

/* The one line of bitcoinj's checkpoints file the input holds (white space
 * around it is fine; a second line is not). Its header is copied into
 * header. */
static int
bitcoinj_line(struct cs_reader *r, struct cs_record *rec, uint8_t header[CS_HEADER_SIZE], struct cs_error *err)
{
	const char *p;
	size_t n, i, lines = 1;
	char line[TEXT_PEEK + 1];

	for (;;) {
		p = (const char *)cs_input_data(&r->in);
		n = cs_input_avail(&r->in);
		for (i = 0; i < n && isspace((unsigned char)p[i]); i++)
			lines += p[i] == '\n';
		cs_input_consume(&r->in, i);
		if (i < n || r->in.eof)
			break;
		if (cs_input_fill(&r->in, true, err) == CS_FILL_ERROR)
			return err->code;
	}
	/* the first line whole, or more than a line can be */
	while (!r->in.eof && cs_input_avail(&r->in) <= TEXT_PEEK &&
	    memchr(cs_input_data(&r->in), '\n', cs_input_avail(&r->in)) == NULL) {
		enum cs_fill fill = cs_input_fill(&r->in, true, err);

		if (fill == CS_FILL_ERROR)
			return err->code;
		if (fill == CS_FILL_FULL)
			break;
	}
	p = (const char *)cs_input_data(&r->in);
	n = cs_input_avail(&r->in);
	for (i = 0; i < n && p[i] != '\n'; i++)
		;
	if (i > TEXT_PEEK || (memcpy(line, p, i), line[i] = '\0', cs_checkpoint_from_bitcoinj(line, rec, header) != 0)) {
		if (i >= 15 && memcmp(p, "TXT CHECKPOINTS", 15) == 0)
			return cs_error_set(err, CS_EX_DATAERR,
			    "checkpoint: not a line of bitcoinj's checkpoints file but the whole file: give the line "
			    "of the checkpoint to start at");
		return cs_error_set(err, CS_EX_DATAERR,
		    "checkpoint: not a line of bitcoinj's checkpoints file (base64 of 96 or 116 bytes), nor an entry "
		    "(-f cbor or json)");
	}
	for (;;) {
		for (; i < n && isspace((unsigned char)p[i]); i++)
			lines += p[i] == '\n';
		if (i < n || r->in.eof)
			break;
		cs_input_consume(&r->in, i);
		if (cs_input_fill(&r->in, true, err) == CS_FILL_ERROR)
			return err->code;
		p = (const char *)cs_input_data(&r->in);
		n = cs_input_avail(&r->in);
		i = 0;
	}
	if (i < n)
		return cs_error_set(err, CS_EX_DATAERR,
		    "line %zu: only the checkpoint's line goes to cs-init, one line of bitcoinj's checkpoints file", lines);
	return 0;
}

/* A checkpoint entry from path: a bitcoinj line, or one entry in format.
 * Its header is copied into header. */
static int
checkpoint(const char *path, enum cs_format format, struct cs_reader *r, const struct cs_network *net,
    struct cs_store_meta *meta, struct cs_entry *e, uint8_t header[CS_HEADER_SIZE], struct cs_error *err)
{
	struct cs_record rec;
	bool text;
	int rc;

	if ((rc = cs_reader_open(r, path, format, NULL, err)) != 0 || (rc = looks_like_text(r, &text, err)) != 0)
		return rc;
	if (text) {
		if ((rc = bitcoinj_line(r, &rec, header, err)) != 0)
			return rc;
		return cs_genesis_checkpoint(net, &rec, meta, e, err);
	}
	if ((rc = first_entry(r, path, &rec, "checkpoint", err)) != 0)
		return rc;
	if (rec.has_header && rec.header_len == CS_HEADER_SIZE) {
		memcpy(header, rec.header, CS_HEADER_SIZE);
		rec.header = header;
	}
	if ((rc = cs_genesis_checkpoint(net, &rec, meta, e, err)) != 0)
		return rc;
	return only_entry(r, "checkpoint", err);
}

int
main(int argc, char *argv[])
{
	const char *network = NULL, *genesis_hex = NULL, *pow_limit = NULL, *rules = NULL, *checkpoint_path = NULL;
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
	while ((opt = cs_cli_getopt(&cli, argc, argv, "f:" CS_COMMON_SHORT_OPTIONS, long_options)) != -1) {
		switch (opt) {
		case OPT_CHECKPOINT:
			checkpoint_path = optarg;
			break;
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
	if (checkpoint_path != NULL && (genesis_hex != NULL || opaque))
		cs_cli_usage_error(&cli, "--checkpoint goes with a built-in network, not --genesis or --opaque");
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
	else if (checkpoint_path != NULL)
		rc = checkpoint(checkpoint_path, cli.format, &reader, net != NULL ? net : cs_network_find("mainnet"), &meta,
		    &genesis, header, &err);
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
		else if (memcmp(meta.root, meta.genesis, 32) != 0)
			cs_warn(&cli, "created %s store '%s' at checkpoint %u %s", meta.network, store.dir,
			    meta.base_height, (cs_hash_to_display(meta.root, hash), hash));
		else
			cs_warn(&cli, "created %s store '%s' (genesis %s)", meta.network, store.dir, hash);
		if (!existed && checkpoint_path != NULL && meta.base_height >= 10 && meta.root_time_count < 10)
			cs_warn(&cli, "the checkpoint gives %u of the 10 times before it: the median-time rule "
				      "counts fewer times for the next %u headers than Bitcoin Core does",
			    meta.root_time_count, 10 - meta.root_time_count);
	}
	if (store.options != NULL)
		cs_store_close(&store);
	free(owned);
	return rc == 0 ? 0 : cs_fail(&cli, &err);
}
