#include "stat.h"

#include "cborio.h"
#include "exit.h"
#include "header.h"
#include "hex.h"
#include "leveldb.h"
#include "utf8.h"

#include <jansson.h>

#include <inttypes.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const cs_stat_kind_names[CS_STAT_KINDS] = {
	"entries", "bodies", "height_index", "transaction_index", "chain_tips", "meta",
};
static const char kind_prefix[CS_STAT_KINDS] = { CS_KEY_ENTRY, CS_KEY_BODY, CS_KEY_MAIN, CS_KEY_TX, CS_KEY_TIP, CS_KEY_META };

/* Counts the keys of one kind; with flags, reads the entries' flags too. */
/* The entries, in one pass: their count, bodies stored and pruned, and
 * the highest main-chain entry without a body (the prune height is the one
 * above it). An entry is looked up in the height index only when it has no
 * body and is higher than the one found so far: in hash order heights come
 * at random, so that is a few dozen look-ups for a million entries. */
struct entries {
	struct cs_store *s;
	struct cs_stat *st;
	bool gap;
	uint32_t gap_height;
};

static int
count_entry(void *ctx, const uint8_t hash[32], unsigned flags, uint32_t height, struct cs_error *err)
{
	struct entries *c = ctx;
	uint8_t main[32];
	int rc;

	c->st->entries++;
	c->st->bodies += (flags & CS_ENTRY_HAS_BODY) != 0;
	c->st->pruned += (flags & CS_ENTRY_PRUNED) != 0;
	if ((flags & CS_ENTRY_HAS_BODY) || (c->gap && height <= c->gap_height))
		return 0;
	rc = cs_store_get_main(c->s, height, main, err);
	if (rc == CS_EX_NOTFOUND)
		return 0;
	if (rc == 0 && memcmp(main, hash, 32) == 0) {
		c->gap = true;
		c->gap_height = height;
	}
	return rc;
}

/* Counts the keys of one kind. */
static int
count_keys(struct cs_store *s, leveldb_readoptions_t *ro, char prefix, uint64_t *count, struct cs_error *err)
{
	leveldb_iterator_t *it = leveldb_create_iterator(s->db, ro);
	char *lerr = NULL;

	for (leveldb_iter_seek(it, &prefix, 1); leveldb_iter_valid(it); leveldb_iter_next(it)) {
		size_t klen;
		const char *key = leveldb_iter_key(it, &klen);

		if (klen == 0 || key[0] != prefix)
			break;
		(*count)++;
	}
	leveldb_iter_get_error(it, &lerr);
	leveldb_iter_destroy(it);
	if (lerr != NULL) {
		cs_error_set(err, CS_EX_IOERR, "cannot read store '%s': %s", s->dir, lerr);
		leveldb_free(lerr);
		return CS_EX_IOERR;
	}
	return 0;
}

static uint64_t
property_number(struct cs_store *s, const char *name)
{
	char *value = leveldb_property_value(s->db, name);
	uint64_t n = value != NULL ? strtoull(value, NULL, 10) : 0;

	leveldb_free(value);
	return n;
}

int
cs_stat_store(struct cs_store *s, bool sstables, struct cs_stat *st, struct cs_error *err)
{
	const char *starts[CS_STAT_KINDS], *limits[CS_STAT_KINDS];
	size_t lens[CS_STAT_KINDS];
	char limit_keys[CS_STAT_KINDS];
	leveldb_readoptions_t *ro;
	struct entries entries = { s, st, false, 0 };
	struct cs_entry tip;
	char *owned, name[64];
	int rc;

	memset(st, 0, sizeof(*st));
	ro = leveldb_readoptions_create();
	leveldb_readoptions_set_fill_cache(ro, 0);
	rc = cs_store_each_entry(s, NULL, count_entry, &entries, err);
	if (rc == 0)
		rc = count_keys(s, ro, CS_KEY_TIP, &st->tips, err);
	if (rc == 0)
		rc = count_keys(s, ro, CS_KEY_TX, &st->transactions, err);
	leveldb_readoptions_destroy(ro);
	if (rc != 0)
		return rc;

	if ((rc = cs_store_get_tip_entry(s, &tip, &owned, err)) != 0)
		return rc;
	st->tip_height = tip.height;
	memcpy(st->tip_hash, tip.hash, 32);
	if (!s->meta.opaque && tip.header_len == CS_HEADER_SIZE) {
		struct cs_header h;

		cs_header_decode(tip.header, &h);
		st->has_tip_time = true;
		st->tip_time = h.time;
	}
	cs_store_free(owned);
	/* from the genesis, or the checkpoint the store starts at */
	st->main = (uint64_t)st->tip_height - s->meta.base_height + 1;
	st->forks = st->entries > st->main ? st->entries - st->main : 0;
	st->prune_height = entries.gap ? (uint64_t)entries.gap_height + 1 : s->meta.base_height;

	for (int k = 0; k < CS_STAT_KINDS; k++) {
		starts[k] = &kind_prefix[k];
		limit_keys[k] = (char)(kind_prefix[k] + 1);
		limits[k] = &limit_keys[k];
		lens[k] = 1;
	}
	leveldb_approximate_sizes(s->db, CS_STAT_KINDS, starts, lens, limits, lens, st->kind_bytes);
	if ((rc = cs_store_disk_bytes(s, &st->bytes_on_disk, err)) != 0)
		return rc;
	for (int level = 0; level < CS_STAT_LEVELS; level++) {
		snprintf(name, sizeof(name), "leveldb.num-files-at-level%d", level);
		st->files_at_level[level] = property_number(s, name);
	}
	st->memory_usage = property_number(s, "leveldb.approximate-memory-usage");
	st->stats = leveldb_property_value(s->db, "leveldb.stats");
	if (sstables)
		st->sstables = cs_leveldb_sstables(s->db);
	return 0;
}

