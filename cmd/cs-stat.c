/*
 * cs-stat - what a store holds and what it costs: counts (entries, main
 * chain, forks, tips, bodies, pruned bodies, transactions), bytes on disk
 * and LevelDB's own statistics; -f prometheus writes node_exporter's
 * textfile format.
 */
#include "cborio.h"
#include "cli.h"
#include "exit.h"
#include "hex.h"
#include "output.h"
#include "stat.h"
#include "store.h"
#include "utf8.h"

#include <jansson.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage_text[] = "[-qv] [-s DIR] [-w SECONDS] [-f FORMAT]";

static const char options_text[] =
    "  -f, --format FORMAT   cbor, json, text or prometheus\n";

static const struct option long_options[] = {
	{ "format", required_argument, NULL, 'f' },
	CS_COMMON_LONG_OPTIONS,
};

struct report {
	const char *dir;
	char *name; /* dir as records carry it: valid UTF-8 (utf8.h) */
	const struct cs_store_meta *meta;
	const struct cs_stat *st;
};

/* The counts, in the order every format prints them. */
struct count {
	const char *name;
	uint64_t value;
	const char *help; /* for prometheus */
};

static size_t
counts(const struct report *r, struct count *c)
{
	const struct cs_stat *st = r->st;
	size_t n = 0;

	c[n++] = (struct count){ "entries", st->entries, "Entries (headers) stored." };
	c[n++] = (struct count){ "main_chain_length", st->main, "Entries on the main chain: the tip's height + 1." };
	c[n++] = (struct count){ "fork_entries", st->forks, "Entries not on the main chain." };
	c[n++] = (struct count){ "chain_tips", st->tips, "Chain tips (entries without children), the active tip included." };
	c[n++] = (struct count){ "bodies", st->bodies, "Entries whose block body is stored." };
	c[n++] = (struct count){ "pruned_bodies", st->pruned, "Entries whose block body was pruned." };
	c[n++] = (struct count){ "transactions", st->transactions, "Transactions in the transaction index." };
	c[n++] = (struct count){ "tip_height", st->tip_height, "Height of the active tip." };
	return n;
}

/* Whether the store starts at a checkpoint, not at its genesis. */
static bool
from_checkpoint(const struct cs_store_meta *meta)
{
	return memcmp(meta->root, meta->genesis, 32) != 0;
}

static void
write_text(struct cs_out *out, const struct report *r, bool verbose)
{
	const struct cs_stat *st = r->st;
	struct count c[8];
	char hash[CS_HASH_HEX];
	size_t n = counts(r, c);

	cs_out_printf(out, "%-36s %s\n", "store", r->name);
	cs_out_printf(out, "%-36s %s\n", "network", r->meta->network);
	cs_out_printf(out, "%-36s %s\n", "rules", r->meta->rules);
	if (from_checkpoint(r->meta)) {
		cs_hash_to_display(r->meta->root, hash);
		cs_out_printf(out, "%-36s %" PRIu32 "\n", "checkpoint_height", r->meta->base_height);
		cs_out_printf(out, "%-36s %s\n", "checkpoint_hash", hash);
	}
	for (size_t i = 0; i < n; i++)
		cs_out_printf(out, "%-36s %" PRIu64 "\n", c[i].name, c[i].value);
	cs_hash_to_display(st->tip_hash, hash);
	cs_out_printf(out, "%-36s %s\n", "tip_hash", hash);
	if (st->has_tip_time)
		cs_out_printf(out, "%-36s %" PRIu32 "\n", "tip_time", st->tip_time);
	cs_out_printf(out, "%-36s %" PRIu64 "\n", "bytes_on_disk", st->bytes_on_disk);
	for (int k = 0; k < CS_STAT_KINDS; k++)
		cs_out_printf(out, "approximate_bytes.%-18s %" PRIu64 "\n", cs_stat_kind_names[k], st->kind_bytes[k]);
	for (int l = 0; l < CS_STAT_LEVELS; l++)
		cs_out_printf(out, "leveldb.files_at_level.%-13d %" PRIu64 "\n", l, st->files_at_level[l]);
	cs_out_printf(out, "%-36s %" PRIu64 "\n", "leveldb.approximate_memory_usage", st->memory_usage);
	/* LevelDB's own tables, as it prints them, after an empty line */
	if (st->stats != NULL)
		cs_out_printf(out, "\n%s", st->stats);
	if (verbose && st->sstables != NULL)
		cs_out_printf(out, "\n%s", st->sstables);
}

