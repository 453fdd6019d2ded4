/*
 * cs-stat - what a store holds and what it costs: counts (entries, main
 * chain, forks, tips, bodies, pruned bodies, transactions), bytes on disk
 * and LevelDB's own statistics; -f prometheus writes node_exporter's
 * textfile format.
 */
#include "cli.h"
#include "output.h"
#include "stat.h"
#include "store.h"

static const char usage_text[] = "[-qv] [-s DIR] [-w SECONDS] [-f FORMAT]";

static const char options_text[] =
    "  -f, --format FORMAT   cbor, json, text or prometheus\n";

static const struct option long_options[] = {
	{ "format", required_argument, NULL, 'f' },
	CS_COMMON_LONG_OPTIONS,
};

int
main(int argc, char *argv[])
{
	struct cs_error err;
	struct cs_out out;
	struct cs_cli cli;
	int opt, rc;

	cs_cli_init(&cli, "cs-stat", usage_text,
	    1u << CS_FORMAT_CBOR | 1u << CS_FORMAT_JSON | 1u << CS_FORMAT_TEXT | 1u << CS_FORMAT_PROMETHEUS);
	cs_cli_set_options(&cli, options_text);
	while ((opt = cs_cli_getopt(&cli, argc, argv, "f:" CS_COMMON_SHORT_OPTIONS, long_options)) != -1)
		cs_cli_option(&cli, opt, optarg);
	if (optind != argc)
		cs_cli_usage_error(&cli, "unexpected argument '%s'", argv[optind]);
	cs_out_init(&out, 1);
	cs_error_clear(&err);
	rc = cs_stat_print(cs_store_path(cli.store), cli.prog, cli.wait, cs_cli_output_format(&cli), cli.verbose > 0,
	    &out, &err);
	if (rc == 0)
		rc = cs_out_finish(&out, &err);
	else
		cs_out_finish(&out, NULL);
	return rc != 0 ? cs_fail(&cli, &err) : 0;
}