void
cs_stat_free(struct cs_stat *st)
{
	if (st->stats != NULL)
		leveldb_free(st->stats);
	if (st->sstables != NULL)
		leveldb_free(st->sstables);
	st->stats = st->sstables = NULL;
}

struct report {
	const char *dir;
	char *name; /* dir as records carry it: valid UTF-8 (utf8.h) */
	const struct cs_store_meta *meta;
	const struct cs_stat *st;
};

/* The counts, in the order every format prints them. */
#define COUNTS 9
struct count {
	const char *name;
	uint64_t value;
	const char *help;   /* for prometheus */
	const char *metric; /* for prometheus, when not chainstore_NAME */
};

static size_t
counts(const struct report *r, struct count *c)
{
	const struct cs_stat *st = r->st;
	size_t n = 0;

	c[n++] = (struct count){ "entries", st->entries, "Entries (headers) stored.", NULL };
	c[n++] = (struct count){ "main_chain_length", st->main, "Entries on the main chain: the tip's height + 1.", NULL };
	c[n++] = (struct count){ "fork_entries", st->forks, "Entries not on the main chain.", NULL };
	c[n++] = (struct count){ "chain_tips", st->tips, "Chain tips (entries without children), the active tip included.", NULL };
	c[n++] = (struct count){ "bodies", st->bodies, "Entries whose block body is stored.", NULL };
	c[n++] = (struct count){ "pruned_bodies", st->pruned, "Entries whose block body was pruned.", NULL };
	c[n++] = (struct count){ "transactions", st->transactions, "Transactions in the transaction index.", NULL };
	c[n++] = (struct count){ "tip_height", st->tip_height, "Height of the active tip.", NULL };
	c[n++] = (struct count){ "pruneheight", st->prune_height,
		"Lowest height from which every main-chain body is stored (Bitcoin Core's pruneheight).",
		"chainstore_prune_height" };
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
	struct count c[COUNTS];
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
	struct count c[COUNTS];
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
	struct count c[COUNTS];
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
	struct count c[COUNTS];
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
		if (c[i].metric != NULL)
			snprintf(name, sizeof(name), "%s", c[i].metric);
		else
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
cs_stat_write(struct cs_out *out, enum cs_format format, const char *dir, const struct cs_store_meta *meta,
    const struct cs_stat *st, bool verbose, struct cs_error *err)
{
	struct report r = { dir, NULL, meta, st };
	size_t room = 3 * strlen(dir) + 1;
	int rc = 0;

	if ((r.name = malloc(room)) == NULL)
		return cs_error_set(err, CS_EX_SOFTWARE, "out of memory");
	cs_utf8_sanitize(dir, r.name, room);
	switch (format) {
	case CS_FORMAT_TEXT:
		write_text(out, &r, verbose);
		break;
	case CS_FORMAT_JSON:
		rc = write_json(out, &r, err);
		break;
	case CS_FORMAT_PROMETHEUS:
		write_prometheus(out, &r);
		break;
	default:
		rc = write_cbor(out, &r, err);
		break;
	}
	free(r.name);
	return rc;
}

int
cs_stat_print(const char *dir, const char *command, double wait, enum cs_format format, bool verbose,
    struct cs_out *out, struct cs_error *err)
{
	struct cs_store store;
	struct cs_stat st;
	int rc;

	memset(&st, 0, sizeof(st));
	if ((rc = cs_store_open_as(&store, dir, command, wait, false, CS_OPEN_READ, err)) == 0 &&
	    (rc = cs_stat_store(&store, verbose, &st, err)) == 0) {
		/* everything is in memory: let go of the store before writing */
		cs_store_release(&store);
		rc = cs_stat_write(out, format, dir, &store.meta, &st, verbose, err);
	}
	cs_store_close(&store);
	cs_stat_free(&st);
	return rc;
}