static int
write_json(struct cs_out *out, const struct report *r, struct cs_error *err)
{
	const struct cs_stat *st = r->st;
	json_t *o = json_object(), *sizes = json_object(), *leveldb = json_object(), *levels = json_array();
	struct count c[8];
	char hash[CS_HASH_HEX], *text;
	size_t n = counts(r, c);

	json_object_set_new(o, "store", json_string(r->name));
	json_object_set_new(o, "network", json_string(r->meta->network));
	json_object_set_new(o, "opaque", json_boolean(r->meta->opaque));
	json_object_set_new(o, "rules", json_string(r->meta->rules));
	if (from_checkpoint(r->meta)) {
		cs_hash_to_display(r->meta->root, hash);
		json_object_set_new(o, "checkpoint_height", json_integer(r->meta->base_height));
		json_object_set_new(o, "checkpoint_hash", json_string(hash));
	}
	for (size_t i = 0; i < n; i++)
		json_object_set_new(o, c[i].name, json_integer((json_int_t)c[i].value));
	cs_hash_to_display(st->tip_hash, hash);
	json_object_set_new(o, "tip_hash", json_string(hash));
	if (st->has_tip_time)
		json_object_set_new(o, "tip_time", json_integer(st->tip_time));
	json_object_set_new(o, "bytes_on_disk", json_integer((json_int_t)st->bytes_on_disk));
	for (int k = 0; k < CS_STAT_KINDS; k++)
		json_object_set_new(sizes, cs_stat_kind_names[k], json_integer((json_int_t)st->kind_bytes[k]));
	json_object_set_new(o, "approximate_bytes", sizes);
	for (int l = 0; l < CS_STAT_LEVELS; l++)
		json_array_append_new(levels, json_integer((json_int_t)st->files_at_level[l]));
	json_object_set_new(leveldb, "files_at_level", levels);
	json_object_set_new(leveldb, "approximate_memory_usage", json_integer((json_int_t)st->memory_usage));
	if (st->stats != NULL)
		json_object_set_new(leveldb, "stats", json_string(st->stats));
	if (st->sstables != NULL)
		json_object_set_new(leveldb, "sstables", json_string(st->sstables));
	json_object_set_new(o, "leveldb", leveldb);
	text = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	if (text == NULL)
		return cs_error_set(err, CS_EX_SOFTWARE, "out of memory");
	cs_out_printf(out, "%s\n", text);
	free(text);
	return 0;
}

static int
write_cbor(struct cs_out *out, const struct report *r, struct cs_error *err)
{
	const struct cs_stat *st = r->st;
	size_t room = 4096 + strlen(r->name) + (st->stats ? strlen(st->stats) : 0) +
	    (st->sstables ? strlen(st->sstables) : 0);
	uint8_t *start = cs_out_reserve(out, room);
	struct count c[8];
	struct cs_cbor_cursor cur;
	size_t n = counts(r, c);

	if (start == NULL)
		return cs_error_set(err, CS_EX_SOFTWARE, "out of memory");
	cur.p = start;
	cur.end = start + room;
	cur.overflow = false;
	cs_cbor_put_map(&cur, 4 + 2 * from_checkpoint(r->meta) + n + 1 + st->has_tip_time + 3);
	cs_cbor_put_text(&cur, "store");
	cs_cbor_put_text(&cur, r->name);
	cs_cbor_put_text(&cur, "network");
	cs_cbor_put_text(&cur, r->meta->network);
	cs_cbor_put_text(&cur, "opaque");
	if (!cur.overflow && cur.p < cur.end)
		*cur.p++ = r->meta->opaque ? 0xf5 : 0xf4; /* true, false */
	cs_cbor_put_text(&cur, "rules");
	cs_cbor_put_text(&cur, r->meta->rules);
	if (from_checkpoint(r->meta)) {
		cs_cbor_put_text(&cur, "checkpoint_height");
		cs_cbor_put_uint(&cur, r->meta->base_height);
		cs_cbor_put_text(&cur, "checkpoint_hash");
		cs_cbor_put_bytes(&cur, r->meta->root, 32);
	}
	for (size_t i = 0; i < n; i++) {
		cs_cbor_put_text(&cur, c[i].name);
		cs_cbor_put_uint(&cur, c[i].value);
	}
	cs_cbor_put_text(&cur, "tip_hash");
	cs_cbor_put_bytes(&cur, st->tip_hash, 32);
	if (st->has_tip_time) {
		cs_cbor_put_text(&cur, "tip_time");
		cs_cbor_put_uint(&cur, st->tip_time);
	}
	cs_cbor_put_text(&cur, "bytes_on_disk");
	cs_cbor_put_uint(&cur, st->bytes_on_disk);
	cs_cbor_put_text(&cur, "approximate_bytes");
	cs_cbor_put_map(&cur, CS_STAT_KINDS);
	for (int k = 0; k < CS_STAT_KINDS; k++) {
		cs_cbor_put_text(&cur, cs_stat_kind_names[k]);
		cs_cbor_put_uint(&cur, st->kind_bytes[k]);
	}
	cs_cbor_put_text(&cur, "leveldb");
	cs_cbor_put_map(&cur, 2 + (st->stats != NULL) + (st->sstables != NULL));
	cs_cbor_put_text(&cur, "files_at_level");
	cs_cbor_put_array(&cur, CS_STAT_LEVELS);
	for (int l = 0; l < CS_STAT_LEVELS; l++)
		cs_cbor_put_uint(&cur, st->files_at_level[l]);
	cs_cbor_put_text(&cur, "approximate_memory_usage");
	cs_cbor_put_uint(&cur, st->memory_usage);
	if (st->stats != NULL) {
		cs_cbor_put_text(&cur, "stats");
		cs_cbor_put_text(&cur, st->stats);
	}
	if (st->sstables != NULL) {
		cs_cbor_put_text(&cur, "sstables");
		cs_cbor_put_text(&cur, st->sstables);
	}
	if (cur.overflow)
		return cs_error_set(err, CS_EX_SOFTWARE, "statistics record larger than its buffer");
	cs_out_commit(out, (size_t)(cur.p - start));
	return 0;
}

/* A label value in the text exposition format: \, " and newline escaped. */
static void
write_label(struct cs_out *out, const char *value)
{
	for (const char *p = value; *p != '\0'; p++) {
		if (*p == '\\')
			cs_out_write(out, "\\\\", 2);
		else if (*p == '"')
			cs_out_write(out, "\\\"", 2);
		else if (*p == '\n')
			cs_out_write(out, "\\n", 2);
		else
			cs_out_write(out, p, 1);
	}
}

/* One sample: name{store="DIR"[,extra="value"]} value. */
static void
sample(struct cs_out *out, const struct report *r, const char *name, const char *extra, const char *extra_value,
    uint64_t value)
{
	cs_out_printf(out, "%s{store=\"", name);
	write_label(out, r->name);
	cs_out_write(out, "\"", 1);
	if (extra != NULL) {
		cs_out_printf(out, ",%s=\"", extra);
		write_label(out, extra_value);
		cs_out_write(out, "\"", 1);
	}
	cs_out_printf(out, "} %" PRIu64 "\n", value);
}

static void
family(struct cs_out *out, const char *name, const char *help)
{
	cs_out_printf(out, "# HELP %s %s\n# TYPE %s gauge\n", name, help, name);
}

static void
write_prometheus(struct cs_out *out, const struct report *r)
{
	const struct cs_stat *st = r->st;
	struct count c[8];
	char name[64], level[4];
	size_t n = counts(r, c);

	family(out, "chainstore_info", "The store's network (always 1).");
	cs_out_write(out, "chainstore_info{store=\"", 23);
	write_label(out, r->name);
	cs_out_write(out, "\",network=\"", 11);
	write_label(out, r->meta->network);
	cs_out_printf(out, "\",profile=\"%s\",rules=\"%s\"} 1\n", r->meta->opaque ? "opaque" : "bitcoin",
	    r->meta->rules);
	if (from_checkpoint(r->meta)) {
		family(out, "chainstore_checkpoint_height", "Height of the checkpoint the store starts at.");
		sample(out, r, "chainstore_checkpoint_height", NULL, NULL, r->meta->base_height);
	}
	for (size_t i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "chainstore_%s", c[i].name);
		family(out, name, c[i].help);
		sample(out, r, name, NULL, NULL, c[i].value);
	}
	if (st->has_tip_time) {
		family(out, "chainstore_tip_timestamp_seconds", "Time in the active tip's header, in seconds since the epoch.");
		sample(out, r, "chainstore_tip_timestamp_seconds", NULL, NULL, st->tip_time);
	}
	family(out, "chainstore_bytes_on_disk", "Bytes of the store's database files.");
	sample(out, r, "chainstore_bytes_on_disk", NULL, NULL, st->bytes_on_disk);
	family(out, "chainstore_key_bytes", "LevelDB's approximate bytes on disk of each kind of key.");
	for (int k = 0; k < CS_STAT_KINDS; k++)
		sample(out, r, "chainstore_key_bytes", "kind", cs_stat_kind_names[k], st->kind_bytes[k]);
	family(out, "chainstore_leveldb_files", "LevelDB table files at each level.");
	for (int l = 0; l < CS_STAT_LEVELS; l++) {
		snprintf(level, sizeof(level), "%d", l);
		sample(out, r, "chainstore_leveldb_files", "level", level, st->files_at_level[l]);
	}
	family(out, "chainstore_leveldb_memory_bytes", "LevelDB's approximate memory usage, in bytes.");
	sample(out, r, "chainstore_leveldb_memory_bytes", NULL, NULL, st->memory_usage);
}

int
main(int argc, char *argv[])
{
	struct cs_store store;
	struct cs_error err;
	struct cs_stat st;
	struct cs_out out;
	struct cs_cli cli;
	struct report r;
	enum cs_format format;
	int opt, rc;

	cs_cli_init(&cli, "cs-stat", usage_text,
	    1u << CS_FORMAT_CBOR | 1u << CS_FORMAT_JSON | 1u << CS_FORMAT_TEXT | 1u << CS_FORMAT_PROMETHEUS);
	cs_cli_set_options(&cli, options_text);
	while ((opt = cs_cli_getopt(&cli, argc, argv, "f:" CS_COMMON_SHORT_OPTIONS, long_options)) != -1)
		cs_cli_option(&cli, opt, optarg);
	if (optind != argc)
		cs_cli_usage_error(&cli, "unexpected argument '%s'", argv[optind]);
	format = cs_cli_output_format(&cli);
	cs_out_init(&out, 1);
	cs_error_clear(&err);
	memset(&st, 0, sizeof(st));
	r.dir = cs_store_path(cli.store);
	r.meta = &store.meta;
	r.st = &st;
	if ((r.name = malloc(3 * strlen(r.dir) + 1)) == NULL) {
		cs_warn(&cli, "out of memory");
		return CS_EX_SOFTWARE;
	}
	cs_utf8_sanitize(r.dir, r.name, 3 * strlen(r.dir) + 1);

	if ((rc = cs_store_open_as(&store, r.dir, cli.prog, cli.wait, false, CS_OPEN_READ, &err)) == 0 &&
	    (rc = cs_stat_store(&store, cli.verbose > 0, &st, &err)) == 0) {
		/* everything is in memory: let go of the store before writing */
		cs_store_release(&store);
		switch (format) {
		case CS_FORMAT_TEXT:
			write_text(&out, &r, cli.verbose > 0);
			break;
		case CS_FORMAT_JSON:
			rc = write_json(&out, &r, &err);
			break;
		case CS_FORMAT_PROMETHEUS:
			write_prometheus(&out, &r);
			break;
		default:
			rc = write_cbor(&out, &r, &err);
			break;
		}
	}
	cs_store_close(&store);
	cs_stat_free(&st);
	free(r.name);
	if (rc == 0)
		rc = cs_out_finish(&out, &err);
	else
		cs_out_finish(&out, NULL);
	return rc != 0 ? cs_fail(&cli, &err) : 0;
}
